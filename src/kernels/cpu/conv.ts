/**
 * Reference conv2d kernels: forward, input gradient (dgrad) and weight gradient (wgrad) as the plain
 * seven-deep loop of the definition, out[n,o,y,x] = b[o] + Σ_{c,i,j} in[n,c,y·s−p+i·d, x·s−p+j·d]·w[o,c,i,j].
 * The gradients walk the same loop nest and scatter instead of gather, so all three agree by construction.
 */
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { convWindows } from '../../core/conv-geom.js';
import type { ConvAttrs } from '../../core/kernels.js';
import { cpuKernels } from './table.js';
import { dataOf, type CPUBackend } from './backend.js';

type Visit = (xi: number, wi: number, oi: number) => void;

/**
 * Call visit(x index, w index, out index) for every multiply-add of the convolution, block by block
 * for a block-diagonal one (only the blocks' taps exist).
 */
function eachTap(attrs: ConvAttrs, visit: Visit): void {
  for (const { g, ci0, ciT, co0, coT } of convWindows(attrs.geom, attrs.blocks))
    for (let n = 0; n < g.n; n++)
      for (let o = co0; o < co0 + g.co; o++)
        for (let y = 0; y < g.oh; y++)
          for (let x = 0; x < g.ow; x++) {
            const oi = ((n * coT + o) * g.oh + y) * g.ow + x;
            for (let c = ci0; c < ci0 + g.ci; c++)
              for (let i = 0; i < g.kh; i++) {
                const iy = y * g.sh - g.ph + i * g.dh;
                if (iy < 0 || iy >= g.h) continue;
                for (let j = 0; j < g.kw; j++) {
                  const ix = x * g.sw - g.pw + j * g.dw;
                  if (ix < 0 || ix >= g.w) continue;
                  visit(((n * ciT + c) * g.h + iy) * g.w + ix, ((o * ciT + c) * g.kh + i) * g.kw + j, oi);
                }
              }
          }
}

function out(b: CPUBackend, shape: number[], dtype: TensorData['dtype']): TensorData {
  return { shape, dtype, storage: b.alloc(sizeOf(shape), dtype) };
}

cpuKernels.register('conv2d', (b, [x, w, bias], attrs) => {
  const g = attrs.geom;
  const o = out(b, [g.n, g.co, g.oh, g.ow], x.dtype);
  const xs = dataOf(x.storage), ws = dataOf(w.storage), os = dataOf(o.storage);
  // Accumulate in the storage's own precision (float32 or float64 on the cpu64 backend).
  eachTap(attrs, (xi, wi, oi) => {
    os[oi] += xs[xi] * ws[wi];
  });
  if (bias) {
    const bs = dataOf(bias.storage), hw = g.oh * g.ow;
    for (let i = 0; i < os.length; i++) os[i] += bs[Math.floor(i / hw) % g.co];
  }
  return o;
});

cpuKernels.register('conv2dDgrad', (b, [dy, w], attrs) => {
  const g = attrs.geom;
  const o = out(b, [g.n, g.ci, g.h, g.w], dy.dtype);
  const ds = dataOf(dy.storage), ws = dataOf(w.storage), os = dataOf(o.storage);
  eachTap(attrs, (xi, wi, oi) => {
    os[xi] += ds[oi] * ws[wi];
  });
  return o;
});

cpuKernels.register('conv2dWgrad', (b, [dy, x], attrs) => {
  const g = attrs.geom;
  const o = out(b, [g.co, g.ci, g.kh, g.kw], dy.dtype);
  const ds = dataOf(dy.storage), xs = dataOf(x.storage), os = dataOf(o.storage);
  eachTap(attrs, (xi, wi, oi) => {
    os[wi] += ds[oi] * xs[xi];
  });
  return o;
});

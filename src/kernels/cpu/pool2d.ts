/**
 * Reference 2-D pooling: the forward loops over windows; the backward scatters each output gradient
 * into its window (the obvious direction, unlike the GPU's gather), so the two are independent checks.
 */
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';
import { type Pool2dAttrs } from '../../core/kernels.js';

interface Win { h0: number; h1: number; w0: number; w1: number; divisor: number }

/** The clipped window of output (oy, ox) and its divisor, as PyTorch defines them. */
function windowOf(a: Pool2dAttrs, h: number, w: number, oy: number, ox: number): Win {
  let h0: number, h1: number, w0: number, w1: number;
  if (a.mode === 'adaptive') {
    h0 = Math.floor((oy * h) / a.outH); h1 = Math.ceil(((oy + 1) * h) / a.outH);
    w0 = Math.floor((ox * w) / a.outW); w1 = Math.ceil(((ox + 1) * w) / a.outW);
  } else {
    h0 = oy * a.sh - a.ph; h1 = Math.min(h0 + a.kh, h + a.ph);
    w0 = ox * a.sw - a.pw; w1 = Math.min(w0 + a.kw, w + a.pw);
  }
  const padded = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0); h1 = Math.min(h1, h); w0 = Math.max(w0, 0); w1 = Math.min(w1, w);
  const divisor = a.mode === 'avg' && a.countIncludePad ? padded : (h1 - h0) * (w1 - w0);
  return { h0, h1, w0, w1, divisor };
}

cpuKernels.register('pool2d', (b, [x], a) => {
  const [n, c, h, w] = x.shape;
  const shape = [n, c, a.outH, a.outW];
  const total = sizeOf(shape);
  const y: TensorData = { shape, dtype: 'float32', storage: b.alloc(total, 'float32') };
  const idx: TensorData = { shape, dtype: 'int32', storage: b.alloc(total, 'int32') };
  const xs = dataOf(x.storage), ys = dataOf(y.storage), is = dataOf(idx.storage);
  for (let p = 0, o = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < a.outH; oy++) {
      for (let ox = 0; ox < a.outW; ox++, o++) {
        const win = windowOf(a, h, w, oy, ox);
        let best = -Infinity, arg = -1, s = 0;
        for (let yy = win.h0; yy < win.h1; yy++) {
          for (let xx = win.w0; xx < win.w1; xx++) {
            const v = xs[base + yy * w + xx];
            if (v > best || Number.isNaN(v) || arg < 0) { best = v; arg = yy * w + xx; }
            s += v;
          }
        }
        ys[o] = a.mode === 'max' ? best : s / win.divisor;
        is[o] = arg;
      }
    }
  }
  if (a.mode === 'max') return [y, idx];
  b.release(idx.storage);
  return [y];
});

cpuKernels.register('pool2dBackward', (b, [dy, idx], a) => {
  const [n, c, h, w] = a.inShape;
  const dx: TensorData = { shape: a.inShape, dtype: 'float32', storage: b.alloc(sizeOf(a.inShape), 'float32') };
  const gs = dataOf(dy.storage), out = dataOf(dx.storage), is = idx ? dataOf(idx.storage) : null;
  for (let p = 0, o = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < a.outH; oy++) {
      for (let ox = 0; ox < a.outW; ox++, o++) {
        if (a.mode === 'max') {
          out[base + is![o]] += gs[o];
          continue;
        }
        const win = windowOf(a, h, w, oy, ox);
        for (let yy = win.h0; yy < win.h1; yy++) for (let xx = win.w0; xx < win.w1; xx++) out[base + yy * w + xx] += gs[o] / win.divisor;
      }
    }
  }
  return dx;
});

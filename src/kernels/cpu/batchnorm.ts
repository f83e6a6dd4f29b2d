/**
 * Reference batch-norm kernels (same contracts as src/kernels/webgpu/batchnorm.ts), in double
 * precision arithmetic: two-pass statistics, plain loops.
 */
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { cpuKernels } from './table.js';
import { dataOf, type CPUBackend } from './backend.js';
import { bnDims } from '../../core/kernels.js';

/** Visit every (flat index) of channel ch. */
function forChannel(shape: readonly number[], ch: number, fn: (i: number) => void): void {
  const { n, c, hw } = bnDims(shape);
  for (let k = 0; k < n; k++) for (let s = 0; s < hw; s++) fn((k * c + ch) * hw + s);
}

/** x − mean_c with the [2, C] (shift, δ) training mean or the [C] running mean (see webgpu/batchnorm.ts). */
const centered = (v: number, md: ArrayLike<number>, c: number, ch: number, fromVar: boolean) => (fromVar ? v - md[ch] : v - md[ch] - md[c + ch]);

const invstdOf = (stat: ArrayLike<number>, ch: number, fromVar: boolean, eps: number) => (fromVar ? 1 / Math.sqrt(stat[ch] + eps) : stat[ch]);

function vec(b: CPUBackend, c: number): TensorData {
  return { shape: [c], dtype: 'float32', storage: b.alloc(c, 'float32') };
}

cpuKernels.register('bnStats', (b, [x, rm, rv], a) => {
  const { c, m } = bnDims(x.shape);
  const xs = dataOf(x.storage);
  const mean: TensorData = { shape: [2, c], dtype: 'float32', storage: b.alloc(2 * c, 'float32') };
  const invstd = vec(b, c);
  const md = dataOf(mean.storage), id = dataOf(invstd.storage);
  for (let ch = 0; ch < c; ch++) {
    const shift = xs[ch * bnDims(x.shape).hw];
    let s = 0;
    forChannel(x.shape, ch, (i) => (s += xs[i] - shift));
    const delta = s / m;
    const mu = shift + delta;
    let q = 0;
    forChannel(x.shape, ch, (i) => (q += (xs[i] - shift - delta) ** 2));
    const variance = q / m;
    md[ch] = shift;
    md[c + ch] = delta;
    id[ch] = 1 / Math.sqrt(variance + a.eps);
    if (rm) {
      const rmd = dataOf(rm.storage), rvd = dataOf(rv.storage);
      rmd[ch] = (1 - a.momentum) * rmd[ch] + a.momentum * mu;
      rvd[ch] = (1 - a.momentum) * rvd[ch] + a.momentum * variance * (m / Math.max(m - 1, 1));
    }
  }
  return [mean, invstd];
});

cpuKernels.register('bnApply', (b, [x, mean, stat, w, bias], a) => {
  const { c } = bnDims(x.shape);
  const y: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(sizeOf(x.shape), 'float32') };
  const xs = dataOf(x.storage), ys = dataOf(y.storage), md = dataOf(mean.storage), sd = dataOf(stat.storage);
  for (let ch = 0; ch < c; ch++) {
    const invstd = invstdOf(sd, ch, a.fromVar, a.eps);
    const wc = a.affine ? dataOf(w.storage)[ch] : 1, bc = a.affine ? dataOf(bias.storage)[ch] : 0;
    forChannel(x.shape, ch, (i) => {
      const v = centered(xs[i], md, c, ch, a.fromVar) * invstd * wc + bc;
      ys[i] = a.relu ? Math.max(v, 0) : v;
    });
  }
  return y;
});

/** dy, masked by y > 0 where the forward fused a ReLU (y its output). */
function maskedGrad(dy: TensorData, y: TensorData | undefined, relu: boolean | undefined): ArrayLike<number> {
  const gs = dataOf(dy.storage);
  if (!relu) return gs;
  const ys = dataOf(y!.storage);
  return Float64Array.from(gs, (g, i) => (ys[i] > 0 ? g : 0));
}

cpuKernels.register('bnBackwardReduce', (b, [x, dy, mean, stat, y], a) => {
  const { c } = bnDims(x.shape);
  const gsum = vec(b, c), gdot = vec(b, c);
  const xs = dataOf(x.storage), gs = maskedGrad(dy, y, a.relu), md = dataOf(mean.storage), sd = dataOf(stat.storage);
  for (let ch = 0; ch < c; ch++) {
    let s = 0, d = 0;
    forChannel(x.shape, ch, (i) => {
      s += gs[i];
      d += gs[i] * centered(xs[i], md, c, ch, a.fromVar);
    });
    dataOf(gsum.storage)[ch] = s;
    dataOf(gdot.storage)[ch] = d * invstdOf(sd, ch, a.fromVar, a.eps);
  }
  return [gsum, gdot];
});

cpuKernels.register('bnBackwardApply', (b, inputs, a) => {
  const [x, dy, mean, stat] = inputs;
  const rest = inputs.slice(4);
  const w = a.affine ? rest.shift()! : null;
  const [gsumT, gdotT] = a.training ? [rest.shift()!, rest.shift()!] : [null, null];
  const { c, m } = bnDims(x.shape);
  const dx: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(sizeOf(x.shape), 'float32') };
  const xs = dataOf(x.storage), gs = maskedGrad(dy, rest[0], a.relu), md = dataOf(mean.storage), sd = dataOf(stat.storage), out = dataOf(dx.storage);
  for (let ch = 0; ch < c; ch++) {
    const invstd = invstdOf(sd, ch, a.fromVar, a.eps);
    const scale = invstd * (w ? dataOf(w.storage)[ch] : 1);
    const gsum = gsumT ? dataOf(gsumT.storage)[ch] : 0, gdot = gdotT ? dataOf(gdotT.storage)[ch] : 0;
    forChannel(x.shape, ch, (i) => {
      const g = a.training ? gs[i] - gsum / m - centered(xs[i], md, c, ch, a.fromVar) * invstd * (gdot / m) : gs[i];
      out[i] = g * scale;
    });
  }
  return dx;
});

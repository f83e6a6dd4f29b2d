/**
 * Reference kernels of Neural Rejuvenation (same names and attributes as `../webgpu/nr.ts`): plain
 * loops that read like docs/method.md (§3 dead rule, §7.2 and §7.5 gather and initialization).
 */
import type { TensorData } from '../../core/backend.js';
import { normalFromBits, philoxBits } from '../../core/random.js';
import { sizeOf } from '../../core/shape.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';
import { type InitBlock } from '../../core/kernels.js';

const f32 = Math.fround;

cpuKernels.register('nrGammaStats', (b, [info, ...gammas], a) => {
  const G = gammas.reduce((s, t) => s + sizeOf(t.shape), 0);
  const gamma: TensorData = { shape: [G], dtype: 'float32', storage: b.alloc(G, 'float32') };
  const g = dataOf(gamma.storage), inf = dataOf(info.storage);
  let o = 0;
  for (const t of gammas) {
    (g as Float32Array).set(dataOf(t.storage) as Float32Array, o);
    o += sizeOf(t.shape);
  }
  const mask: TensorData = { shape: [G], dtype: 'float32', storage: b.alloc(G, 'float32') };
  const maxes: TensorData = { shape: [a.layers], dtype: 'float32', storage: b.alloc(a.layers, 'float32') };
  const counts: TensorData = { shape: [a.layers], dtype: 'float32', storage: b.alloc(a.layers, 'float32') };
  const m = dataOf(mask.storage), mx = dataOf(maxes.storage), cn = dataOf(counts.storage);
  for (let l = 0; l < a.layers; l++) {
    const [off, len, fixed, depStart, depCount] = [inf[5 * l], inf[5 * l + 1], inf[5 * l + 2], inf[5 * l + 3], inf[5 * l + 4]];
    let max = 0;
    for (let i = 0; i < len; i++) max = Math.max(max, Math.abs(g[off + i]));
    let liveIn = depCount === 0;
    for (let d = 0; d < depCount; d++) if (cn[inf[depStart + d]] > 0) liveIn = true;
    const layerDead = max < f32(a.allDeadThres) || !liveIn;
    const thr = f32(f32(a.liveThres) * max);
    let n = 0;
    for (let i = 0; i < len; i++) {
      const alive = !layerDead && (fixed !== 0 || Math.abs(g[off + i]) >= thr);
      m[off + i] = alive ? 1 : 0;
      n += alive ? 1 : 0;
    }
    mx[l] = max;
    cn[l] = n;
  }
  return [mask, maxes, counts, gamma];
});

cpuKernels.register('nrGather', (b, [x, idx0, idx1], a) => {
  const i0 = dataOf(idx0.storage), i1 = dataOf(idx1.storage), src = dataOf(x.storage);
  const n0 = i0.length, n1 = i1.length;
  const o: TensorData = { shape: a.outShape, dtype: 'float32', storage: b.alloc(n0 * n1 * a.inner, 'float32') };
  const d = dataOf(o.storage);
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      for (let t = 0; t < a.inner; t++) d[(i * n1 + j) * a.inner + t] = src[(i0[i] * a.m1 + i1[j]) * a.inner + t];
    }
  }
  return o;
});

cpuKernels.register('nrMaskedInit', (b, [src], a) => {
  const [rows, cols, inner] = a.shape;
  const n = rows * cols * inner;
  const o: TensorData = { shape: a.outShape, dtype: 'float32', storage: b.alloc(n, 'float32') };
  const d = dataOf(o.storage), s = dataOf(src.storage);
  const anyRandom = a.sr.random || a.rs.random || a.rr.random;
  const bits = anyRandom ? philoxBits(a.seed, a.offset, n, 'nrMaskedInit') : null;
  const fill = (blk: InitBlock, flat: number) => (blk.random ? normalFromBits(bits![flat], 0, blk.value) : f32(blk.value));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      for (let t = 0; t < inner; t++) {
        const flat = (i * cols + j) * inner + t;
        if (i < a.a && j < a.b) d[flat] = s[(i * a.b + j) * inner + t];
        else d[flat] = fill(j < a.b ? a.sr : i < a.a ? a.rs : a.rr, flat);
      }
    }
  }
  return o;
});

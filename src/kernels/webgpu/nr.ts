/**
 * WebGPU kernels of Neural Rejuvenation: the all-layer γ statistics (monitoring), the survived-block
 * gather and the masked initialization (surgery). Attribute types are shared with the reference
 * kernels in `../cpu/nr.ts`.
 */
import gammaStatsSrc from '../../../shaders/nr_gamma_stats.wgsl';
import gatherSrc from '../../../shaders/nr_gather.wgsl';
import maskedInitSrc from '../../../shaders/nr_masked_init.wgsl';
import type { TensorData } from '../../core/backend.js';
import { splitSeed } from '../../core/random.js';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import { groups256 } from './basic.js';
import { Uniforms } from './program.js';





// Inputs: info (i32 words; see the shader header), then every layer's γ in layer order. The γ vectors
// are packed into one buffer by buffer copies inside the recorded stream (no host round trip).
// Outputs: mask, maxes, counts, and the packed γ (returned so its owner frees it).
webgpuKernels.register('nrGammaStats', (b, [info, ...gammas], a) => {
  const g = gammas.reduce((s, t) => s + sizeOf(t.shape), 0);
  const gamma: TensorData = { shape: [g], dtype: 'float32', storage: b.alloc(g, 'float32') };
  let off = 0;
  for (const t of gammas) {
    b.copy(t.storage, gamma.storage, sizeOf(t.shape) * 4, 0, off * 4);
    off += sizeOf(t.shape);
  }
  const mask: TensorData = { shape: [g], dtype: 'float32', storage: b.alloc(g, 'float32') };
  const maxes: TensorData = { shape: [a.layers], dtype: 'float32', storage: b.alloc(a.layers, 'float32') };
  const counts: TensorData = { shape: [a.layers], dtype: 'float32', storage: b.alloc(a.layers, 'float32') };
  b.run({
    key: 'nr_gamma_stats', file: 'nr_gamma_stats.wgsl', source: gammaStatsSrc,
    inputs: [gamma.storage, info.storage], outputs: [mask.storage, maxes.storage, counts.storage],
    uniforms: new Uniforms().u32(a.layers).f32(a.liveThres).f32(a.allDeadThres),
    workgroups: [a.layers > 0 ? 1 : 0],
  });
  return [mask, maxes, counts, gamma];
});

webgpuKernels.register('nrGather', (b, [x, idx0, idx1], a) => {
  const n = sizeOf(idx0.shape) * sizeOf(idx1.shape) * a.inner;
  const o: TensorData = { shape: a.outShape, dtype: 'float32', storage: b.alloc(n, 'float32') };
  if (n === 0) return o;
  b.run({
    key: 'nr_gather', file: 'nr_gather.wgsl', source: gatherSrc,
    inputs: [x.storage, idx0.storage, idx1.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(sizeOf(idx1.shape)).u32(a.inner).u32(a.m1),
    workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('nrMaskedInit', (b, [src], a) => {
  const [rows, cols, inner] = a.shape;
  const n = rows * cols * inner;
  const o: TensorData = { shape: a.outShape, dtype: 'float32', storage: b.alloc(n, 'float32') };
  if (n === 0) return o;
  const [k0, k1] = splitSeed('nrMaskedInit', a.seed);
  b.run({
    key: 'nr_masked_init', file: 'nr_masked_init.wgsl', source: maskedInitSrc,
    inputs: [src.storage, b.normalTable()], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(cols).u32(inner).u32(a.a)
      .u32(a.b).u32(k0).u32(k1).u32(a.offset >>> 0)
      .u32(Math.floor(a.offset / 2 ** 32)).u32(+a.sr.random).u32(+a.rs.random).u32(+a.rr.random)
      .f32(a.sr.value).f32(a.rs.value).f32(a.rr.value),
    workgroups: groups256(n),
  });
  return o;
});

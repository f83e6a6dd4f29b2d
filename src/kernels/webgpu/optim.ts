/**
 * WebGPU optimizer updates: one fused in-place dispatch per parameter (shaders/sgd.wgsl, adam.wgsl).
 * Hyperparameters travel in uniforms, so the pipeline key holds only the variant (momentum on/off,
 * decoupled decay), never a learning rate.
 */
import adamSrc from '../../../shaders/adam.wgsl';
import sgdSrc from '../../../shaders/sgd.wgsl';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import { groups256 } from './basic.js';
import { Uniforms } from './program.js';
import { adamConstants } from '../../core/kernels.js';


webgpuKernels.register('sgdUpdate', (b, [grad, param, buf], a) => {
  const n = sizeOf(param.shape);
  const withBuf = buf !== undefined;
  // Without momentum the shader still declares `buf`; a 4-byte scratch buffer fills the binding.
  const bufStorage = withBuf ? buf.storage : b.alloc(1, 'float32');
  b.run({
    key: `sgd/${withBuf ? 1 : 0}`, file: 'sgd.wgsl', source: sgdSrc, defines: { MOMENTUM: withBuf ? 1 : 0 },
    inputs: [grad.storage], outputs: [param.storage, bufStorage],
    uniforms: new Uniforms().u32(n).u32(a.first ? 1 : 0).u32(a.nesterov ? 1 : 0).f32(a.lr).f32(a.momentum).f32(1 - a.dampening).f32(a.weightDecay).f32(a.l1),
    workgroups: [Math.ceil(n / (64 * 16))], // 16 elements per invocation (sgd.wgsl)
  });
  if (!withBuf) b.release(bufStorage);
  return [];
});

webgpuKernels.register('adamUpdate', (b, [grad, param, m, v], a) => {
  const n = sizeOf(param.shape);
  const c = adamConstants(a);
  b.run({
    key: `adam/${a.decoupled ? 1 : 0}`, file: 'adam.wgsl', source: adamSrc, defines: { DECOUPLED: a.decoupled ? 1 : 0 },
    inputs: [grad.storage], outputs: [param.storage, m.storage, v.storage],
    uniforms: new Uniforms().u32(n).f32(a.beta1).f32(a.beta2).f32(1 - a.beta1).f32(1 - a.beta2).f32(a.eps)
      .f32(c.stepSize).f32(c.bc2Sqrt).f32(a.weightDecay).f32(c.decay).f32(a.l1),
    workgroups: groups256(n),
  });
  return [];
});


/** WebGPU cross-entropy (fused log-softmax + NLL, forward and backward) and accuracy kernels. */
import accuracySrc from '../../../shaders/accuracy.wgsl';
import ceSrc from '../../../shaders/cross_entropy.wgsl';
import ceBwdSrc from '../../../shaders/cross_entropy_backward.wgsl';
import type { TensorData } from '../../core/backend.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { groups256 } from './basic.js';
import { Uniforms } from './program.js';

const NAN_BITS = 0x7fc00000;

// One workgroup does the whole batch; CPU adapters emulate its barriers, so they get a smaller one.
// Tests force each size on any adapter.
let forcedWG: number | null = null;
export function setLossWorkgroup(size: 64 | 256 | null): void {
  forcedWG = size;
}
const rowsWG = (b: WebGPUBackend): number => forcedWG ?? (b.info().isSoftware ? 64 : 256);

/** Inputs [logits [N, K], labels [N] int32]; outputs [loss [], lse [N]]. */
webgpuKernels.register('crossEntropy', (b, [x, labels], a) => {
  const [n, k] = x.shape;
  const loss: TensorData = { shape: [], dtype: 'float32', storage: b.alloc(1, 'float32') };
  const lse: TensorData = { shape: [n], dtype: 'float32', storage: b.alloc(n, 'float32') };
  const wg = rowsWG(b);
  b.run({
    key: `cross_entropy/${wg}`, file: 'cross_entropy.wgsl', source: ceSrc, defines: { WG: wg },
    inputs: [x.storage, labels.storage], outputs: [lse.storage, loss.storage],
    uniforms: new Uniforms().u32(n).u32(k).f32(a.labelSmoothing).u32(NAN_BITS), workgroups: [1],
  });
  return [loss, lse];
});

/** Inputs [logits, labels, lse, g (scalar upstream gradient)]; output dlogits. */
webgpuKernels.register('crossEntropyBackward', (b, [x, labels, lse, g], a) => {
  const [n, k] = x.shape;
  const dx: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(n * k, 'float32') };
  b.run({
    key: 'cross_entropy_backward', file: 'cross_entropy_backward.wgsl', source: ceBwdSrc,
    inputs: [x.storage, labels.storage, lse.storage, g.storage], outputs: [dx.storage],
    uniforms: new Uniforms().u32(n * k).u32(n).u32(k).f32(a.labelSmoothing).u32(NAN_BITS), workgroups: groups256(n * k),
  });
  return dx;
});

/** Inputs [logits [N, K], labels [N]]; output the fraction of rows whose first argmax is the label. */
webgpuKernels.register('accuracy', (b, [x, labels]) => {
  const [n, k] = x.shape;
  const out: TensorData = { shape: [], dtype: 'float32', storage: b.alloc(1, 'float32') };
  const wg = rowsWG(b);
  b.run({
    key: `accuracy/${wg}`, file: 'accuracy.wgsl', source: accuracySrc, defines: { WG: wg },
    inputs: [x.storage, labels.storage], outputs: [out.storage], uniforms: new Uniforms().u32(n).u32(k), workgroups: [1],
  });
  return out;
});

/** WebGPU concat: one copy_strided.wgsl dispatch per input, all into one output buffer. */
import type { TensorData } from '../../tensor/backend.js';
import { sizeOf } from '../../tensor/shape.js';
import { planConcat, type ConcatAttrs } from '../concat-plan.js';
import { registerKernel } from '../registry.js';
import type { WebGPUBackend } from './backend.js';
import { gpuStridedCopy } from './basic.js';

registerKernel<WebGPUBackend, ConcatAttrs>('webgpu', 'concat', (b, xs, a) => {
  const dtype = xs[0].dtype;
  const o: TensorData = { shape: a.outShape, dtype, storage: b.alloc(sizeOf(a.outShape), dtype) };
  planConcat(xs.map((x) => x.shape), a).forEach((c, i) => gpuStridedCopy(b, xs[i], o, c));
  return o;
});

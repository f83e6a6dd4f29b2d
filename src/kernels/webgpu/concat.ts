/** WebGPU concat: one copy_strided.wgsl dispatch per input, all into one output buffer. */
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { planConcat } from '../../core/concat-plan.js';
import { webgpuKernels } from './table.js';
import { gpuStridedCopy } from './basic.js';

webgpuKernels.register('concat', (b, xs, a) => {
  const dtype = xs[0].dtype;
  const o: TensorData = { shape: a.outShape, dtype, storage: b.alloc(sizeOf(a.outShape), dtype) };
  planConcat(xs.map((x) => x.shape), a).forEach((c, i) => gpuStridedCopy(b, xs[i], o, c));
  return o;
});

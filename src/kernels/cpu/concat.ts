/** Reference concat: one strided copy per input into one output. */
import type { TensorData } from '../../tensor/backend.js';
import { sizeOf } from '../../tensor/shape.js';
import { planConcat, type ConcatAttrs } from '../concat-plan.js';
import { registerKernel } from '../registry.js';
import type { CPUBackend } from './backend.js';
import { cpuStridedCopy } from './basic.js';

registerKernel<CPUBackend, ConcatAttrs>('cpu', 'concat', (b, xs, a) => {
  const dtype = xs[0].dtype;
  const o: TensorData = { shape: a.outShape, dtype, storage: b.alloc(sizeOf(a.outShape), dtype) };
  planConcat(xs.map((x) => x.shape), a).forEach((c, i) => cpuStridedCopy(xs[i], o, c));
  return o;
});

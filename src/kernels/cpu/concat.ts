/** Reference concat: one strided copy per input into one output. */
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { planConcat } from '../../core/concat-plan.js';
import { cpuKernels } from './table.js';
import { cpuStridedCopy } from './basic.js';

cpuKernels.register('concat', (b, xs, a) => {
  const dtype = xs[0].dtype;
  const o: TensorData = { shape: a.outShape, dtype, storage: b.alloc(sizeOf(a.outShape), dtype) };
  planConcat(xs.map((x) => x.shape), a).forEach((c, i) => cpuStridedCopy(xs[i], o, c));
  return o;
});

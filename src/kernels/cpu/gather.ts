/** Reference gather along an axis and scatter-add (its backward): plain loops, indices in order. */
import type { TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { gatherShape, planGather } from '../../core/gather-plan.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';

function checkIndex(op: string, v: number, j: number, axis: number, len: number): void {
  if (v < 0 || v >= len) fail(op, `index ${v} at position ${j} is out of range for axis ${axis} of size ${len}`);
}

cpuKernels.register('gather', (b, [x, idx], a) => {
  const nIdx = sizeOf(idx.shape);
  const shape = gatherShape(x.shape, a.axis, idx.shape);
  const o: TensorData = { shape, dtype: x.dtype, storage: b.alloc(sizeOf(shape), x.dtype) };
  const { outer, inner } = planGather(x.shape, a.axis, nIdx);
  const len = x.shape[a.axis];
  const src = dataOf(x.storage), ids = dataOf(idx.storage), dst = dataOf(o.storage);
  for (let j = 0; j < nIdx; j++) checkIndex('gather', ids[j], j, a.axis, len);
  for (let o2 = 0; o2 < outer; o2++) {
    for (let j = 0; j < nIdx; j++) {
      for (let i = 0; i < inner; i++) dst[(o2 * nIdx + j) * inner + i] = src[(o2 * len + ids[j]) * inner + i];
    }
  }
  return o;
});

cpuKernels.register('scatterAdd', (b, [g, idx], a) => {
  const nIdx = sizeOf(idx.shape);
  const shape = [...g.shape.slice(0, a.axis), a.axisLen, ...g.shape.slice(a.axis + idx.shape.length)];
  const o: TensorData = { shape, dtype: g.dtype, storage: b.alloc(sizeOf(shape), g.dtype) };
  const { outer, inner } = planGather(shape, a.axis, nIdx);
  const src = dataOf(g.storage), ids = dataOf(idx.storage), dst = dataOf(o.storage);
  dst.fill(0);
  for (let j = 0; j < nIdx; j++) checkIndex('scatterAdd', ids[j], j, a.axis, a.axisLen);
  for (let o2 = 0; o2 < outer; o2++) {
    for (let j = 0; j < nIdx; j++) {
      for (let i = 0; i < inner; i++) dst[(o2 * a.axisLen + ids[j]) * inner + i] += src[(o2 * nIdx + j) * inner + i];
    }
  }
  return o;
});

/** Reference reductions (sum, max, min, argmax, argmin) over any axes. */
import type { TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { planReduce } from '../../core/reduce-plan.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';
import { forEachIndex } from './basic.js';

cpuKernels.register('reduce', (b, [x], a) => {
  const p = planReduce(x.shape, a.axes);
  const arg = a.op === 'argmax' || a.op === 'argmin';
  const dtypeOut = arg ? 'int32' : x.dtype;
  const o: TensorData = { shape: p.outShape, dtype: dtypeOut, storage: b.alloc(p.nOut, dtypeOut) };
  if (p.nRed === 0 && a.op !== 'sum' && p.nOut > 0) fail(a.op, 'reduction over an empty axis has no identity');
  const src = dataOf(x.storage), dst = dataOf(o.storage);
  const offs: number[] = [];
  forEachIndex(p.rShape, [p.rStrides], (_r, [or]) => offs.push(or));
  forEachIndex(p.kShape, [p.kStrides], (i, [base]) => {
    let acc = a.op === 'sum' ? 0 : src[base + offs[0]];
    let best = 0;
    for (let r = a.op === 'sum' ? 0 : 1; r < offs.length; r++) {
      const v = src[base + offs[r]];
      if (a.op === 'sum') acc += v;
      else if (a.op === 'max') acc = Math.max(acc, v);
      else if (a.op === 'min') acc = Math.min(acc, v);
      else if (a.op === 'argmax' ? v > acc : v < acc) { acc = v; best = r; }
    }
    dst[i] = arg ? best : acc;
  });
  return o;
});

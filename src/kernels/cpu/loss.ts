/**
 * Reference cross-entropy and accuracy. Labels are host memory here, so an out-of-range label is a
 * thrown error naming the row (the WebGPU kernels turn that row's loss into NaN instead).
 */
import type { TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';

function checkLabels(op: string, labels: ArrayLike<number>, k: number): void {
  for (let r = 0; r < labels.length; r++) {
    if (labels[r] < 0 || labels[r] >= k) fail(op, `label ${labels[r]} at row ${r} is outside [0, ${k}) (logits have ${k} classes)`);
  }
}

cpuKernels.register('crossEntropy', (b, [x, labels], a) => {
  const [n, k] = x.shape;
  const xs = dataOf(x.storage), ys = dataOf(labels.storage);
  checkLabels('crossEntropy', ys, k);
  const loss: TensorData = { shape: [], dtype: 'float32', storage: b.alloc(1, 'float32') };
  const lse: TensorData = { shape: [n], dtype: 'float32', storage: b.alloc(n, 'float32') };
  const ls = dataOf(lse.storage);
  const eps = a.labelSmoothing;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const row = Array.from(xs.subarray(r * k, (r + 1) * k));
    const m = Math.max(...row);
    const l = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    ls[r] = l;
    total += l - (1 - eps) * row[ys[r]] - (eps / k) * row.reduce((s, v) => s + v, 0);
  }
  dataOf(loss.storage)[0] = total / n;
  return [loss, lse];
});

cpuKernels.register('crossEntropyBackward', (b, [x, labels, lse, g], a) => {
  const [n, k] = x.shape;
  const xs = dataOf(x.storage), ys = dataOf(labels.storage), ls = dataOf(lse.storage), gv = dataOf(g.storage)[0];
  checkLabels('crossEntropy backward', ys, k);
  const dx: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(n * k, 'float32') };
  const out = dataOf(dx.storage);
  const eps = a.labelSmoothing;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      const i = r * k + j;
      out[i] = (Math.exp(xs[i] - ls[r]) - eps / k - (j === ys[r] ? 1 - eps : 0)) * (gv / n);
    }
  }
  return dx;
});

cpuKernels.register('accuracy', (b, [x, labels]) => {
  const [n, k] = x.shape;
  const xs = dataOf(x.storage), ys = dataOf(labels.storage);
  let hits = 0;
  for (let r = 0; r < n; r++) {
    let arg = 0;
    for (let j = 1; j < k; j++) if (xs[r * k + j] > xs[r * k + arg]) arg = j;
    if (arg === ys[r]) hits++;
  }
  const out: TensorData = { shape: [], dtype: 'float32', storage: b.alloc(1, 'float32') };
  dataOf(out.storage)[0] = hits / n;
  return out;
});

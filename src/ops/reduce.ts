/**
 * Reductions over any axes with keepDim, and the softmax family built on them.
 */
import type { ReduceOp } from '../core/reduce-plan.js';
import { record } from '../tensor/tensor.js';
import { fail } from '../core/errors.js';
import { normalizeAxes, sizeOf } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { reshape } from './creation.js';
import { div, eq, exp, log, mul, sub } from './elementwise.js';
import { checkTensor, run } from './util.js';

export interface ReduceOptions {
  keepDim?: boolean;
}
type Axes = number | readonly number[] | undefined;

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceKernel(op: ReduceOp, x: Tensor, axes: readonly number[], keepDim: boolean): Tensor {
  const out = run(op, 'reduce', [x], { op, axes });
  return keepDim ? reshape(out, keptShape(x.shape, axes)) : out;
}

export function sum(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  checkTensor('sum', x);
  const ax = normalizeAxes('sum', axes, x.rank);
  const out = reduceKernel('sum', x, ax, opts.keepDim ?? false);
  return record('sum', [x], out, (g) => [broadcastTo(reshape(g, keptShape(x.shape, ax)), x.shape)]);
}

export function mean(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  checkTensor('mean', x);
  const ax = normalizeAxes('mean', axes, x.rank);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  return mul(sum(x, ax, opts), 1 / n);
}

function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, opts: ReduceOptions): Tensor {
  checkTensor(op, x);
  const ax = normalizeAxes(op, axes, x.rank);
  const out = reduceKernel(op, x, ax, opts.keepDim ?? false);
  return record(op, [x], out, (g) => {
    // The gradient is shared evenly among tied extremes (PyTorch's amax/amin rule).
    const kept = keptShape(x.shape, ax);
    const hit = eq(x, reshape(out, kept));
    const count = reshape(reduceKernel('sum', hit, ax, false), kept);
    return [mul(div(hit, count), reshape(g, kept))];
  });
}
export const max = (x: Tensor, axes?: Axes, opts: ReduceOptions = {}) => extreme('max', x, axes, opts);
export const min = (x: Tensor, axes?: Axes, opts: ReduceOptions = {}) => extreme('min', x, axes, opts);

export function argmax(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  checkTensor('argmax', x);
  return reduceKernel('argmax', x, normalizeAxes('argmax', axis, x.rank), opts.keepDim ?? false);
}
export function argmin(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  checkTensor('argmin', x);
  return reduceKernel('argmin', x, normalizeAxes('argmin', axis, x.rank), opts.keepDim ?? false);
}

/** Broadcast x to `shape` (materialized). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('broadcastTo', x);
  if (shape.length < x.rank) fail('broadcastTo', `cannot broadcast rank ${x.rank} to rank ${shape.length}`);
  const off = shape.length - x.rank;
  const xStrides: number[] = new Array(shape.length).fill(0);
  let acc = 1;
  for (let i = x.rank - 1; i >= 0; i--) {
    if (x.shape[i] !== 1 && x.shape[i] !== shape[off + i]) fail('broadcastTo', `cannot broadcast [${x.shape}] to [${shape}]`);
    xStrides[off + i] = x.shape[i] === 1 ? 0 : acc;
    acc *= x.shape[i];
  }
  const outStrides: number[] = [];
  acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    outStrides[i] = acc;
    acc *= shape[i];
  }
  const out = run('broadcastTo', 'stridedCopy', [x], { shape, xStrides, xBase: 0, outStrides, outBase: 0, outShape: shape });
  return record('broadcastTo', [x], out, (g) => {
    const axes = shape.map((_, i) => i).filter((i) => i < off || (x.shape[i - off] === 1 && shape[i] !== 1));
    return [reshape(sum(g, axes), x.shape)];
  });
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkTensor('logSoftmax', x);
  const ax = normalizeAxes('logSoftmax', axis, x.rank);
  const m = reduceKernel('max', x, ax, true);
  const shifted = sub(x, m);
  return sub(shifted, log(sum(exp(shifted), ax, { keepDim: true })));
}

export function softmax(x: Tensor, axis = -1): Tensor {
  checkTensor('softmax', x);
  normalizeAxes('softmax', axis, x.rank); // so a bad axis is reported as softmax's, not logSoftmax's
  return exp(logSoftmax(x, axis));
}

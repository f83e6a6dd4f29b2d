/**
 * Elementwise ops with NumPy broadcasting. Each op's forward and backward sit together.
 */
import type { BinaryOp, UnaryOp } from '../core/elementwise.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import { broadcastShapes, reducedAxesForBroadcast, shapesEqual } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { reshape } from './creation.js';
import { asTensor, checkSameDType, checkTensor, run, type TensorLike } from './util.js';

function unaryKernel(op: UnaryOp, x: Tensor): Tensor {
  checkTensor(op, x);
  return run(op, 'unary', [x], { op });
}

function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  checkTensor(op, a, 'first operand');
  checkTensor(op, b, 'second operand');
  checkSameDType(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return run(op, 'binary', [a, b], { op, shape });
}

/**
 * Sum a broadcast gradient back to `shape`. Backward runs under noGrad, so the reduce kernel is called
 * directly (the `sum` op of reduce.ts would only add a node nobody records).
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const axes = reducedAxesForBroadcast(shape, g.shape);
  return reshape(run('sum', 'reduce', [g], { op: 'sum', axes }), shape);
}

const needs = (t: Tensor) => t.requiresGrad;

// --- unary ---------------------------------------------------------------------------------------

export const neg = (x: Tensor): Tensor => record('neg', [x], unaryKernel('neg', x), (g) => [neg(g)]);
export const abs = (x: Tensor): Tensor => record('abs', [x], unaryKernel('abs', x), (g) => [mul(g, sign(x))]);
export const sign = (x: Tensor): Tensor => record('sign', [x], unaryKernel('sign', x), (g) => [mul(g, 0)]);
export const step = (x: Tensor): Tensor => unaryKernel('step', x);
export function exp(x: Tensor): Tensor {
  const y = unaryKernel('exp', x);
  return record('exp', [x], y, (g) => [mul(g, y)]);
}
export const log = (x: Tensor): Tensor => record('log', [x], unaryKernel('log', x), (g) => [div(g, x)]);
export function sqrt(x: Tensor): Tensor {
  const y = unaryKernel('sqrt', x);
  return record('sqrt', [x], y, (g) => [div(g, mul(y, 2))]);
}
export function rsqrt(x: Tensor): Tensor {
  const y = unaryKernel('rsqrt', x);
  // d/dx x^-1/2 = -1/2 · x^-3/2 = -1/2 · y³
  return record('rsqrt', [x], y, (g) => [mul(g, mul(pow(y, 3), -0.5))]);
}
export const relu = (x: Tensor): Tensor => record('relu', [x], unaryKernel('relu', x), (g) => [mul(g, step(x))]);
export function sigmoid(x: Tensor): Tensor {
  const y = unaryKernel('sigmoid', x);
  return record('sigmoid', [x], y, (g) => [mul(g, mul(y, sub(1, y)))]);
}
export function tanh(x: Tensor): Tensor {
  const y = unaryKernel('tanh', x);
  return record('tanh', [x], y, (g) => [mul(g, sub(1, square(y)))]);
}
export const square = (x: Tensor): Tensor => record('square', [x], unaryKernel('square', x), (g) => [mul(g, mul(x, 2))]);
export function reciprocal(x: Tensor): Tensor {
  const y = unaryKernel('reciprocal', x);
  return record('reciprocal', [x], y, (g) => [neg(mul(g, square(y)))]);
}

// --- binary --------------------------------------------------------------------------------------

function pair(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') fail('binary op', 'at least one operand must be a Tensor');
  const ta = typeof a === 'number' ? asTensor(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? asTensor(b, ta) : b;
  return [ta, tb];
}

/**
 * Run `fn` on the operands with numbers made into scalar tensors. A scalar nobody can see is freed
 * right away unless the autograd node of the result holds it (then tidy frees it with the graph);
 * otherwise every `mul(x, 2)` outside a tidy, and every backward run outside one, would leak it.
 */
function withOperands(a: TensorLike, b: TensorLike, fn: (x: Tensor, y: Tensor) => Tensor): Tensor {
  const [x, y] = pair(a, b);
  let out: Tensor | null = null;
  try {
    out = fn(x, y);
    return out;
  } finally {
    for (const [t, made] of [[x, a], [y, b]] as const) {
      if (typeof made === 'number' && t !== out && !out?.node?.inputs.includes(t)) t.dispose();
    }
  }
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('add', [x, y], binaryKernel('add', x, y), (g) => [needs(x) ? unbroadcast(g, x.shape) : null, needs(y) ? unbroadcast(g, y.shape) : null]));
}
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('sub', [x, y], binaryKernel('sub', x, y), (g) => [needs(x) ? unbroadcast(g, x.shape) : null, needs(y) ? unbroadcast(neg(g), y.shape) : null]));
}
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('mul', [x, y], binaryKernel('mul', x, y), (g) => [
    needs(x) ? unbroadcast(mul(g, y), x.shape) : null,
    needs(y) ? unbroadcast(mul(g, x), y.shape) : null,
  ]));
}
export function div(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('div', [x, y], binaryKernel('div', x, y), (g) => [
    needs(x) ? unbroadcast(div(g, y), x.shape) : null,
    needs(y) ? unbroadcast(neg(div(mul(g, x), square(y))), y.shape) : null,
  ]));
}
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => {
    const out = binaryKernel('pow', x, y);
    return record('pow', [x, y], out, (g) => [
      needs(x) ? unbroadcast(mul(g, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
      // d/dy x^y = x^y · ln x (defined for x > 0, as in PyTorch)
      needs(y) ? unbroadcast(mul(g, mul(out, log(x))), y.shape) : null,
    ]);
  });
}
/** Gradient goes to the larger input (to both halves on ties, as PyTorch does). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('maximum', [x, y], binaryKernel('maximum', x, y), (g) => {
    const gt = binaryKernel('gt', x, y), eq = binaryKernel('eq', x, y);
    const wx = add(gt, mul(eq, 0.5)), wy = sub(1, wx);
    return [needs(x) ? unbroadcast(mul(g, wx), x.shape) : null, needs(y) ? unbroadcast(mul(g, wy), y.shape) : null];
  }));
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return withOperands(a, b, (x, y) => record('minimum', [x, y], binaryKernel('minimum', x, y), (g) => {
    const lt = binaryKernel('lt', x, y), eq = binaryKernel('eq', x, y);
    const wx = add(lt, mul(eq, 0.5)), wy = sub(1, wx);
    return [needs(x) ? unbroadcast(mul(g, wx), x.shape) : null, needs(y) ? unbroadcast(mul(g, wy), y.shape) : null];
  }));
}

// Comparisons: float32 0/1 results, no gradient.
export const eq = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('eq', x, y));
export const ne = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('ne', x, y));
export const lt = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('lt', x, y));
export const le = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('le', x, y));
export const gt = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('gt', x, y));
export const ge = (a: TensorLike, b: TensorLike): Tensor => withOperands(a, b, (x, y) => binaryKernel('ge', x, y));

/** where(cond, a, b): cond is float32 (non-zero = true), a and b broadcast with it. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', cond, 'condition');
  if (cond.dtype !== 'float32') fail('where', `condition must be float32 (0/1), got ${cond.dtype} ${fmtShape(cond.shape)}`);
  return withOperands(a, b, (x, y) => {
    checkSameDType('where', x, y);
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
    const out = run('where', 'where', [cond, x, y], { shape });
    return record('where', [x, y], out, (g) => {
      const zero = mul(g, 0);
      return [needs(x) ? unbroadcast(where(cond, g, zero), x.shape) : null, needs(y) ? unbroadcast(where(cond, zero, g), y.shape) : null];
    });
  });
}

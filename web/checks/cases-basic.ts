/**
 * Op checks for the engine foundation: elementwise (unary, binary with broadcasting, comparisons,
 * where), reductions and the softmax family, creation and random draws, casts and views.
 */
import fc from 'fast-check';
import * as rj from '../../src/index.js';
import { opCase, type AnyCase, type InputSpec } from './runner.js';

const dim = fc.integer({ min: 1, max: 6 });
const shape = fc.array(dim, { minLength: 1, maxLength: 4 });

/** A shape and a second shape that broadcasts against it (dropped leading dims, some dims set to 1). */
const broadcastPair = fc
  .tuple(shape, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 2 }), fc.boolean())
  .map(([a, ones, drop, swap]) => {
    const b = a.slice(Math.min(drop, a.length - 1)).map((d, i) => (ones[i] ? 1 : d));
    return swap ? { a: b, b: a } : { a, b };
  });

/** A shape with a non-empty set of axes to reduce over and keepDim. */
const reduction = shape.chain((s) =>
  fc.record({ shape: fc.constant(s), axes: fc.subarray(s.map((_, i) => i), { minLength: 1 }), keepDim: fc.boolean() }),
);
const withAxis = shape.chain((s) => fc.record({ shape: fc.constant(s), axis: fc.integer({ min: 0, max: s.length - 1 }) }));

type Unary = (x: rj.Tensor) => rj.Tensor;
const unary = (name: string, fn: Unary, range: Partial<InputSpec> = {}, grad = true): AnyCase =>
  opCase({ name, params: shape, inputs: (s) => [{ shape: s, grad, ...range }], run: ([x]) => fn(x) });

type Binary = (a: rj.Tensor, b: rj.Tensor) => rj.Tensor;
const binary = (name: string, fn: Binary, ranges: [Partial<InputSpec>, Partial<InputSpec>] = [{}, {}], grad = true): AnyCase =>
  opCase({
    name,
    params: broadcastPair,
    inputs: ({ a, b }) => [{ shape: a, grad, ...ranges[0] }, { shape: b, grad, ...ranges[1] }],
    run: ([x, y]) => fn(x, y),
  });

const positive = { low: 0.2, high: 3 };
// Small whole numbers, so that comparisons and extremes see ties.
const ints = { low: -2, high: 3, integers: true };

export const basicCases: AnyCase[] = [
  unary('neg', rj.neg),
  unary('abs', rj.abs),
  unary('sign', rj.sign, {}, false),
  unary('step', rj.step, {}, false),
  unary('exp', rj.exp),
  unary('log', rj.log, positive),
  unary('sqrt', rj.sqrt, positive),
  unary('rsqrt', rj.rsqrt, positive),
  unary('relu', rj.relu),
  unary('sigmoid', rj.sigmoid, { low: -6, high: 6 }),
  unary('tanh', rj.tanh, { low: -4, high: 4 }),
  unary('square', rj.square),
  unary('reciprocal', rj.reciprocal, positive),
  binary('add', rj.add),
  binary('sub', rj.sub),
  binary('mul', rj.mul),
  binary('div', rj.div, [{}, positive]),
  binary('pow', rj.pow, [positive, { low: -2, high: 2 }]),
  binary('maximum', rj.maximum),
  binary('minimum', rj.minimum),
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map((op) =>
    binary(op, rj[op], [ints, ints], false),
  ),
  opCase({
    name: 'where',
    params: broadcastPair,
    inputs: ({ a, b }) => [{ shape: a }, { shape: b, grad: true }, { shape: a, grad: true }],
    run: ([c, x, y]) => rj.where(rj.gt(c, 0), x, y),
  }),
  opCase({ name: 'scalar operands', params: shape, inputs: (s) => [{ shape: s, grad: true }], run: ([x]) => rj.sub(rj.div(rj.mul(rj.add(x, 3), 0.5), 4), 1) }),
  ...(['sum', 'mean', 'max', 'min'] as const).map((op) =>
    opCase({
      name: op,
      params: reduction,
      inputs: (p) => [{ shape: p.shape, grad: true }],
      run: ([x], p) => rj[op](x, p.axes, { keepDim: p.keepDim }),
    }),
  ),
  opCase({ name: 'max with ties', params: reduction, inputs: (p) => [{ shape: p.shape, grad: true, ...ints }], run: ([x], p) => rj.max(x, p.axes) }),
  opCase({ name: 'sum of everything', params: shape, inputs: (s) => [{ shape: s, grad: true }], run: ([x]) => rj.sum(x) }),
  ...(['argmax', 'argmin'] as const).map((op) =>
    opCase({ name: op, params: withAxis, inputs: (p) => [{ shape: p.shape }], run: ([x], p) => rj[op](x, p.axis) }),
  ),
  ...(['logSoftmax', 'softmax'] as const).map((op) =>
    opCase({ name: op, params: withAxis, inputs: (p) => [{ shape: p.shape, grad: true, low: -5, high: 5 }], run: ([x], p) => rj[op](x, p.axis) }),
  ),
  opCase({ name: 'broadcastTo', params: broadcastPair, inputs: ({ a, b }) => [{ shape: a, grad: true }, { shape: b }], run: ([x, y]) => rj.broadcastTo(x, rj.add(x, y).shape) }),
  opCase({ name: 'reshape', params: shape, inputs: (s) => [{ shape: s, grad: true }], run: ([x]) => rj.mul(rj.reshape(x, [-1]), rj.reshape(x, [-1])) }),
  opCase({ name: 'copy', params: shape, inputs: (s) => [{ shape: s, grad: true }], run: ([x]) => rj.copy(x) }),
  opCase({ name: 'cast float32 → int32', params: shape, inputs: (s) => [{ shape: s, low: -5, high: 5 }], run: ([x]) => rj.cast(x, 'int32') }),
  opCase({ name: 'cast int32 → float32', params: shape, inputs: (s) => [{ shape: s, dtype: 'int32', low: -1000, high: 1000 }], run: ([x]) => rj.cast(x, 'float32') }),
  opCase({ name: 'arange', params: fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 40 })), inputs: () => [], run: (_, [a, n]) => rj.arange(a, a + n) }),
  opCase({ name: 'full', params: fc.tuple(shape, fc.float({ min: -100, max: 100, noNaN: true })), inputs: () => [], run: (_, [s, v]) => rj.full(s, v) }),
  opCase({ name: 'rand (same bits)', params: fc.tuple(shape, fc.integer({ min: 0, max: 1e6 })), inputs: () => [], run: (_, [s, seed]) => rj.rand(s, { seed }), atol: 0, rtol: 0 }),
  opCase({ name: 'randn (same bits)', params: fc.tuple(shape, fc.integer({ min: 0, max: 1e6 })), inputs: () => [], run: (_, [s, seed]) => rj.randn(s, { seed, std: 2 }), atol: 0, rtol: 0 }),
  opCase({
    name: 'large elementwise with broadcast',
    params: fc.integer({ min: 0, max: 3 }),
    runs: 1,
    inputs: (k) => [{ shape: [515 + k, 1024], grad: true }, { shape: [1024] }],
    run: ([x, b]) => rj.relu(rj.add(x, b)),
  }),
  opCase({
    name: 'composite: mean squared error of tanh',
    params: shape,
    inputs: (s) => [{ shape: s, grad: true }, { shape: s, grad: true }],
    run: ([x, y]) => rj.mean(rj.square(rj.sub(rj.tanh(x), y))),
  }),
];

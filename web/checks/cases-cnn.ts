/**
 * Op checks for the CNN training ops (issue 3): conv2d (stride, padding, dilation, odd shapes, bias),
 * batch norm in training (running statistics updated) and eval mode, pooling, cross-entropy and
 * accuracy, matmul, dropout (same bits), shape ops, and the fused SGD update with NR's l1 term.
 */
import fc from 'fast-check';
import * as rj from '../../src/index.js';
import { opCase, type AnyCase } from './runner.js';

const conv = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }), cin: fc.integer({ min: 1, max: 6 }), cout: fc.integer({ min: 1, max: 9 }),
    h: fc.integer({ min: 3, max: 10 }), w: fc.integer({ min: 3, max: 10 }), k: fc.constantFrom(1, 3, 5),
    stride: fc.integer({ min: 1, max: 2 }), padding: fc.integer({ min: 0, max: 2 }), dilation: fc.integer({ min: 1, max: 2 }), bias: fc.boolean(),
  })
  .filter((p) => p.h + 2 * p.padding - p.dilation * (p.k - 1) >= 1 && p.w + 2 * p.padding - p.dilation * (p.k - 1) >= 1);

const nchw = fc.record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 6 }), h: fc.integer({ min: 2, max: 9 }), w: fc.integer({ min: 2, max: 9 }) });

const pool = nchw.chain((s) =>
  fc.record({ s: fc.constant(s), k: fc.integer({ min: 1, max: Math.min(3, s.h, s.w) }), stride: fc.integer({ min: 1, max: 3 }) })
    .chain((p) => fc.record({ s: fc.constant(p.s), k: fc.constant(p.k), stride: fc.constant(p.stride), padding: fc.integer({ min: 0, max: Math.floor(p.k / 2) }) })),
);

const classes = fc.record({ n: fc.integer({ min: 1, max: 12 }), c: fc.integer({ min: 2, max: 12 }), smoothing: fc.constantFrom(0, 0, 0.1) });

const flat = (t: rj.Tensor) => rj.reshape(t, [-1]);

export const cnnCases: AnyCase[] = [
  opCase({
    name: 'conv2d',
    params: conv,
    runs: 6,
    atol: 1e-4,
    inputs: (p) => [
      { shape: [p.n, p.cin, p.h, p.w], grad: true },
      { shape: [p.cout, p.cin, p.k, p.k], grad: true, low: -0.5, high: 0.5 },
      ...(p.bias ? [{ shape: [p.cout], grad: true }] : []),
    ],
    run: ([x, w, b], p) => rj.conv2d(x, w, b ?? null, { stride: p.stride, padding: p.padding, dilation: p.dilation }),
  }),
  opCase({
    name: 'conv2d 3×3, H ≠ W, rectangular stride and padding',
    params: fc.record({ n: fc.integer({ min: 1, max: 2 }), cin: fc.integer({ min: 1, max: 9 }), cout: fc.integer({ min: 1, max: 17 }) }),
    atol: 1e-4,
    inputs: (p) => [{ shape: [p.n, p.cin, 7, 12], grad: true }, { shape: [p.cout, p.cin, 3, 3], grad: true, low: -0.5, high: 0.5 }],
    run: ([x, w]) => rj.conv2d(x, w, null, { stride: [1, 2], padding: [1, 0] }),
  }),
  opCase({
    name: 'batchNorm (training, running statistics updated)',
    params: nchw,
    atol: 1e-4,
    inputs: (s) => [
      { shape: [s.n, s.c, s.h, s.w], grad: true, low: -3, high: 5 },
      { shape: [s.c] }, { shape: [s.c], low: 0.5, high: 2 },
      { shape: [s.c], grad: true, low: 0.5, high: 1.5 }, { shape: [s.c], grad: true },
    ],
    run: ([x, rm, rv, w, b]) => {
      const y = rj.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.1, eps: 1e-5 });
      return rj.concat([flat(y), rm, rv]);
    },
  }),
  opCase({
    name: 'batchNorm (training) with |mean| ≫ std',
    params: nchw.filter((s) => s.n * s.h * s.w >= 4),
    atol: 2e-3,
    rtol: 1e-3,
    inputs: (s) => [{ shape: [s.n, s.c, s.h, s.w], grad: true, low: 1000, high: 1001 }, { shape: [s.c], grad: true, low: 0.5, high: 1.5 }, { shape: [s.c], grad: true }],
    run: ([x, w, b]) => rj.batchNorm(x, null, null, w, b, { training: true }),
  }),
  opCase({
    name: 'batchNorm (eval)',
    params: nchw,
    inputs: (s) => [{ shape: [s.n, s.c, s.h, s.w], grad: true }, { shape: [s.c] }, { shape: [s.c], low: 0.5, high: 2 }, { shape: [s.c], grad: true }, { shape: [s.c], grad: true }],
    run: ([x, rm, rv, w, b]) => rj.batchNorm(x, rm, rv, w, b, { training: false }),
  }),
  opCase({
    name: 'maxPool2d',
    params: pool,
    runs: 6,
    inputs: (p) => [{ shape: [p.s.n, p.s.c, p.s.h, p.s.w], grad: true }],
    run: ([x], p) => rj.maxPool2d(x, { kernelSize: p.k, stride: p.stride, padding: p.padding }),
  }),
  opCase({
    name: 'maxPool2d with ties',
    params: pool,
    inputs: (p) => [{ shape: [p.s.n, p.s.c, p.s.h, p.s.w], grad: true, low: -1, high: 2, integers: true }],
    run: ([x], p) => rj.maxPool2d(x, { kernelSize: p.k, stride: p.stride, padding: p.padding }),
  }),
  opCase({
    name: 'avgPool2d',
    params: fc.tuple(pool, fc.boolean()),
    runs: 6,
    inputs: ([p]) => [{ shape: [p.s.n, p.s.c, p.s.h, p.s.w], grad: true }],
    run: ([x], [p, countIncludePad]) => rj.avgPool2d(x, { kernelSize: p.k, stride: p.stride, padding: p.padding, countIncludePad }),
  }),
  opCase({ name: 'adaptiveAvgPool2d(1)', params: nchw, inputs: (s) => [{ shape: [s.n, s.c, s.h, s.w], grad: true }], run: ([x]) => rj.adaptiveAvgPool2d(x, 1) }),
  opCase({
    name: 'crossEntropy',
    params: classes,
    runs: 6,
    inputs: (p) => [{ shape: [p.n, p.c], grad: true, low: -4, high: 4 }, { shape: [p.n], dtype: 'int32', low: 0, high: p.c }],
    run: ([logits, y], p) => rj.crossEntropy(logits, y, { labelSmoothing: p.smoothing }),
  }),
  opCase({
    name: 'accuracy',
    params: classes,
    inputs: (p) => [{ shape: [p.n, p.c] }, { shape: [p.n], dtype: 'int32', low: 0, high: p.c }],
    run: ([logits, y]) => rj.accuracy(logits, y),
  }),
  opCase({
    name: 'matmul',
    params: fc.record({ m: fc.integer({ min: 1, max: 33 }), k: fc.integer({ min: 1, max: 33 }), n: fc.integer({ min: 1, max: 33 }), transA: fc.boolean(), transB: fc.boolean() }),
    runs: 6,
    atol: 1e-4,
    inputs: (p) => [{ shape: p.transA ? [p.k, p.m] : [p.m, p.k], grad: true }, { shape: p.transB ? [p.n, p.k] : [p.k, p.n], grad: true }],
    run: ([a, b], p) => rj.matmul(a, b, { transA: p.transA, transB: p.transB }),
  }),
  opCase({
    name: 'matmul (batched, broadcast)',
    params: fc.record({ batch: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 9 }) }),
    atol: 1e-4,
    inputs: (p) => [{ shape: [p.batch, p.m, p.k], grad: true }, { shape: [p.k, p.n], grad: true }],
    run: ([a, b]) => rj.matmul(a, b),
  }),
  opCase({
    name: 'dropout (same bits)',
    params: fc.tuple(nchw, fc.constantFrom(0.1, 0.5, 0.9), fc.integer({ min: 0, max: 1e6 })),
    inputs: ([s]) => [{ shape: [s.n, s.c, s.h, s.w], grad: true }],
    run: ([x], [, p, seed]) => rj.dropout(x, p, { training: true, seed }),
  }),
  opCase({
    name: 'transpose',
    params: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }).chain((s) => fc.record({ s: fc.constant(s), perm: fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }) })),
    inputs: (p) => [{ shape: p.s, grad: true }],
    run: ([x], p) => rj.transpose(x, p.perm),
  }),
  opCase({
    name: 'pad and slice',
    params: nchw,
    inputs: (s) => [{ shape: [s.n, s.c, s.h, s.w], grad: true }],
    run: ([x], s) => rj.slice(rj.pad(x, [[0, 0], [0, 1], [2, 1], [1, 3]], 0.5), [0, 1, 1, 2], [s.n, s.c, s.h, s.w]),
  }),
  opCase({
    name: 'concat',
    params: fc.tuple(nchw, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 })),
    inputs: ([s, axis, extra]) => {
      const other = [s.n, s.c, s.h, s.w];
      other[axis] = extra;
      return [{ shape: [s.n, s.c, s.h, s.w], grad: true }, { shape: other, grad: true }];
    },
    run: ([a, b], [, axis]) => rj.concat([a, b], axis),
  }),
  opCase({
    name: 'gather (repeated indices: scatter-add backward)',
    params: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 12 })),
    inputs: ([rows, cols, k]) => [{ shape: [rows, cols], grad: true }, { shape: [k], dtype: 'int32', low: 0, high: rows }],
    run: ([x, idx]) => rj.gather(x, idx, 0),
  }),
  opCase({
    name: 'sgdUpdate (momentum, weight decay, NR l1)',
    params: fc.tuple(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 2 }), fc.boolean(), fc.constantFrom(0, 1e-3)),
    inputs: ([s]) => [{ shape: s }, { shape: s }, { shape: s }],
    run: ([p, g, m], [, nesterov, l1]) => {
      const buf = rj.sgdUpdate(p, g, m, { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, nesterov, l1 });
      return rj.concat([flat(p), flat(buf ?? m)]);
    },
  }),
];

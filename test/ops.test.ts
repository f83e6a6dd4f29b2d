/**
 * Every foundation op: WebGPU against the reference backend on fast-check random shapes and values
 * (broadcasting, size-1 axes, odd sizes, int32 where defined, large axes that take the multi-pass
 * reduction), plus hand-checked values of the shape ops on both backends.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MULTIPASS_CHUNK, reduceTuning, useMultiPass } from '../src/kernels/webgpu/reduce.js';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';
import { broadcastPairArb, expectSameOnBoth, prng, randInts, randValues, RUNS, seedArb, shapeArb, size } from './helpers/compare.js';

afterAll(() => destroyGpu());

const f32 = (shape: number[], seed: number, lo = -3, hi = 3) => rj.tensor(randValues(size(shape), seed, lo, hi), shape);
const i32 = (shape: number[], seed: number, lo = -9, hi = 10) => rj.tensor(randInts(size(shape), seed, lo, hi), shape, { dtype: 'int32' });

/** A random subset of axes (possibly empty) of a rank. */
function randomAxes(rank: number, seed: number): number[] {
  const r = prng(seed);
  return Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
}
function randomPerm(rank: number, seed: number): number[] {
  const r = prng(seed);
  const keys = Array.from({ length: rank }, () => r());
  return Array.from({ length: rank }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
}

describe('elementwise: webgpu vs reference', () => {
  const unaryDomains: [string, (x: rj.Tensor) => rj.Tensor, number, number][] = [
    ['neg', rj.neg, -5, 5], ['abs', rj.abs, -5, 5], ['sign', rj.sign, -2, 2], ['step', rj.step, -2, 2],
    ['exp', rj.exp, -10, 10], ['log', rj.log, 0.01, 50], ['sqrt', rj.sqrt, 0, 50], ['rsqrt', rj.rsqrt, 0.01, 50],
    ['relu', rj.relu, -5, 5], ['sigmoid', rj.sigmoid, -20, 20], ['tanh', rj.tanh, -10, 10],
    ['square', rj.square, -5, 5], ['reciprocal', rj.reciprocal, 0.1, 5],
  ];
  for (const [name, fn, lo, hi] of unaryDomains) {
    it(`${name} (float32)`, async () => {
      await fc.assert(fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
        await expectSameOnBoth(`${name} ${JSON.stringify(shape)}`, () => fn(f32(shape, seed, lo, hi)), 2e-6, 1e-6);
      }), { numRuns: RUNS });
    });
  }
  for (const [name, fn] of [['neg', rj.neg], ['abs', rj.abs], ['sign', rj.sign], ['relu', rj.relu], ['square', rj.square], ['step', rj.step]] as const) {
    it(`${name} (int32)`, async () => {
      await fc.assert(fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
        const [r] = await expectSameOnBoth(`${name} int32`, () => fn(i32(shape, seed)), 0, 0);
        expect(r.dtype).toBe('int32');
      }), { numRuns: 8 });
    });
  }

  const binary: [string, (a: rj.Tensor | number, b: rj.Tensor | number) => rj.Tensor, number, number][] = [
    ['add', rj.add, -5, 5], ['sub', rj.sub, -5, 5], ['mul', rj.mul, -5, 5], ['div', rj.div, 0.2, 5], ['pow', rj.pow, 0.1, 3],
    ['maximum', rj.maximum, -2, 2], ['minimum', rj.minimum, -2, 2],
    ['eq', rj.eq, -2, 2], ['ne', rj.ne, -2, 2], ['lt', rj.lt, -2, 2], ['le', rj.le, -2, 2], ['gt', rj.gt, -2, 2], ['ge', rj.ge, -2, 2],
  ];
  for (const [name, fn, lo, hi] of binary) {
    it(`${name} with broadcasting (float32)`, async () => {
      await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ({ a, b }, seed) => {
        // Comparisons get integer-valued floats so that ties happen.
        const cmp = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'maximum', 'minimum'].includes(name);
        const mk = (s: number[], sd: number) => (cmp ? rj.tensor(randInts(size(s), sd, lo, hi), s) : f32(s, sd, lo, hi));
        await expectSameOnBoth(`${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`, () => fn(mk(a, seed), mk(b, seed + 1)), 4e-6, 1e-6);
      }), { numRuns: RUNS });
    });
  }
  for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'lt', 'ge'] as const) {
    it(`${name} with broadcasting (int32)`, async () => {
      await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ({ a, b }, seed) => {
        // int32 division truncates toward zero and x / 0 is 0 on both backends.
        await expectSameOnBoth(`${name} int32`, () => (rj[name] as (a: rj.Tensor, b: rj.Tensor) => rj.Tensor)(i32(a, seed), i32(b, seed + 1, -4, 5)), 0, 0);
      }), { numRuns: 8 });
    });
  }
  it('pow: negative bases with integral exponents, zero bases and zero exponents', async () => {
    await expectSameOnBoth('pow special', () => rj.pow(rj.tensor([-2, -2, -1.5, 0, 0, 3, -3, 0]), rj.tensor([2, 3, 2, 2, 0, 0, -1, -1])), 1e-6);
  });
  it('scalar operands take the tensor dtype', async () => {
    const [r] = await expectSameOnBoth('add scalar', () => rj.add(i32([3], 1), 2), 0, 0);
    expect(r.dtype).toBe('int32');
  });
  it('where with a broadcast condition', async () => {
    await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ({ a, b }, seed) => {
      await expectSameOnBoth('where', () => rj.where(rj.gt(f32(a, seed), 0), f32(b, seed + 1), f32(a, seed + 2)), 0, 0);
    }), { numRuns: RUNS });
  });
});

describe('reductions: webgpu vs reference', () => {
  const reduceArb = fc.tuple(shapeArb(1, 4, 7), seedArb, seedArb, fc.boolean());
  for (const name of ['sum', 'mean', 'max', 'min'] as const) {
    it(`${name} over random axes, keepDim`, async () => {
      await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, axSeed, keepDim]) => {
        const axes = randomAxes(shape.length, axSeed);
        await expectSameOnBoth(`${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`, () => rj[name](f32(shape, seed), axes.length ? axes : undefined, { keepDim }), 1e-5, 1e-5);
      }), { numRuns: RUNS });
    });
  }
  it('sum/max/min of int32 tensors', async () => {
    await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, axSeed, keepDim]) => {
      const axes = randomAxes(shape.length, axSeed);
      for (const op of ['sum', 'max', 'min'] as const) {
        const [r] = await expectSameOnBoth(`${op} int32`, () => rj[op](i32(shape, seed), axes, { keepDim }), 0, 0);
        expect(r.dtype).toBe('int32');
      }
    }), { numRuns: 8 });
  });
  it('argmax/argmin pick the first of tied extremes', async () => {
    await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, axSeed, keepDim]) => {
      const axis = Math.floor(prng(axSeed)() * shape.length) - (axSeed % 2 ? shape.length : 0);
      const x = () => rj.tensor(randInts(size(shape), seed, 0, 3), shape);
      const [r] = await expectSameOnBoth('argmax', () => rj.argmax(x(), axis, { keepDim }), 0, 0);
      expect(r.dtype).toBe('int32');
      await expectSameOnBoth('argmin', () => rj.argmin(x(), axis, { keepDim }), 0, 0);
    }), { numRuns: RUNS });
  });
  it('softmax and logSoftmax along a random axis', async () => {
    await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, axSeed]) => {
      const axis = Math.floor(prng(axSeed)() * shape.length);
      await expectSameOnBoth('softmax', () => rj.softmax(f32(shape, seed, -8, 8), axis), 1e-5, 1e-6);
      await expectSameOnBoth('logSoftmax', () => rj.logSoftmax(f32(shape, seed, -8, 8), axis), 1e-5, 1e-5);
    }), { numRuns: RUNS });
  });
  it('reductions over an empty axis: sum is 0', async () => {
    await expectSameOnBoth('sum empty', () => rj.sum(rj.zeros([3, 0]), 1), 0, 0);
  });

  it('multi-pass forced on small random shapes (chunks of 3), every op and keepDim', async () => {
    const saved = { ...reduceTuning };
    Object.assign(reduceTuning, { chunk: 3, minRed: 2, maxOut: Infinity });
    try {
      await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, axSeed, keepDim]) => {
        const axes = randomAxes(shape.length, axSeed);
        const axis = axSeed % shape.length;
        const ties = () => rj.tensor(randInts(size(shape), seed, 0, 3), shape);
        await expectSameOnBoth(`forced multi-pass ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`, () => [
          rj.sum(f32(shape, seed), axes, { keepDim }), rj.max(ties(), axes, { keepDim }), rj.min(ties(), axes),
          rj.argmax(ties(), axis, { keepDim }), rj.argmin(ties(), axis), rj.sum(i32(shape, seed), axes),
        ], 1e-5, 1e-5);
      }), { numRuns: RUNS });
    } finally {
      Object.assign(reduceTuning, saved);
    }
  });

  describe('long axes (multi-pass on WebGPU)', () => {
    it('sum, max, min of 10^6 elements', async () => {
      const n = 1_000_000;
      expect(useMultiPass(1, n)).toBe(true);
      expect(useMultiPass(1, Math.ceil(n / MULTIPASS_CHUNK))).toBe(true); // the partials take a second multi-pass round
      const vals = randValues(n, 7, -1, 1);
      const absSum = vals.reduce((a, v) => a + Math.abs(v), 0);
      await expectSameOnBoth('sum 1e6', () => rj.sum(rj.tensor(vals, [n])), 0, 2e-6 * absSum);
      await expectSameOnBoth('max/min 1e6', () => { const x = rj.tensor(vals, [n]); return [rj.max(x), rj.min(x)]; }, 0, 0);
    });
    it('per-channel sums over N·H·W of an NCHW tensor', async () => {
      const shape = [6, 5, 17, 19];
      expect(useMultiPass(5, 6 * 17 * 19)).toBe(true);
      const vals = randValues(size(shape), 11, -2, 2);
      await expectSameOnBoth('sum NCHW', () => rj.sum(rj.tensor(vals, shape), [0, 2, 3], { keepDim: true }), 1e-5, 1e-3);
      await expectSameOnBoth('mean NCHW', () => rj.mean(rj.tensor(vals, shape), [0, 2, 3]), 1e-5, 1e-6);
      await expectSameOnBoth('max/min NCHW', () => { const x = rj.tensor(vals, shape); return [rj.max(x, [0, 2, 3]), rj.min(x, [0, 3, 2])]; }, 0, 0);
    });
    it('the one-pass kernel on the same long axes agrees too', async () => {
      const saved = { ...reduceTuning };
      reduceTuning.minRed = Infinity;
      try {
        const shape = [6, 5, 17, 19];
        const vals = randValues(size(shape), 11, -2, 2);
        await expectSameOnBoth('one-pass NCHW', () => { const x = rj.tensor(vals, shape); return [rj.sum(x, [0, 2, 3]), rj.max(x, [0, 2, 3]), rj.argmin(rj.reshape(x, [-1]), 0)]; }, 1e-5, 1e-3);
      } finally {
        Object.assign(reduceTuning, saved);
      }
    });
    it('argmax/argmin over long axes with many ties, and on a strided axis', async () => {
      const shape = [3, 70_001];
      const vals = randInts(size(shape), 5, 0, 50);
      expect(useMultiPass(3, 70_001)).toBe(true);
      await expectSameOnBoth('argmax long', () => { const x = rj.tensor(vals, shape); return [rj.argmax(x, 1), rj.argmin(x, 1), rj.argmax(rj.transpose(x), 0)]; }, 0, 0);
      await expectSameOnBoth('int32 sum long', () => rj.sum(rj.tensor(vals, shape, { dtype: 'int32' }), 1), 0, 0);
    });
  });
});

describe('shape ops: webgpu vs reference', () => {
  it('transpose / permute', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(0, 5, 5), seedArb, async (shape, seed) => {
      const perm = randomPerm(shape.length, seed);
      const [r] = await expectSameOnBoth('transpose', () => rj.permute(f32(shape, seed), perm), 0, 0);
      expect(r.shape).toEqual(perm.map((a) => shape[a]));
      await expectSameOnBoth('transpose default', () => rj.transpose(i32(shape, seed)), 0, 0);
    }), { numRuns: RUNS });
  });
  it('slice (begin/size, negative begin) and sliceTo (negative end)', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 4, 7), seedArb, async (shape, seed) => {
      const r = prng(seed);
      const begin = shape.map((d) => Math.floor(r() * (d + 1)));
      const sz = shape.map((d, i) => (r() < 0.3 ? -1 : Math.floor(r() * (d - begin[i] + 1))));
      const negBegin = begin.map((b, i) => (r() < 0.5 && b < shape[i] ? b - shape[i] : b));
      const [out] = await expectSameOnBoth('slice', () => rj.slice(f32(shape, seed), negBegin, sz), 0, 0);
      expect(out.shape).toEqual(sz.map((s, i) => (s === -1 ? shape[i] - begin[i] : s)));
      const end = shape.map((d) => Math.floor(r() * (d + 1)) - (r() < 0.5 ? d : 0));
      await expectSameOnBoth('sliceTo', () => rj.sliceTo(i32(shape, seed), begin, end), 0, 0);
    }), { numRuns: RUNS });
  });
  it('concat of 1–4 inputs along a random axis (empty inputs too)', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 4, 5), seedArb, fc.integer({ min: 1, max: 4 }), async (shape, seed, k) => {
      const r = prng(seed);
      const axis = Math.floor(r() * shape.length);
      const shapes = Array.from({ length: k }, () => shape.map((d, i) => (i === axis ? Math.floor(r() * 4) : d)));
      const [out] = await expectSameOnBoth('concat', () => rj.concat(shapes.map((s, j) => f32(s, seed + j)), axis - (r() < 0.5 ? shape.length : 0)), 0, 0);
      expect(out.shape[axis]).toBe(shapes.reduce((a, s) => a + s[axis], 0));
    }), { numRuns: RUNS });
  });
  it('gather / indexSelect with repeated indices of any shape, float32 and int32', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 3, 6), shapeArb(0, 2, 5), seedArb, async (shape, idxShape, seed) => {
      const axis = seed % shape.length;
      const idx = () => rj.tensor(randInts(size(idxShape), seed, 0, shape[axis]), idxShape, { dtype: 'int32' });
      const [out] = await expectSameOnBoth('gather', () => rj.gather(f32(shape, seed), idx(), axis), 0, 0);
      expect(out.shape).toEqual([...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)]);
      await expectSameOnBoth('gather int32', () => rj.gather(i32(shape, seed), idx(), axis), 0, 0);
      const idx1 = () => rj.tensor(randInts(7, seed, 0, shape[axis]), [7], { dtype: 'int32' });
      await expectSameOnBoth('indexSelect', () => rj.indexSelect(f32(shape, seed), axis, idx1()), 0, 0);
    }), { numRuns: RUNS });
  });
  it('scatterAdd (gather backward) is bit-identical to the reference and deterministic', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 3, 6), fc.integer({ min: 0, max: 40 }), seedArb, async (shape, nIdx, seed) => {
      const axis = seed % shape.length;
      const len = shape[axis];
      const gShape = shape.map((d, i) => (i === axis ? nIdx : d));
      const build = () => rj.scatterAdd(f32(gShape, seed), rj.tensor(randInts(nIdx, seed + 1, 0, len), [nIdx], { dtype: 'int32' }), axis, len);
      const [ref] = await expectSameOnBoth('scatterAdd', build, 0, 0);
      const [again] = await expectSameOnBoth('scatterAdd again', build, 0, 0);
      expect(again.data).toEqual(ref.data);
    }), { numRuns: RUNS });
  });
  it('pad with per-axis [before, after] and a constant value', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(0, 4, 5), seedArb, async (shape, seed) => {
      const r = prng(seed);
      const pads = shape.map(() => [Math.floor(r() * 3), Math.floor(r() * 3)] as [number, number]);
      const [out] = await expectSameOnBoth('pad', () => rj.pad(f32(shape, seed), pads, -1.5), 0, 0);
      expect(out.shape).toEqual(shape.map((d, i) => d + pads[i][0] + pads[i][1]));
      await expectSameOnBoth('pad int32', () => rj.pad(i32(shape, seed), pads, 7), 0, 0);
    }), { numRuns: RUNS });
  });
  it('flatten, squeeze, unsqueeze, expand, broadcastTo', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(2, 4, 4), seedArb, async (shape, seed) => {
      const [fl] = await expectSameOnBoth('flatten', () => rj.flatten(f32(shape, seed)), 0, 0);
      expect(fl.shape).toEqual([shape[0], size(shape.slice(1))]);
      const [sq] = await expectSameOnBoth('squeeze', () => rj.squeeze(f32(shape, seed)), 0, 0);
      expect(sq.shape).toEqual(shape.filter((d) => d !== 1));
      const [us] = await expectSameOnBoth('unsqueeze', () => rj.unsqueeze(f32(shape, seed), -1), 0, 0);
      expect(us.shape).toEqual([...shape, 1]);
      const target = [2, ...shape.map((d) => (d === 1 ? 3 : d))];
      await expectSameOnBoth('broadcastTo', () => rj.broadcastTo(f32(shape, seed), target), 0, 0);
      await expectSameOnBoth('expand', () => rj.expand(f32(shape, seed), [2, ...shape.map((d) => (d === 1 ? 3 : -1))]), 0, 0);
    }), { numRuns: RUNS });
  });
});

describe('creation and cast: webgpu vs reference', () => {
  it('tensor, zeros, ones, full, arange, copy, reshape', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
      await expectSameOnBoth('creation', () => [
        f32(shape, seed), rj.zeros(shape), rj.ones(shape, { dtype: 'int32' }), rj.full(shape, -2.5), rj.full(shape, 7, { dtype: 'int32' }),
        rj.copy(f32(shape, seed)), rj.reshape(f32(shape, seed), [-1]),
      ], 0, 0);
    }), { numRuns: 8 });
    await expectSameOnBoth('arange', () => [rj.arange(5), rj.arange(2, 11, 3), rj.arange(0, 1, 0.25), rj.arange(5, 0, -1)], 0, 0);
  });
  it('cast float32 → int32 truncates toward zero, int32 → float32 is exact', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(), seedArb, async (shape, seed) => {
      const [a, b] = await expectSameOnBoth('cast', () => [rj.cast(f32(shape, seed, -50, 50), 'int32'), rj.cast(i32(shape, seed, -1000, 1000), 'float32')], 0, 0);
      expect(a.dtype).toBe('int32');
      expect(b.dtype).toBe('float32');
      expect(a.data).toEqual(randValues(size(shape), seed, -50, 50).map((v) => Math.trunc(v) || 0));
    }), { numRuns: RUNS });
  });
});

describeEachBackend('rank-0 tensors, hand-checked values', () => {
  it('reduce along axis 0 or -1 of a scalar (the scalar itself, as in PyTorch)', async () => {
    const x = rj.tensor(3);
    for (const t of [rj.sum(x, 0), rj.max(x, -1, { keepDim: true }), rj.min(x, [0]), rj.mean(x, 0), rj.sum(x)]) {
      expect(t.shape).toEqual([]);
      expect(await t.item()).toBe(3);
    }
    expect(await rj.argmax(x, 0).item()).toBe(0);
    expect(await rj.logSoftmax(x).item()).toBe(0);
    expect(() => rj.sum(x, 1)).toThrow('sum: axis 1 is out of range for rank 0');
  });
});

describeEachBackend('shape ops, hand-checked values', () => {
  it('transpose of a 2×3', async () => {
    expect(Array.from(await rj.transpose(rj.tensor([[1, 2, 3], [4, 5, 6]])).toArray())).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('slice, sliceTo and pad', async () => {
    const x = rj.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(await rj.slice(x, [1, -2], [1, 2]).toArray())).toEqual([5, 6]);
    expect(Array.from(await rj.sliceTo(x, [0, 1], [2, -1]).toArray())).toEqual([2, 5]);
    const p = rj.pad(rj.tensor([1, 2]), [[1, 2]], 9);
    expect(Array.from(await p.toArray())).toEqual([9, 1, 2, 9, 9]);
  });
  it('concat along axis 1', async () => {
    const c = rj.concat([rj.tensor([[1], [2]]), rj.tensor([[3, 4], [5, 6]])], 1);
    expect(c.shape).toEqual([2, 3]);
    expect(Array.from(await c.toArray())).toEqual([1, 3, 4, 2, 5, 6]);
  });
  it('gather rows with repeats, and its backward sums repeats', async () => {
    const x = rj.tensor([[1, 2], [3, 4], [5, 6]], undefined, { requiresGrad: true });
    const g = rj.gather(x, rj.tensor([2, 0, 2], [3], { dtype: 'int32' }), 0);
    expect(Array.from(await g.toArray())).toEqual([5, 6, 1, 2, 5, 6]);
    rj.sum(rj.mul(g, rj.tensor([[1, 1], [10, 10], [100, 100]]))).backward();
    expect(Array.from(await x.grad!.toArray())).toEqual([10, 10, 0, 0, 101, 101]);
  });
});

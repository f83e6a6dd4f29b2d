/**
 * Gradients of every differentiable op: first against central finite differences in float64 on the
 * reference backend ('cpu64'), then WebGPU gradients against reference gradients (float32).
 * The loss is Σ f(x)·w with fixed random weights w, so every element of the output's gradient differs.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { destroyGpu, rj, withBackend, type BackendName } from './helpers/backends.js';
import { broadcastPairArb, expectAllClose, prng, randInts, randValues, seedArb, shapeArb, size } from './helpers/compare.js';

afterAll(() => destroyGpu());

type Fn = (...xs: rj.Tensor[]) => rj.Tensor;
interface Case { shapes: number[][]; f: Fn; lo?: number; hi?: number; /** keep |x| at least this far from 0 (kinks) */ gap?: number }

function inputsFor(c: Case, seed: number): number[][] {
  return c.shapes.map((s, i) => randValues(size(s), seed + 17 * i, c.lo ?? -2, c.hi ?? 2).map((v) => {
    const g = c.gap ?? 0;
    return g > 0 && Math.abs(v) < g ? (v < 0 ? -g : g) - v * 0.5 : v;
  }));
}

/** Loss and input gradients on one backend. */
async function lossAndGrads(name: BackendName | 'cpu64', c: Case, data: number[][], seed: number): Promise<{ loss: number; grads: number[][] }> {
  return withBackend(name, async () => {
    const xs = data.map((d, i) => rj.tensor(d, c.shapes[i], { requiresGrad: true }));
    // backward() inside the tidy: the graph's intermediates live until the tidy ends.
    const loss = rj.tidy(() => {
      const y = c.f(...xs);
      const w = rj.tensor(randValues(y.size, seed + 99, -1, 1), y.shape);
      const l = rj.sum(rj.mul(y, w));
      l.backward();
      return l;
    });
    const arrays = await rj.readAll([loss, ...xs.map((x, i) => x.grad ?? rj.zeros(c.shapes[i]))]);
    xs.forEach((x) => { x.grad = null; x.dispose(); });
    loss.dispose();
    return { loss: arrays[0][0], grads: arrays.slice(1).map((a) => Array.from(a)) };
  });
}

async function lossOnly(c: Case, data: number[][], seed: number): Promise<number> {
  return withBackend('cpu64', async () => {
    const loss = rj.noGrad(() => rj.tidy(() => {
      const y = c.f(...data.map((d, i) => rj.tensor(d, c.shapes[i])));
      return rj.sum(rj.mul(y, rj.tensor(randValues(y.size, seed + 99, -1, 1), y.shape)));
    }));
    const v = await loss.item();
    loss.dispose();
    return v;
  });
}

/** Central differences in float64, then WebGPU vs the float32 reference. */
async function checkGrad(what: string, c: Case, seed: number): Promise<void> {
  const data = inputsFor(c, seed);
  const { grads } = await lossAndGrads('cpu64', c, data, seed);
  const eps = 1e-5;
  for (let i = 0; i < data.length; i++) {
    const numeric: number[] = [];
    for (let k = 0; k < data[i].length; k++) {
      const plus = data.map((d) => [...d]), minus = data.map((d) => [...d]);
      plus[i][k] += eps;
      minus[i][k] -= eps;
      numeric.push(((await lossOnly(c, plus, seed)) - (await lossOnly(c, minus, seed))) / (2 * eps));
    }
    expectAllClose(`${what}: d/d input ${i} (analytic cpu64 vs finite differences)`, grads[i], numeric, 1e-6, 1e-7);
  }
  const ref = await lossAndGrads('cpu', c, data, seed);
  const gpu = await lossAndGrads('webgpu', c, data, seed);
  expectAllClose(`${what}: loss (webgpu vs reference)`, [gpu.loss], [ref.loss], 1e-5, 1e-5);
  ref.grads.forEach((g, i) => expectAllClose(`${what}: d/d input ${i} (webgpu vs reference)`, gpu.grads[i], g, 1e-4, 1e-5));
}

const RUNS = 4;
const small = () => shapeArb(1, 3, 4);
const idx = (vals: number[], shape: number[] = [vals.length]) => rj.tensor(vals, shape, { dtype: 'int32' });

describe('unary ops', () => {
  const unary: [string, Fn, number, number, number?][] = [
    ['neg', rj.neg, -2, 2], ['abs', rj.abs, -2, 2, 0.1], ['sign', rj.sign, -2, 2, 0.1], ['exp', rj.exp, -2, 2], ['log', rj.log, 0.2, 3],
    ['sqrt', rj.sqrt, 0.2, 3], ['rsqrt', rj.rsqrt, 0.2, 3], ['relu', rj.relu, -2, 2, 0.1], ['sigmoid', rj.sigmoid, -4, 4],
    ['tanh', rj.tanh, -3, 3], ['square', rj.square, -2, 2], ['reciprocal', rj.reciprocal, 0.3, 3],
    ['copy', rj.copy, -2, 2],
  ];
  for (const [name, f, lo, hi, gap] of unary) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(small(), seedArb, async (shape, seed) => {
        await checkGrad(`${name} ${JSON.stringify(shape)}`, { shapes: [shape], f, lo, hi, gap }, seed);
      }), { numRuns: RUNS });
    });
  }
});

describe('binary ops with broadcasting', () => {
  const binary: [string, Fn, number, number][] = [
    ['add', rj.add, -2, 2], ['sub', rj.sub, -2, 2], ['mul', rj.mul, -2, 2], ['div', rj.div, 0.5, 2], ['pow', rj.pow, 0.5, 2],
    ['maximum', rj.maximum, -2, 2], ['minimum', rj.minimum, -2, 2],
  ];
  for (const [name, f, lo, hi] of binary) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(broadcastPairArb, seedArb, async ({ a, b }, seed) => {
        // Shapes of at most 3×3×3 elements keep the finite differences quick.
        const cap = (s: number[]) => s.slice(-3).map((d) => Math.min(d, 3));
        await checkGrad(`${name} ${JSON.stringify(cap(a))} ${JSON.stringify(cap(b))}`, { shapes: [cap(a), cap(b)], f, lo, hi }, seed);
      }), { numRuns: RUNS });
    });
  }
  it('where with a broadcast condition', async () => {
    await checkGrad('where', { shapes: [[2, 3], [3]], f: (a, b) => rj.where(rj.tensor([1, 0, 1], [3]), a, b) }, 3);
  });
  it('a tensor used twice accumulates both paths', async () => {
    await checkGrad('x*x+x', { shapes: [[5]], f: (x) => rj.add(rj.mul(x, x), x) }, 4);
  });
});

describe('reductions and softmax', () => {
  const reduceArb = fc.tuple(small(), seedArb, fc.boolean());
  const axesOf = (rank: number, seed: number) => {
    const r = prng(seed);
    const ax = Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
    return ax.length ? ax : undefined;
  };
  for (const name of ['sum', 'mean', 'max', 'min'] as const) {
    it(`${name} over random axes`, async () => {
      await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed, keepDim]) => {
        const axes = axesOf(shape.length, seed);
        await checkGrad(`${name} ${JSON.stringify(shape)} ${JSON.stringify(axes)}`, { shapes: [shape], f: (x) => rj[name](x, axes, { keepDim }) }, seed);
      }), { numRuns: RUNS });
    });
  }
  it('max/min share the gradient evenly among tied extremes (on every backend)', async () => {
    for (const name of ['cpu64', 'cpu', 'webgpu'] as const) {
      const { grads } = await lossAndGrads(name, { shapes: [[5]], f: (x) => rj.max(x) }, [[3, 1, 3, 2, -3]], 1);
      const g = grads[0].map((v) => v + 0); // -0 → 0
      expect(g[0], name).not.toBe(0);
      expect([g[1], g[2], g[3], g[4]], name).toEqual([0, g[0], 0, 0]);
      const min = await lossAndGrads(name, { shapes: [[5]], f: (x) => rj.min(x) }, [[-3, 1, 3, -3, -3]], 1);
      const m = min.grads[0].map((v) => v + 0);
      expect(m[0], name).not.toBe(0);
      expect(m, name).toEqual([m[0], 0, 0, m[0], m[0]]);
    }
  });
  for (const name of ['softmax', 'logSoftmax'] as const) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(reduceArb, async ([shape, seed]) => {
        const axis = seed % shape.length;
        await checkGrad(`${name} ${JSON.stringify(shape)} axis ${axis}`, { shapes: [shape], f: (x) => rj[name](x, axis), lo: -3, hi: 3 }, seed);
      }), { numRuns: RUNS });
    });
  }
  it('broadcastTo and expand', async () => {
    await checkGrad('broadcastTo', { shapes: [[3, 1]], f: (x) => rj.broadcastTo(x, [2, 3, 4]) }, 5);
    await checkGrad('expand', { shapes: [[1, 3]], f: (x) => rj.expand(x, [4, -1]) }, 6);
  });
});

describe('shape ops', () => {
  it('reshape, flatten, squeeze, unsqueeze', async () => {
    await checkGrad('reshape', { shapes: [[2, 3]], f: (x) => rj.mul(rj.reshape(x, [3, -1]), rj.tensor([1, 2], [2])) }, 7);
    await checkGrad('flatten', { shapes: [[2, 1, 3]], f: (x) => rj.flatten(rj.square(x)) }, 8);
    await checkGrad('squeeze/unsqueeze', { shapes: [[2, 1, 3]], f: (x) => rj.unsqueeze(rj.squeeze(rj.exp(x), 1), 0) }, 9);
  });
  it('transpose with random permutations', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 4, 3), seedArb, async (shape, seed) => {
      const r = prng(seed);
      const keys = shape.map(() => r());
      const perm = shape.map((_, i) => i).sort((a, b) => keys[a] - keys[b]);
      await checkGrad(`transpose ${JSON.stringify(shape)} ${perm}`, { shapes: [shape], f: (x) => rj.transpose(rj.square(x), perm) }, seed);
    }), { numRuns: RUNS });
  });
  it('slice, sliceTo and pad', async () => {
    await checkGrad('slice', { shapes: [[3, 4]], f: (x) => rj.slice(rj.square(x), [1, -3], [2, 2]) }, 10);
    await checkGrad('sliceTo', { shapes: [[3, 4]], f: (x) => rj.sliceTo(x, [0, 1], [-1, 4]) }, 11);
    await checkGrad('pad', { shapes: [[2, 3]], f: (x) => rj.pad(rj.square(x), [[1, 0], [2, 1]], 0.5) }, 12);
  });
  it('concat of three inputs along a middle axis', async () => {
    await checkGrad('concat', { shapes: [[2, 1, 3], [2, 2, 3], [2, 0, 3]], f: (a, b, c) => rj.concat([a, rj.square(b), c], 1) }, 13);
    await checkGrad('concat same input twice', { shapes: [[2, 2]], f: (a) => rj.concat([a, rj.exp(a)], -1) }, 14);
  });
  it('gather / indexSelect with repeated indices (scatter-add backward)', async () => {
    await fc.assert(fc.asyncProperty(shapeArb(1, 3, 4), seedArb, async (shape, seed) => {
      const axis = seed % shape.length;
      const ids = randInts(6, seed, 0, shape[axis]);
      await checkGrad(`gather ${JSON.stringify(shape)} axis ${axis} ${ids}`, { shapes: [shape], f: (x) => rj.gather(rj.square(x), idx(ids, [2, 3]), axis) }, seed);
      await checkGrad(`indexSelect ${JSON.stringify(shape)}`, { shapes: [shape], f: (x) => rj.indexSelect(x, axis, idx(ids)) }, seed);
    }), { numRuns: RUNS });
  });
  it('scatterAdd (its backward is gather)', async () => {
    await checkGrad('scatterAdd', { shapes: [[2, 5, 3]], f: (g) => rj.scatterAdd(rj.square(g), idx([1, 0, 1, 3, 1]), 1, 4) }, 15);
  });
});

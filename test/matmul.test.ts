/**
 * matmul: every WebGPU kernel variant ('texture', 'subgroup' and 'register' for CPU adapters, 'tiled'
 * for GPUs; 'texture' and 'subgroup' where the adapter has 8-lane subgroups, as lavapipe does) against the
 * reference backend on fast-check shapes (batched, broadcast batch dims, transposed operands, 1-D
 * operands, sizes that are and are not multiples of 4); gradients against central differences on
 * float64; GPU gradients against reference gradients; a PyTorch golden; error messages.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSubgroups8 } from '../src/kernels/webgpu/matmul.js';
import { destroyGpu, getGpu, rj, withBackend } from './helpers/backends.js';
import { expectAllClose, expectSameOnBoth, randValues, runOn, seedArb, size } from './helpers/compare.js';
import { checkGradients } from './helpers/finite-diff.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';

afterAll(() => destroyGpu());

type Variant = 'texture' | 'subgroup' | 'register' | 'tiled';
// The texture and subgroup kernels need 8-lane subgroups; where the adapter lacks them, forcing them
// must fail (tested below) and the other two variants are still tested.
const SUBGROUPS = hasSubgroups8(await getGpu());
const VARIANTS: Variant[] = SUBGROUPS ? ['texture', 'subgroup', 'register', 'tiled'] : ['register', 'tiled'];

interface Case { a: number[]; b: number[]; transA: boolean; transB: boolean }

/** Stored operand shapes for op(A) = M×K, op(B) = K×N with the given batch shapes. */
function shapes(m: number, k: number, n: number, ba: number[], bb: number[], transA: boolean, transB: boolean): Case {
  return { a: [...ba, ...(transA ? [k, m] : [m, k])], b: [...bb, ...(transB ? [n, k] : [k, n])], transA, transB };
}

// Dims from 1 to 70: odd sizes, multiples of 4 (the vec4 variant), and edges of the 32/64 tiles.
const dimArb = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8, 12, 16, 31, 32, 33, 64, 65), fc.integer({ min: 1, max: 70 }));
// Two batch shapes that broadcast: drawn from one output batch shape with 1s and dropped leading axes.
const batchPairArb = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 3, maxLength: 3 }), fc.nat(3), fc.nat(3))
  .map(([out, ones, da, db]) => ({
    ba: out.map((d, i) => (ones[i][0] ? 1 : d)).slice(Math.min(da, out.length)),
    bb: out.map((d, i) => (ones[i][1] ? 1 : d)).slice(Math.min(db, out.length)),
  }));
const caseArb = fc.tuple(dimArb, dimArb, dimArb, batchPairArb, fc.boolean(), fc.boolean()).map(([m, k, n, { ba, bb }, ta, tb]) => shapes(m, k, n, ba, bb, ta, tb));

function build(c: Case, seed: number, variant?: Variant) {
  return () => rj.matmul(rj.tensor(randValues(size(c.a), seed), c.a), rj.tensor(randValues(size(c.b), seed + 1), c.b), { transA: c.transA, transB: c.transB, variant });
}

const label = (c: Case) => `A ${JSON.stringify(c.a)}${c.transA ? 'ᵀ' : ''} @ B ${JSON.stringify(c.b)}${c.transB ? 'ᵀ' : ''}`;

describe('matmul forward: WebGPU vs reference', () => {
  for (const variant of VARIANTS) {
    it(`${variant} kernel on random shapes, batches and transposes`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, seedArb, async (c, seed) => {
          const k = c.transA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
          // Sums of k products of values in [-3, 3]: tolerance grows with k (f32 rounding order differs).
          await expectSameOnBoth(`${variant}: ${label(c)}`, build(c, seed, variant), 1e-5, 2e-6 * k * 9);
        }),
        { numRuns: 40 },
      );
    });

    it(`${variant} kernel on fixed edge cases (K = 1, M = N = 1, aligned and not, large K)`, async () => {
      const cases = [
        shapes(1, 1, 1, [], [], false, false),
        shapes(5, 1, 3, [], [], true, true),
        shapes(1, 37, 1, [2], [], false, true),
        shapes(33, 4, 65, [], [], false, false),
        shapes(64, 64, 64, [], [], false, false),
        shapes(36, 20, 40, [2], [2], true, false),
        shapes(36, 20, 40, [], [3], true, true),
        shapes(9, 300, 7, [], [], false, false),
        shapes(8, 300, 8, [], [], true, true),
        // The texture variant copies row-major operands with 64-multiple rows and no k padding
        // straight into its textures (batched and broadcast too), and stages the rest with a kernel.
        shapes(70, 128, 64, [2], [], false, false),
        shapes(33, 64, 130, [], [3], false, false),
        shapes(40, 72, 64, [], [], false, false),
        shapes(64, 64, 192, [2], [2], true, false),
      ];
      for (const [i, c] of cases.entries()) await expectSameOnBoth(`${variant}: ${label(c)}`, build(c, 100 + i, variant), 1e-5, 2e-6 * 300 * 9);
    });
  }

  if (SUBGROUPS) {
    it('texture kernel: stale values in its staging textures never reach the output', async () => {
      // A big product fills the textures with NaN; a smaller one, copied without padding, reuses them.
      await withBackend('webgpu', async () => {
        const nan = rj.full([96, 256], Number.NaN);
        await rj.matmul(nan, rj.full([256, 256], Number.NaN), { variant: 'texture' }).toArray();
      });
      for (const c of [shapes(40, 64, 64, [], [], false, false), shapes(17, 128, 70, [], [], false, false)]) {
        await expectSameOnBoth(`texture after NaN: ${label(c)}`, build(c, 7, 'texture'), 1e-5, 2e-6 * 128 * 9);
      }
    });
  }

  it('1-D operands follow torch.matmul (vector @ matrix, matrix @ vector, dot, batched)', async () => {
    const cases: [number[], number[], number[]][] = [[[6], [6, 3], [3]], [[4, 6], [6], [4]], [[9], [9], []], [[6], [2, 6, 3], [2, 3]], [[2, 4, 6], [6], [2, 4]]];
    for (const [sa, sb, so] of cases) {
      const [r] = await expectSameOnBoth(`1-D ${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, () => rj.matmul(rj.tensor(randValues(size(sa), 1), sa), rj.tensor(randValues(size(sb), 2), sb)), 1e-5, 1e-5);
      expect(r.shape).toEqual(so);
    }
  });

  it('K = 0 gives zeros and empty M or N gives an empty result', async () => {
    for (const name of ['cpu', 'webgpu'] as const) {
      const [z] = await runOn(name, () => rj.matmul(rj.zeros([3, 0]), rj.zeros([0, 2])));
      expect(z).toEqual({ shape: [3, 2], dtype: 'float32', data: [0, 0, 0, 0, 0, 0] });
      const [e] = await runOn(name, () => rj.matmul(rj.zeros([0, 4]), rj.zeros([4, 2])));
      expect(e.shape).toEqual([0, 2]);
    }
  });
});

describe('matmul backward', () => {
  // Cover every transpose combination, batch broadcast on either side and 1-D operands.
  const gradCases: [string, number[], number[], boolean, boolean][] = [
    ['2-D', [3, 4], [4, 2], false, false],
    ['transA', [4, 3], [4, 2], true, false],
    ['transB', [3, 4], [2, 4], false, true],
    ['transA transB', [4, 3], [2, 4], true, true],
    ['broadcast A batch', [1, 3, 4], [2, 4, 2], false, false],
    ['broadcast B batch, transB', [2, 2, 3, 4], [2, 4], false, true],
    ['vector @ batched matrix', [4], [2, 4, 3], false, false],
    ['matrix @ vector', [3, 4], [4], false, false],
  ];

  it('matches central finite differences on the float64 reference backend', async () => {
    await withBackend('cpu64', async () => {
      for (const [name, sa, sb, ta, tb] of gradCases) {
        const wShape = await withBackend('cpu', () => rj.matmul(rj.zeros(sa), rj.zeros(sb), { transA: ta, transB: tb }).shape);
        const w = randValues(size(wShape), 7);
        await checkGradients(`matmul ${name}`, [{ data: randValues(size(sa), 1), shape: sa }, { data: randValues(size(sb), 2), shape: sb }], ([a, b]) =>
          rj.sum(rj.mul(rj.matmul(a, b, { transA: ta, transB: tb }), rj.tensor(w, [...wShape]))),
        );
      }
    });
  });

  for (const variant of VARIANTS) {
    it(`${variant}: WebGPU gradients match the reference on random shapes`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, seedArb, async (c, seed) => {
          const grads = () => {
            const a = rj.tensor(randValues(size(c.a), seed), c.a, { requiresGrad: true });
            const b = rj.tensor(randValues(size(c.b), seed + 1), c.b, { requiresGrad: true });
            const out = rj.matmul(a, b, { transA: c.transA, transB: c.transB, variant });
            rj.sum(rj.mul(out, rj.tensor(randValues(out.size, seed + 2), out.shape))).backward();
            return [a.grad!, b.grad!];
          };
          const ref = await runOn('cpu', grads);
          const gpu = await runOn('webgpu', grads);
          const bound = 2e-6 * 9 * Math.max(...[...c.a, ...c.b]) * 4; // output-dim and batch-sum lengths bound the error
          ref.forEach((r, i) => {
            expect(gpu[i].shape).toEqual(r.shape);
            expectAllClose(`${variant} grad ${i ? 'B' : 'A'} of ${label(c)}`, gpu[i].data, r.data, 1e-5, bound);
          });
        }),
        { numRuns: 15 },
      );
    });
  }

  it('the backward reads transposed operands in place: no copy or transpose kernels are dispatched', async () => {
    await withBackend('cpu', () => {
      const a = rj.tensor(randValues(12, 1), [4, 3], { requiresGrad: true });
      const b = rj.tensor(randValues(8, 2), [2, 4], { requiresGrad: true });
      const ops: string[] = [];
      const out = rj.matmul(a, b, { transA: true, transB: true });
      let node = out.node;
      expect(node?.op).toBe('matmul');
      const g = node!.backward(rj.onesLike(out));
      ops.push(...g.map((t) => t!.op));
      expect(ops).toEqual(['matmul', 'matmul']);
      node = null;
    });
  });
});

interface GoldenCase { name: string; transA: boolean; transB: boolean; a: GoldenTensor; b: GoldenTensor; w: GoldenTensor; out: GoldenTensor; grad_a: GoldenTensor; grad_b: GoldenTensor }

describe('matmul golden (PyTorch 1.13, scripts/goldens/matmul.py)', () => {
  const golden = loadGolden<{ cases: GoldenCase[] }>('matmul.json');
  for (const backend of ['cpu', 'webgpu'] as const) {
    for (const variant of backend === 'webgpu' ? VARIANTS : [undefined]) {
      it(`${backend}${variant ? ` (${variant})` : ''}: forward and gradients of sum(C·W)`, async () => {
        for (const c of golden.cases) {
          const [out, ga, gb] = await runOn(backend, () => {
            const a = rj.tensor(c.a.data, c.a.shape, { requiresGrad: true });
            const b = rj.tensor(c.b.data, c.b.shape, { requiresGrad: true });
            const y = rj.matmul(a, b, { transA: c.transA, transB: c.transB, variant });
            rj.sum(rj.mul(y, rj.tensor(c.w.data, c.w.shape))).backward();
            return [y, a.grad!, b.grad!];
          });
          expect(out.shape, c.name).toEqual(c.out.shape);
          expectClose(`${c.name} out`, out.data, c.out.data, 1e-5, 1e-5);
          expectClose(`${c.name} grad A`, ga.data, c.grad_a.data, 1e-5, 1e-5);
          expectClose(`${c.name} grad B`, gb.data, c.grad_b.data, 1e-5, 1e-5);
        }
      });
    }
  }
});

describe('matmul errors', () => {
  it('names the op and the offending shapes', async () => {
    await withBackend('cpu', () => {
      expect(() => rj.matmul(rj.zeros([2, 3]), rj.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: A \[2, 3\] has K=3, B \[4, 5\] has K=4/);
      expect(() => rj.matmul(rj.zeros([2, 3]), rj.zeros([2, 5]), { transA: true, transB: true })).toThrow(/matmul: inner dimensions differ: A \[2, 3\]ᵀ has K=2, B \[2, 5\]ᵀ has K=5/);
      expect(() => rj.matmul(rj.zeros([2, 2, 3]), rj.zeros([3, 3, 4]))).toThrow(/matmul: shapes \[2\] and \[3\] do not broadcast/);
      expect(() => rj.matmul(rj.zeros([]), rj.zeros([3]))).toThrow(/matmul: operands must have rank ≥ 1, got \[\] and \[3\]/);
      expect(() => rj.matmul(rj.zeros([3]), rj.zeros([3, 2]), { transA: true })).toThrow(/matmul: transA\/transB need a matrix operand/);
      expect(() => rj.matmul(rj.zeros([2, 2], { dtype: 'int32' }), rj.zeros([2, 2], { dtype: 'int32' }))).toThrow(/matmul: A must be float32, got int32/);
      expect(() => rj.matmul(rj.zeros([2, 2]), rj.zeros([2, 2], { dtype: 'int32' }))).toThrow(/matmul: dtypes differ/);
    });
    await withBackend('webgpu', () => {
      expect(() => rj.matmul(rj.zeros([2, 2]), rj.zeros([2, 2]), { variant: 'fast' as 'tiled' })).toThrow(/matmul: variant must be 'texture', 'subgroup', 'register' or 'tiled', got 'fast'/);
      if (!SUBGROUPS) expect(() => rj.matmul(rj.zeros([2, 2]), rj.zeros([2, 2]), { variant: 'subgroup' })).toThrow(/matmul: the 'subgroup' variant needs the WebGPU 'subgroups' feature/);
      if (!SUBGROUPS) expect(() => rj.matmul(rj.zeros([2, 2]), rj.zeros([2, 2]), { variant: 'texture' })).toThrow(/matmul: the 'texture' variant needs the WebGPU 'subgroups' feature/);
    });
  });
});

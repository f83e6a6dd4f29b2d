import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';
import { checkGradients } from './helpers/finite-diff.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';
import { setLossWorkgroup } from '../src/kernels/webgpu/loss.js';

afterAll(() => destroyGpu());

interface CeCase { labelSmoothing: number; logits: GoldenTensor; labels: number[]; loss: number; dlogits: GoldenTensor }
const golden = loadGolden<{ ce: CeCase[] }>('cnn.json');
const labelsOf = (ys: number[]) => rj.tensor(ys, [ys.length], { dtype: 'int32' });

describeEachBackend('crossEntropy and accuracy', () => {
  for (const c of golden.ce) {
    it(`matches PyTorch: ${JSON.stringify(c.logits.shape)}, labelSmoothing ${c.labelSmoothing}`, async () => {
      const x = rj.tensor(c.logits.data, c.logits.shape, { requiresGrad: true });
      const loss = rj.crossEntropy(x, labelsOf(c.labels), { labelSmoothing: c.labelSmoothing });
      rj.mul(loss, 3).backward(); // a non-unit upstream gradient reaches the kernel as a device scalar
      const [l, g] = await rj.readAll([loss, x.grad!]);
      expectClose('loss', l, [c.loss], 1e-5, 1e-6);
      expectClose('dlogits', g, c.dlogits.data.map((v) => 3 * v), 1e-5, 1e-6);
    });
  }

  it('is stable for huge logits (log-sum-exp shift)', async () => {
    const x = rj.tensor([[1000, 0, -1000], [-5e3, 5e3, 0]]);
    const l = await rj.crossEntropy(x, labelsOf([0, 0])).item();
    expect(l).toBeCloseTo(1e4 / 2, 2);
  });

  it('accuracy counts first-argmax hits on the device', async () => {
    const x = rj.tensor([[1, 3, 3], [0, -1, -2], [2, 2, 2], [0, 0, 5]]);
    // rows: argmax 1 (tie → first), 0, 0 (all tied), 2
    expect(await rj.accuracy(x, labelsOf([1, 0, 1, 2])).item()).toBeCloseTo(0.75, 6);
    expect(await rj.accuracy(x, labelsOf([2, 1, 1, 0])).item()).toBe(0);
  });

  it('rejects bad shapes and dtypes naming the op', () => {
    const x = rj.zeros([3, 4]);
    expect(() => rj.crossEntropy(x, labelsOf([0, 1]))).toThrow(/crossEntropy: labels must be \[3\] .*got \[2\]/);
    expect(() => rj.crossEntropy(x, rj.tensor([0, 1, 2]))).toThrow(/crossEntropy: labels must be int32, got float32/);
    expect(() => rj.crossEntropy(rj.zeros([3]), labelsOf([0, 1, 2]))).toThrow(/logits must be \[N, K\], got \[3\]/);
    expect(() => rj.crossEntropy(x, labelsOf([0, 1, 2]), { labelSmoothing: 2 })).toThrow(/labelSmoothing must lie in \[0, 1\]/);
  });
});

it('an out-of-range label: the reference throws naming the row, WebGPU gives a NaN loss', async () => {
  await withBackend('cpu', () => {
    expect(() => rj.crossEntropy(rj.zeros([2, 3]), labelsOf([1, 3]))).toThrow(/crossEntropy: label 3 at row 1 is outside \[0, 3\)/);
  });
  await withBackend('webgpu', async () => {
    expect(Number.isNaN(await rj.crossEntropy(rj.zeros([2, 3]), labelsOf([1, 3])).item())).toBe(true);
    expect(Number.isNaN(await rj.crossEntropy(rj.zeros([2, 3]), labelsOf([-100, 0])).item())).toBe(true);
  });
});

for (const wg of [64, 256] as const) it(`WebGPU (workgroup ${wg}) matches the reference on random batches (loss, gradient, accuracy)`, async () => {
  setLossWorkgroup(wg);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(0, 0.1, 0.5), fc.integer({ min: 0, max: 1 << 20 }),
        async (n, k, eps, seed) => {
          const ys = Array.from({ length: n }, (_, i) => (i * 7 + seed) % k);
          const run = (name: 'cpu' | 'webgpu') => withBackend(name, async () => {
            const x = rj.randn([n, k], { seed, std: 3, requiresGrad: true });
            const loss = rj.crossEntropy(x, labelsOf(ys), { labelSmoothing: eps });
            loss.backward();
            return rj.readAll([loss, x.grad!, rj.accuracy(x, labelsOf(ys))]);
          });
          const ref = await run('cpu'), gpu = await run('webgpu');
          expectClose('loss', gpu[0], ref[0], 1e-5, 1e-6);
          expectClose('dlogits', gpu[1], ref[1], 1e-4, 1e-7);
          expect(gpu[2][0]).toBe(ref[2][0]);
        },
      ),
      { numRuns: 20 },
    );
  } finally {
    setLossWorkgroup(null);
  }
});

it('checkLabels finds an out-of-range label with one readback', async () => {
  await withBackend('webgpu', async () => {
    await rj.checkLabels(labelsOf([0, 4, 2]), 5);
    await expect(rj.checkLabels(labelsOf([0, 5, 2]), 5)).rejects.toThrow(/checkLabels: label 5 at index 1 is outside \[0, 5\)/);
  });
});

it('gradients match finite differences (float64 reference), with and without smoothing', async () => {
  await withBackend('cpu64', async () => {
    const data = Array.from({ length: 12 }, (_, i) => Math.sin(i * 2.1) * 2);
    for (const labelSmoothing of [0, 0.2]) {
      await checkGradients(`crossEntropy ε=${labelSmoothing}`, [{ data, shape: [3, 4] }], ([x]) => rj.crossEntropy(x, labelsOf([3, 0, 1]), { labelSmoothing }));
    }
  });
});

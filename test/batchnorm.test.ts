import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';
import { checkGradients } from './helpers/finite-diff.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';
import { setBnReduceWorkgroup } from '../src/kernels/webgpu/batchnorm.js';

afterAll(() => destroyGpu());

interface BnCase {
  name: string; training: boolean; momentum: number; eps: number; affine: boolean;
  x: GoldenTensor; runningMean: GoldenTensor; runningVar: GoldenTensor; dy: GoldenTensor;
  y: GoldenTensor; newRunningMean: GoldenTensor; newRunningVar: GoldenTensor; dx: GoldenTensor;
  weight?: GoldenTensor; bias?: GoldenTensor; dweight?: GoldenTensor; dbias?: GoldenTensor;
}
const golden = loadGolden<{ bn: BnCase[] }>('cnn.json');
const T = (g: GoldenTensor, requiresGrad = false) => rj.tensor(g.data, g.shape, { requiresGrad });

/** Forward + backward with seed gradient dy; every result read back in one round trip. */
async function runBn(x: rj.Tensor, rm: rj.Tensor | null, rv: rj.Tensor | null, w: rj.Tensor | null, b: rj.Tensor | null, dy: rj.Tensor, opts: rj.BatchNormOptions) {
  const y = rj.batchNorm(x, rm, rv, w, b, opts);
  y.backward(dy);
  const list = [y, x.grad!, ...(rm ? [rm, rv!] : []), ...(w ? [w.grad!, b!.grad!] : [])];
  const r = await rj.readAll(list);
  const out = { y: r[0], dx: r[1], rm: rm ? r[2] : null, rv: rm ? r[3] : null, dw: w ? r[rm ? 4 : 2] : null, db: w ? r[rm ? 5 : 3] : null };
  return out;
}

describeEachBackend('batchNorm vs PyTorch', () => {
  for (const c of golden.bn) {
    it(c.name, async () => {
      const x = T(c.x, true), rm = T(c.runningMean), rv = T(c.runningVar);
      const w = c.weight ? T(c.weight, true) : null, b = c.bias ? T(c.bias, true) : null;
      const r = await runBn(x, rm, rv, w, b, T(c.dy), { training: c.training, momentum: c.momentum, eps: c.eps });
      // The large-mean case is compared with the same tolerance: exactness there is the point.
      expectClose(`${c.name}: y`, r.y, c.y.data, 1e-4, 1e-4);
      expectClose(`${c.name}: running mean`, r.rm!, c.newRunningMean.data, 1e-6, 1e-6);
      expectClose(`${c.name}: running var`, r.rv!, c.newRunningVar.data, 1e-5, 1e-6);
      expectClose(`${c.name}: dx`, r.dx, c.dx.data, 1e-3, 1e-4);
      if (w) {
        expectClose(`${c.name}: dweight`, r.dw!, c.dweight!.data, 1e-4, 1e-4);
        expectClose(`${c.name}: dbias`, r.db!, c.dbias!.data, 1e-5, 1e-5);
      }
    });
  }

  it('eval backward uses the statistics of its forward even after the running buffers change', async () => {
    const x = rj.randn([2, 2, 3, 3], { seed: 3, requiresGrad: true });
    const rm = rj.tensor([0.5, -0.5]), rv = rj.tensor([4, 0.25]);
    const w = rj.tensor([2, 3], undefined, { requiresGrad: true }), b = rj.zeros([2], { requiresGrad: true });
    const y = rj.batchNorm(x, rm, rv, w, b, { training: false });
    rj.batchNorm(rj.randn([2, 2, 3, 3], { seed: 4, mean: 10 }), rm, rv, null, null, { training: true, momentum: 1 });
    y.backward(rj.onesLike(y));
    const dx = await x.grad!.toArray();
    // dx = dy · w / sqrt(var + eps) with the forward's variances 4 and 0.25.
    expect(dx[0]).toBeCloseTo(2 / Math.sqrt(4 + 1e-5), 5);
    expect(dx[9]).toBeCloseTo(3 / Math.sqrt(0.25 + 1e-5), 5);
  });

  it('handles [N, C] inputs (BatchNorm1d) like [N, C, 1, 1]', async () => {
    const x2 = rj.randn([6, 5], { seed: 8, mean: 2 });
    const x4 = rj.reshape(x2, [6, 5, 1, 1]);
    const a = await rj.batchNorm(x2, null, null, null, null, { training: true }).toArray();
    const b = await rj.batchNorm(x4, null, null, null, null, { training: true }).toArray();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.abs(a[0] + a[5] + a[10] + a[15] + a[20] + a[25])).toBeLessThan(1e-5);
  });

  it('running statistics are optional in training mode', async () => {
    const x = rj.randn([3, 2, 4], { seed: 5 });
    const y = await rj.batchNorm(x, null, null, null, null, { training: true }).toArray();
    const mean0 = (y[0] + y[1] + y[2] + y[3] + y[8] + y[9] + y[10] + y[11] + y[16] + y[17] + y[18] + y[19]) / 12;
    expect(Math.abs(mean0)).toBeLessThan(1e-6);
  });

  it('rejects bad inputs with the op name, expected and actual', () => {
    const x = rj.zeros([2, 3, 4, 4]);
    expect(() => rj.batchNorm(x, rj.zeros([4]), rj.ones([4]), null, null)).toThrow(/batchNorm: runningMean must have shape \[3\] .*got \[4\]/);
    expect(() => rj.batchNorm(x, null, null, null, null)).toThrow(/batchNorm: eval mode .* needs runningMean/);
    expect(() => rj.batchNorm(rj.zeros([1, 3]), null, null, null, null, { training: true })).toThrow(/more than 1 value per channel/);
    expect(() => rj.batchNorm(x, null, null, rj.ones([3]), null, { training: true })).toThrow(/weight and bias must be given together/);
  });
});

for (const wg of [64, 256] as const) it(`WebGPU (reduction workgroup ${wg}) matches the reference on random shapes, modes and offsets (forward, running stats, backward)`, async () => {
  setBnReduceWorkgroup(wg);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 6 }),
          h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
          training: fc.boolean(), affine: fc.boolean(), running: fc.boolean(), relu: fc.boolean(),
          mean: fc.constantFrom(0, 3, -50, 1e4), seed: fc.integer({ min: 0, max: 1 << 20 }),
        }),
        async (k) => {
          const running = k.running || !k.training;
          if (k.training && k.n * k.h * k.w < 2) return;
          const res = [];
          for (const name of ['cpu', 'webgpu'] as const) {
            res.push(await withBackend(name, () => {
              const x = rj.randn([k.n, k.c, k.h, k.w], { seed: k.seed, mean: k.mean, std: 1.5, requiresGrad: true });
              const rm = running ? rj.randn([k.c], { seed: k.seed + 1 }) : null;
              const rv = running ? rj.rand([k.c], { seed: k.seed + 2, low: 0.5, high: 2 }) : null;
              const w = k.affine ? rj.randn([k.c], { seed: k.seed + 3, mean: 1, requiresGrad: true }) : null;
              const b = k.affine ? rj.randn([k.c], { seed: k.seed + 4, requiresGrad: true }) : null;
              return runBn(x, rm, rv, w, b, rj.randn([k.n, k.c, k.h, k.w], { seed: k.seed + 5 }), { training: k.training, momentum: 0.2, relu: k.relu });
            }));
          }
          const [ref, gpu] = res;
          const tag = JSON.stringify(k);
          expectClose(`${tag} y`, gpu.y, ref.y, 1e-4, 1e-4);
          expectClose(`${tag} dx`, gpu.dx, ref.dx, 1e-3, 2e-4);
          if (ref.rm) {
            expectClose(`${tag} running mean`, gpu.rm!, ref.rm, 1e-6, 1e-5);
            expectClose(`${tag} running var`, gpu.rv!, ref.rv!, 1e-4, 1e-5);
          }
          if (ref.dw) {
            expectClose(`${tag} dweight`, gpu.dw!, ref.dw, 1e-3, 1e-3);
            expectClose(`${tag} dbias`, gpu.db!, ref.db!, 1e-4, 1e-4);
          }
        },
      ),
      { numRuns: 30 },
    );
  } finally {
    setBnReduceWorkgroup(null);
  }
});

it('stays exact at mean 1e4, std 1 on a larger channel (WebGPU vs float64 reference)', async () => {
  const shape = [16, 2, 24, 24];
  const get = (name: 'cpu64' | 'webgpu') => withBackend(name, async () => {
    const x = rj.randn(shape, { seed: 77, mean: 1e4, std: 1, requiresGrad: true });
    const w = rj.ones([2], { requiresGrad: true }), b = rj.zeros([2], { requiresGrad: true });
    const rm = rj.zeros([2]), rv = rj.ones([2]);
    return runBn(x, rm, rv, w, b, rj.randn(shape, { seed: 78 }), { training: true });
  });
  const ref = await get('cpu64'), gpu = await get('webgpu');
  // y = x̂ has magnitude ~1: an absolute error of 1e-4 means the std's digits survived the offset.
  expectClose('y', gpu.y, ref.y, 0, 2e-4);
  expectClose('running mean', gpu.rm!, ref.rm!, 1e-7, 0);
  expectClose('running var', gpu.rv!, ref.rv!, 1e-3, 0);
  expectClose('dx', gpu.dx, ref.dx, 0, 2e-4);
});

it('the fused ReLU is relu(batchNorm(x)) exactly, forward and backward, on each backend', async () => {
  for (const name of ['cpu', 'webgpu'] as const) {
    await withBackend(name, async () => {
      for (const training of [true, false]) {
        const make = () => ({
          x: rj.randn([3, 4, 5, 6], { seed: 21, mean: 0.2, requiresGrad: true }),
          w: rj.randn([4], { seed: 22, mean: 0.5, requiresGrad: true }), b: rj.randn([4], { seed: 23, requiresGrad: true }),
          rm: rj.randn([4], { seed: 24 }), rv: rj.rand([4], { seed: 25, low: 0.5, high: 2 }),
        });
        const dy = rj.randn([3, 4, 5, 6], { seed: 26 });
        const f = make(), u = make();
        const yf = rj.batchNorm(f.x, f.rm, f.rv, f.w, f.b, { training, relu: true });
        const yu = rj.relu(rj.batchNorm(u.x, u.rm, u.rv, u.w, u.b, { training }));
        yf.backward(dy);
        yu.backward(dy);
        const [a, b] = [await rj.readAll([yf, f.x.grad!, f.w.grad!, f.b.grad!, f.rm, f.rv]), await rj.readAll([yu, u.x.grad!, u.w.grad!, u.b.grad!, u.rm, u.rv])];
        const zeros = Array.from(a[0]).filter((v) => v === 0).length;
        expect(zeros, 'the ReLU must clip some outputs for this test to mean anything').toBeGreaterThan(50);
        ['y', 'dx', 'dweight', 'dbias', 'running mean', 'running var'].forEach((what, i) => expectClose(`${name} training=${training} ${what}`, a[i], b[i], 1e-6, 1e-6));
      }
    });
  }
});

it('gradients match finite differences on the float64 reference (train and eval, affine on and off)', async () => {
  await withBackend('cpu64', async () => {
    const shape = [3, 2, 2, 3];
    const n = 36;
    const rnd = (seed: number, len: number, mean = 0) => Array.from({ length: len }, (_, i) => mean + Math.sin(seed * 97 + i * 12.9898) * 1.7);
    const r = rj.tensor(rnd(9, n), shape);
    for (const training of [true, false]) {
      await checkGradients(`batchNorm training=${training} affine`, [
        { data: rnd(1, n, 0.3), shape }, { data: rnd(2, 2, 1), shape: [2] }, { data: rnd(3, 2), shape: [2] },
      ], ([x, w, b]) => rj.sum(rj.mul(rj.batchNorm(x, rj.tensor([0.1, -0.2]), rj.tensor([0.7, 1.3]), w, b, { training }), r)), { rtol: 1e-5, atol: 1e-7 });
      await checkGradients(`batchNorm+ReLU training=${training}`, [
        { data: rnd(5, n, 0.3), shape }, { data: rnd(6, 2, 1), shape: [2] }, { data: rnd(7, 2), shape: [2] },
      ], ([x, w, b]) => rj.sum(rj.mul(rj.batchNorm(x, rj.tensor([0.1, -0.2]), rj.tensor([0.7, 1.3]), w, b, { training, relu: true }), r)), { rtol: 1e-5, atol: 1e-7 });
      await checkGradients(`batchNorm training=${training} no affine`, [{ data: rnd(4, n), shape }],
        ([x]) => rj.sum(rj.mul(rj.batchNorm(x, rj.tensor([0.1, -0.2]), rj.tensor([0.7, 1.3]), null, null, { training }), r)), { rtol: 1e-5, atol: 1e-7 });
    }
  });
});

it('leaves no saved tensors behind when no backward pass will run (noGrad, eval)', async () => {
  await withBackend('webgpu', async () => {
    const x = rj.randn([4, 3, 5, 5], { seed: 1 });
    const rm = rj.zeros([3]), rv = rj.ones([3]);
    const before = rj.memory().liveTensors;
    const outs = [
      rj.noGrad(() => rj.batchNorm(x, rm, rv, null, null, { training: true })),
      rj.batchNorm(x, rm, rv, null, null, { training: true }),
      rj.maxPool2d(x, { kernelSize: 2 }),
      rj.crossEntropy(rj.reshape(x, [20, 15]), rj.zeros([20], { dtype: 'int32' })),
    ];
    // Each op leaves exactly its output; the loss line also made a labels tensor and a reshape view.
    expect(rj.memory().liveTensors - before).toBe(outs.length + 1 + 1);
  });
});

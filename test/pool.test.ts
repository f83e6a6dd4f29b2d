import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';
import { checkGradients } from './helpers/finite-diff.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';

afterAll(() => destroyGpu());

interface PoolCase {
  kind: 'max' | 'avg' | 'adaptive';
  opts: { kernelSize?: [number, number]; stride?: [number, number]; padding?: [number, number]; countIncludePad?: boolean; outputSize?: [number, number] };
  x: GoldenTensor; dy: GoldenTensor; y: GoldenTensor; dx: GoldenTensor;
}
const golden = loadGolden<{ pool: PoolCase[] }>('cnn.json');

type Cfg = PoolCase['opts'] & { kind: PoolCase['kind'] };
function apply(x: rj.Tensor, c: Cfg): rj.Tensor {
  if (c.kind === 'max') return rj.maxPool2d(x, { kernelSize: c.kernelSize!, stride: c.stride, padding: c.padding });
  if (c.kind === 'avg') return rj.avgPool2d(x, { kernelSize: c.kernelSize!, stride: c.stride, padding: c.padding, countIncludePad: c.countIncludePad });
  return rj.adaptiveAvgPool2d(x, c.outputSize!);
}

async function forwardBackward(xData: ArrayLike<number>, xShape: number[], c: Cfg, dyOf: (shape: readonly number[]) => rj.Tensor) {
  const x = rj.tensor(Array.from(xData), xShape, { requiresGrad: true });
  const y = apply(x, c);
  y.backward(dyOf(y.shape));
  const [yv, dx] = await rj.readAll([y, x.grad!]);
  return { y: yv, dx, shape: y.shape };
}

describeEachBackend('pooling vs PyTorch', () => {
  golden.pool.forEach((c, k) => {
    it(`#${k} ${c.kind} ${JSON.stringify(c.opts)} on ${JSON.stringify(c.x.shape)}`, async () => {
      const r = await forwardBackward(c.x.data, c.x.shape, { kind: c.kind, ...c.opts }, () => rj.tensor(c.dy.data, c.dy.shape));
      expect(r.shape).toEqual(c.y.shape);
      expectClose(`${c.kind} y`, r.y, c.y.data, 1e-5, 1e-6);
      // Max pooling's gradient is exact routing (ties included), so it must match to rounding.
      expectClose(`${c.kind} dx`, r.dx, c.dx.data, 1e-5, 1e-6);
    });
  });

  it('clear errors for bad geometry', () => {
    const x = rj.zeros([1, 1, 4, 4]);
    expect(() => rj.maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(/maxPool2d: padding must be at most half the kernel size/);
    expect(() => rj.avgPool2d(x, { kernelSize: 5 })).toThrow(/avgPool2d: kernel \[5, 5\] .* does not fit input \[1, 1, 4, 4\]/);
    expect(() => rj.maxPool2d(rj.zeros([4, 4]), { kernelSize: 2 })).toThrow(/input must be NCHW \(rank 4\), got shape \[4, 4\]/);
    expect(() => rj.adaptiveAvgPool2d(x, 0)).toThrow(/outputSize must be an integer ≥ 1/);
  });
});

it('WebGPU matches the reference on random geometries (forward and backward)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        kind: fc.constantFrom('max' as const, 'avg' as const, 'adaptive' as const),
        n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 1, max: 11 }), w: fc.integer({ min: 1, max: 11 }),
        kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
        sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
        padFrac: fc.integer({ min: 0, max: 2 }), countIncludePad: fc.boolean(),
        oh: fc.integer({ min: 1, max: 5 }), ow: fc.integer({ min: 1, max: 5 }),
        ties: fc.boolean(), seed: fc.integer({ min: 0, max: 1 << 20 }),
      }),
      async (k) => {
        const kh = Math.min(k.kh, k.h), kw = Math.min(k.kw, k.w);
        const cfg: Cfg = {
          kind: k.kind, kernelSize: [kh, kw], stride: [k.sh, k.sw],
          padding: [Math.min(k.padFrac, Math.floor(kh / 2)), Math.min(k.padFrac, Math.floor(kw / 2))],
          countIncludePad: k.countIncludePad, outputSize: [k.oh, k.ow],
        };
        const shape = [k.n, k.c, k.h, k.w];
        const xs = await withBackend('cpu', async () => {
          const r = Array.from(await rj.randn(shape, { seed: k.seed }).toArray());
          // Small integers make ties common: both backends must pick the same (first) maximum.
          return k.ties ? r.map(Math.floor) : r;
        });
        const run = (name: 'cpu' | 'webgpu') => withBackend(name, () => forwardBackward(xs, shape, cfg, (s) => rj.randn(s, { seed: k.seed + 1 })));
        const ref = await run('cpu'), gpu = await run('webgpu');
        expectClose(`${JSON.stringify(k)} y`, gpu.y, ref.y, 1e-5, 1e-6);
        expectClose(`${JSON.stringify(k)} dx`, gpu.dx, ref.dx, 1e-5, 1e-5);
      },
    ),
    { numRuns: 60 },
  );
});

it('average pooling gradients match finite differences (float64 reference)', async () => {
  await withBackend('cpu64', async () => {
    const shape = [1, 2, 5, 4];
    const data = Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.37) * 2);
    const r = rj.tensor(Array.from({ length: 40 }, (_, i) => Math.cos(i * 0.7)), [1, 2, 5, 4]);
    await checkGradients('avgPool2d', [{ data, shape }], ([x]) => rj.sum(rj.mul(rj.avgPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], countIncludePad: false }), 0.5)));
    await checkGradients('adaptiveAvgPool2d', [{ data, shape }], ([x]) => rj.sum(rj.mul(rj.adaptiveAvgPool2d(x, [3, 3]), rj.tensor(Array.from({ length: 18 }, (_, i) => i - 4), [1, 2, 3, 3]))));
    // Max pooling is piecewise linear; with distinct values a small step keeps every argmax.
    await checkGradients('maxPool2d', [{ data, shape }], ([x]) => rj.sum(rj.mul(rj.maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }), rj.sum(r))));
  });
});

it('windows that tile the input (kernel = stride, OH | H for adaptive; 2×2 max pools exactly tiling theirs: pool2d_backward_max2) take the one-lookup backward and match the reference', async () => {
  const max2: Cfg = { kind: 'max', kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: false, outputSize: [1, 1] };
  const cases: [Cfg, number[]][] = [
    [max2, [2, 3, 28, 28]], [max2, [1, 2, 14, 14]], [max2, [3, 1, 2, 2]], [max2, [2, 2, 6, 10]],
    [{ kind: 'max', kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: false, outputSize: [1, 1] }, [2, 3, 7, 9]],
    [{ kind: 'max', kernelSize: [3, 3], stride: [3, 3], padding: [0, 0], countIncludePad: false, outputSize: [1, 1] }, [1, 2, 10, 11]],
    [{ kind: 'avg', kernelSize: [2, 3], stride: [2, 3], padding: [0, 0], countIncludePad: true, outputSize: [1, 1] }, [2, 2, 9, 10]],
    [{ kind: 'adaptive', kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], countIncludePad: false, outputSize: [1, 1] }, [3, 4, 7, 7]],
    [{ kind: 'adaptive', kernelSize: [1, 1], stride: [1, 1], padding: [0, 0], countIncludePad: false, outputSize: [2, 3] }, [2, 2, 6, 9]],
  ];
  for (const [cfg, shape] of cases) {
    const xs = await withBackend('cpu', async () => Array.from(await rj.randn(shape, { seed: 5 }).toArray()).map((v) => Math.round(v * 2) / 2));
    const run = (name: 'cpu' | 'webgpu') => withBackend(name, () => forwardBackward(xs, shape, cfg, (s) => rj.randn(s, { seed: 6 })));
    const ref = await run('cpu'), gpu = await run('webgpu');
    expectClose(`${JSON.stringify(cfg)} ${shape} y`, gpu.y, ref.y, 1e-5, 1e-6);
    expectClose(`${JSON.stringify(cfg)} ${shape} dx`, gpu.dx, ref.dx, 1e-5, 1e-6);
  }
});

it('max pooling with NaN: the window yields NaN and its gradient goes where the reference sends it (general and 2×2 kernels)', async () => {
  const shapes = [[1, 2, 4, 6], [1, 1, 5, 5]]; // 2×2 tiling (pool2d_max2) and a partial tiling (general kernel)
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    // NaN first, NaN after a larger value, two NaNs in one window, and plain windows.
    const xs = Array.from({ length: n }, (_, i) => ([1, 7, 14, 15, 20].includes(i) ? NaN : Math.sin(i * 1.3) * 3));
    const cfg: Cfg = { kind: 'max', kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: false, outputSize: [1, 1] };
    const run = (name: 'cpu' | 'webgpu') => withBackend(name, () => forwardBackward(xs, shape, cfg, (s) => rj.add(rj.zeros(s as number[]), 1)));
    const ref = await run('cpu'), gpu = await run('webgpu');
    expect(Array.from(gpu.y).map(String), `${shape} y`).toEqual(Array.from(ref.y).map(String));
    expect(Array.from(gpu.dx), `${shape} dx`).toEqual(Array.from(ref.dx));
    expect(Array.from(ref.y).some(Number.isNaN)).toBe(true);
  }
});

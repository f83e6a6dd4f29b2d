import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';

afterAll(() => destroyGpu());

interface OptimCase {
  kind: 'sgd' | 'adam';
  opts: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; beta1?: number; beta2?: number; eps?: number; decoupled?: boolean; l1: number };
  param: GoldenTensor;
  grads: GoldenTensor[];
  after: GoldenTensor[];
}
const golden = loadGolden<{ optim: OptimCase[] }>('cnn.json');

/** Run `steps` updates from PyTorch's initial parameter and gradients; returns the parameter after each. */
async function runSteps(c: OptimCase): Promise<Float32Array[]> {
  const p = rj.tensor(c.param.data, c.param.shape);
  let buf: rj.Tensor | null = null;
  const m = rj.zeros(p.shape), v = rj.zeros(p.shape);
  const out: Float32Array[] = [];
  for (let s = 0; s < c.grads.length; s++) {
    const g = rj.tensor(c.grads[s].data, c.grads[s].shape);
    if (c.kind === 'sgd') buf = rj.sgdUpdate(p, g, buf, c.opts);
    else rj.adamUpdate(p, g, m, v, { ...c.opts, step: s + 1 });
    out.push((await p.toArray()) as Float32Array);
    g.dispose();
  }
  for (const t of [p, m, v, buf]) t?.dispose();
  return out;
}

describeEachBackend('optimizer updates vs PyTorch', () => {
  for (const c of golden.optim) {
    it(`${c.kind} ${JSON.stringify(c.opts)}: 5 steps`, async () => {
      const after = await runSteps(c);
      after.forEach((a, s) => expectClose(`${c.kind} step ${s + 1}`, a, c.after[s].data, 2e-5, 1e-6));
    });
  }

  it('l1 uses sign(0) = 0 and leaves zero weights alone without weight decay', async () => {
    const p = rj.tensor([0, 1, -2]);
    const g = rj.zeros([3]);
    rj.sgdUpdate(p, g, null, { lr: 0.5, l1: 0.1 });
    expect(Array.from(await p.toArray())).toEqual([0, Math.fround(1 - 0.05), Math.fround(-2 + 0.05)]);
  });

  it('rejects mismatched state and bad hyperparameters with the op name', () => {
    const p = rj.zeros([2, 3]);
    expect(() => rj.sgdUpdate(p, rj.zeros([3, 2]), null, { lr: 0.1 })).toThrow(/sgdUpdate: grad must have the parameter's shape \[2, 3\], got \[3, 2\]/);
    expect(() => rj.sgdUpdate(p, rj.zeros([2, 3]), null, { lr: 0.1, nesterov: true })).toThrow(/sgdUpdate: nesterov needs momentum/);
    expect(() => rj.adamUpdate(p, rj.zeros([2, 3]), rj.zeros([2, 3]), rj.zeros([2, 3]), { lr: 0.1, step: 0 })).toThrow(/adamUpdate: step counts from 1/);
    expect(() => rj.adamUpdate(p, rj.zeros([2, 3]), rj.zeros([2]), rj.zeros([2, 3]), { lr: 0.1, step: 1 })).toThrow(/first moment m must have/);
  });
});

it('WebGPU updates match the reference on random sizes and hyperparameters', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 700 }),
      fc.record({
        lr: fc.double({ min: 1e-4, max: 1, noNaN: true }),
        momentum: fc.constantFrom(0, 0.5, 0.9),
        dampening: fc.constantFrom(0, 0.1),
        nesterov: fc.boolean(),
        weightDecay: fc.constantFrom(0, 1e-4, 0.1),
        l1: fc.constantFrom(0, 1e-3, 0.1),
        decoupled: fc.boolean(),
      }),
      fc.integer({ min: 0, max: 1000 }),
      async (n, h, seed) => {
        const nesterov = h.nesterov && h.momentum > 0 && h.dampening === 0;
        const results: Float32Array[][] = [];
        for (const name of ['cpu', 'webgpu'] as const) {
          results.push(await withBackend(name, async () => {
            const p = rj.randn([n], { seed }), p2 = rj.randn([n], { seed: seed + 1 });
            const m = rj.zeros([n]), v = rj.zeros([n]);
            let buf: rj.Tensor | null = null;
            for (let s = 1; s <= 3; s++) {
              const g = rj.randn([n], { seed: seed + 10 * s });
              buf = rj.sgdUpdate(p, g, buf, { ...h, nesterov });
              rj.adamUpdate(p2, g, m, v, { ...h, step: s });
              g.dispose();
            }
            const out = (await rj.readAll([p, p2, m, v])) as Float32Array[];
            for (const t of [p, p2, m, v, buf]) t?.dispose();
            return out;
          }));
        }
        const names = ['sgd param', 'adam param', 'adam m', 'adam v'];
        results[0].forEach((ref, i) => expectClose(names[i], results[1][i], ref, 1e-5, 1e-6));
      },
    ),
    { numRuns: 25 },
  );
});

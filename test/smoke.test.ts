import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';

afterAll(() => destroyGpu());

describeEachBackend('smoke', () => {
  it('adds with broadcasting and backprops', async () => {
    const a = rj.tensor([[1, 2, 3], [4, 5, 6]], undefined, { requiresGrad: true });
    const b = rj.tensor([10, 20, 30], undefined, { requiresGrad: true });
    const y = rj.sum(rj.mul(rj.add(a, b), a));
    expect(await y.item()).toBeCloseTo(1 * 11 + 2 * 22 + 3 * 33 + 4 * 14 + 5 * 25 + 6 * 36);
    y.backward();
    expect(Array.from(await a.grad!.toArray())).toEqual([12, 24, 36, 18, 30, 42]);
    expect(Array.from(await b.grad!.toArray())).toEqual([5, 7, 9]);
  });
  it('draws identical random bits', async () => {
    const u = await rj.rand([10], { seed: 42 }).toArray();
    const n = await rj.randn([10], { seed: 42, std: 0.5 }).toArray();
    expect(u[0]).toBeGreaterThanOrEqual(0);
    console.log(Array.from(u).slice(0, 3), Array.from(n).slice(0, 3));
  });
});

import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';

afterAll(() => destroyGpu());

describeEachBackend('dropout', () => {
  it('zeroes about p of the elements, scales the rest by 1/(1-p), and backprops through the same mask', async () => {
    const n = 20000, p = 0.3;
    const x = rj.rand([n], { seed: 3, low: 1, high: 2, requiresGrad: true });
    const y = rj.dropout(x, p, { training: true, seed: 11 });
    rj.sum(y).backward();
    const [xv, yv, g] = await rj.readAll([x, y, x.grad!]);
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      if (yv[i] === 0) {
        dropped++;
        expect(g[i]).toBe(0);
      } else {
        expect(yv[i]).toBe(Math.fround(xv[i] * Math.fround(1 / (1 - p))));
        expect(g[i]).toBe(Math.fround(1 / (1 - p)));
      }
    }
    // Binomial(20000, 0.3): std ≈ 65, so ±400 is a > 6σ band.
    expect(Math.abs(dropped - p * n)).toBeLessThan(400);
  });

  it('is the identity in eval mode and for p = 0; p = 1 drops everything', async () => {
    const x = rj.randn([50], { seed: 1 });
    expect(Array.from(await rj.dropout(x, 0.5, { training: false }).toArray())).toEqual(Array.from(await x.toArray()));
    expect(Array.from(await rj.dropout(x, 0, { training: true, seed: 1 }).toArray())).toEqual(Array.from(await x.toArray()));
    expect(Array.from(await rj.dropout(x, 1, { training: true, seed: 1 }).toArray()).every((v) => v === 0)).toBe(true);
    expect(() => rj.dropout(x, 1.5, { training: true })).toThrow(/dropout: p must lie in \[0, 1\], got 1.5/);
  });

  it('advances the global generator: two calls draw different masks', async () => {
    rj.manualSeed(5);
    const x = rj.ones([64]);
    const a = await rj.dropout(x, 0.5, { training: true }).toArray();
    const b = await rj.dropout(x, 0.5, { training: true }).toArray();
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
});

it('WebGPU and the reference draw bit-identical masks (several sizes and p)', async () => {
  for (const [n, p, seed] of [[1, 0.5, 0], [7, 0.1, 3], [1023, 0.5, 99], [70000, 0.9, 2 ** 40 + 5]] as const) {
    const get = (name: 'cpu' | 'webgpu') => withBackend(name, () => rj.dropout(rj.randn([n], { seed: 1 }), p, { training: true, seed }).toArray());
    expect(Array.from(await get('webgpu'))).toEqual(Array.from(await get('cpu')));
  }
});

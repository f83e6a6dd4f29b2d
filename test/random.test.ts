/**
 * Counter-based random numbers: Philox4x32-10 against the Random123 known-answer vectors, the same
 * bits on both backends for many seeds/offsets/sizes (offsets past 2^32 blocks, sizes that are not
 * multiples of 4), the counter layout, rough moments, and the global generator.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { philox4x32 } from '../src/core/random.js';
import { destroyGpu, rj, withBackend } from './helpers/backends.js';
import { runOn } from './helpers/compare.js';

afterAll(() => destroyGpu());

const bitsOf = (a: number[]) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const hex = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0'));
    expect(hex(philox4x32(0, 0, 0, 0, 0, 0))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const f = 0xffffffff;
    expect(hex(philox4x32(f, f, f, f, f, f))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(hex(philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0))).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('rand / randn: the same bits on both backends', () => {
  const seeds = [0, 1, 42, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
  const offsets = [0, 1, 7, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 3, 2 ** 40 + 11];
  const sizes = [1, 3, 5, 13, 1000, 4099];
  it('for every seed × offset × size', async () => {
    for (const seed of seeds) {
      for (const offset of offsets) {
        const build = () => sizes.flatMap((n) => [rj.rand([n], { seed, offset }), rj.randn([n], { seed, offset, mean: 0.5, std: 2 }), rj.rand([n], { seed, offset, low: -3, high: 5 })]);
        const ref = await runOn('cpu', build);
        const gpu = await runOn('webgpu', build);
        ref.forEach((r, i) => expect(bitsOf(gpu[i].data), `seed ${seed} offset ${offset} output ${i}`).toEqual(bitsOf(r.data)));
      }
    }
  });
  it('offset counts blocks of 4 values, carrying into the high word past 2^32', async () => {
    for (const name of ['cpu', 'webgpu'] as const) {
      const [long, shifted, wrapped, high] = await runOn(name, () => [
        rj.rand([23], { seed: 9 }), rj.rand([11], { seed: 9, offset: 3 }),
        rj.randn([12], { seed: 9, offset: 2 ** 32 - 1 }), rj.randn([8], { seed: 9, offset: 2 ** 32 }),
      ]);
      expect(shifted.data, name).toEqual(long.data.slice(12));
      expect(wrapped.data.slice(4), name).toEqual(high.data);
      expect(high.data, name).not.toEqual(wrapped.data.slice(0, 8));
    }
  });
  it('a 2-D shape draws the same sequence as its flat size', async () => {
    const [a, b] = await runOn('webgpu', () => [rj.randn([3, 7], { seed: 4 }), rj.randn([21], { seed: 4 })]);
    expect(a.data).toEqual(b.data);
  });
});

describe('moments', () => {
  it('uniform and normal are roughly right (n = 200k)', async () => {
    const n = 200_000;
    const [u, z, s] = await runOn('webgpu', () => [rj.rand([n], { seed: 3 }), rj.randn([n], { seed: 3 }), rj.randn([n], { seed: 8, mean: 2, std: 0.5 })]);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const vari = (a: number[]) => { const m = mean(a); return a.reduce((x, y) => x + (y - m) ** 2, 0) / a.length; };
    expect(Math.abs(mean(u.data) - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(vari(u.data) - 1 / 12)).toBeLessThan(0.002);
    expect(u.data.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(0);
    expect(u.data.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);
    expect(Math.abs(mean(z.data))).toBeLessThan(0.01);
    expect(Math.abs(vari(z.data) - 1)).toBeLessThan(0.02);
    // Tail mass beyond ±1.96 ≈ 5 %, within sampling noise.
    expect(Math.abs(z.data.filter((v) => Math.abs(v) > 1.96).length / n - 0.05)).toBeLessThan(0.004);
    expect(Math.abs(mean(s.data) - 2)).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(vari(s.data)) - 0.5)).toBeLessThan(0.01);
  });
});

describe('the global generator', () => {
  it('advances by ceil(size / 4) blocks per draw and replays after manualSeed', async () => {
    for (const name of ['cpu', 'webgpu'] as const) {
      await withBackend(name, async () => {
        rj.manualSeed(77);
        const a = rj.rand([10]);
        expect(rj.generatorState()).toEqual({ seed: 77, offset: 3 });
        const b = rj.randn([5]);
        expect(rj.generatorState()).toEqual({ seed: 77, offset: 5 });
        const [av, bv] = (await rj.readAll([a, b])).map((x) => Array.from(x));
        expect(av).not.toEqual(Array.from(await rj.rand([10], { seed: 77, offset: 5 }).toArray()));
        expect(av).toEqual(Array.from(await rj.rand([10], { seed: 77, offset: 0 }).toArray()));
        expect(bv).toEqual(Array.from(await rj.randn([5], { seed: 77, offset: 3 }).toArray()));
        rj.manualSeed(77);
        expect(Array.from(await rj.rand([10]).toArray())).toEqual(av);
        // An explicit seed leaves the global generator alone.
        const before = rj.generatorState();
        rj.rand([100], { seed: 1 }).dispose();
        expect(rj.generatorState()).toEqual(before);
      });
    }
  });
});

/**
 * Neural Rejuvenation device kernels: the all-layer γ statistics on hand-computed patterns, and the
 * WebGPU gather / masked initialization / statistics equal the reference backend bit for bit on
 * fast-check random shapes.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gammaStats, gatherSurvived, indexTensor, maskedInit, packLayout, type GammaLayout } from '../src/rejuv/ops.js';
import { describeEachBackend, destroyGpu, rj, withBackend } from './helpers/backends.js';

afterAll(() => destroyGpu());

async function stats(gs: number[][], layout: GammaLayout) {
  const info = rj.tensor(packLayout(layout), undefined, { dtype: 'int32' });
  const s = gammaStats(gs.map((g) => rj.tensor(g)), info, layout);
  const [mask, maxes, counts] = await rj.readAll([s.mask, s.maxes, s.counts]);
  return { mask: Array.from(mask), maxes: Array.from(maxes), counts: Array.from(counts) };
}

describeEachBackend('nr gamma stats', () => {
  it('applies the 1 % relative rule per layer, fixed layers, whole-layer death and dead inputs', async () => {
    const gs = [
      [0.5, -0.004, 0.005, -1.0], // max 1, threshold 0.01: 0.004 and 0.005 are dead
      [0.0005, 0.0002, 0.0009], // max < 1e-3: whole layer dead
      [0.3, 0.0, 0.2], // reads only layer 1 (dead) → dead
      [0.0, 0.7, 0.0], // fixed: all alive (input is a residual stream)
      [2.0, 0.02, 0.019], // reads layers 0 and 2 (concat): live input; 0.019 < 0.02 dead
    ];
    const layout: GammaLayout = { lengths: [4, 3, 3, 3, 3], fixed: [false, false, false, true, false], deps: [[], [0], [1], [], [0, 2]] };
    const s = await stats(gs, layout);
    expect(s.mask).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
    expect(s.counts).toEqual([2, 0, 0, 3, 2]);
    expect(s.maxes[0]).toBe(1);
    expect(s.maxes[4]).toBe(2);
  });
});

describe('nr kernels: WebGPU equals the reference bit for bit', () => {
  it('gamma stats on random γ patterns', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ n: fc.integer({ min: 1, max: 150 }), scale: fc.constantFrom(1, 0.01, 1e-4), fixed: fc.boolean() }), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 0, max: 1000 }),
      async (layers, seed) => {
        const layout: GammaLayout = {
          lengths: layers.map((l) => l.n), fixed: layers.map((l) => l.fixed), deps: layers.map((_, i) => (i === 0 ? [] : [i - 1])),
        };
        const draw = async () => Promise.all(layers.map(async (l, i) => {
          // Heavy-tailed γ (a normal cubed) so many channels fall under 1 % of the max.
          const z = await rj.randn([l.n], { seed: seed * 7 + i, std: 1 }).toArray();
          return Array.from(z, (v) => v * v * v * l.scale);
        }));
        const gsCpu = await withBackend('cpu', draw);
        const a = await withBackend('cpu', () => stats(gsCpu, layout));
        const b = await withBackend('webgpu', () => stats(gsCpu, layout));
        expect(b).toEqual(a);
      }), { numRuns: 15 });
  });

  it('gather of survived blocks', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 4, 9), fc.integer({ min: 0, max: 1e6 }),
      async (m0, m1, inner, seed) => {
        const pick = (m: number, s: number) => Array.from({ length: m }, (_, i) => i).filter((i) => ((i * 2654435761 + s) >>> 0) % 3 !== 0);
        const rows = pick(m0, seed), cols = pick(m1, seed + 1);
        const run = () => {
          const x = rj.randn([m0, m1, inner], { seed });
          return gatherSurvived(x, [m0, m1, inner], indexTensor(rows), indexTensor(cols), [rows.length, cols.length, inner]).toArray();
        };
        const a = await withBackend('cpu', run);
        const b = await withBackend('webgpu', run);
        expect(Array.from(b)).toEqual(Array.from(a));
        // and it is the gather it claims to be
        const x = await withBackend('cpu', () => rj.randn([m0, m1, inner], { seed }).toArray());
        rows.forEach((r, i) => cols.forEach((c, j) => {
          for (let t = 0; t < inner; t++) expect(a[(i * cols.length + j) * inner + t]).toBe(x[(r * m1 + c) * inner + t]);
        }));
      }), { numRuns: 20 });
  });

  it('masked initialization (He normal R→R, zero cross blocks, constants)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(1, 9), fc.integer({ min: 0, max: 2 ** 40 }), fc.boolean(),
      async (rows, cols, inner, seed, stem) => {
        const a = Math.max(0, rows - 3), b = stem ? cols : Math.max(0, cols - 2);
        const run = () => {
          const src = rj.randn([a, b, inner], { seed: 3 });
          return maskedInit(src, {
            view: [rows, cols, inner], a, b, seed, offset: 5, outShape: [rows, cols, inner],
            sr: { random: stem, value: stem ? 0.3 : 0 }, rs: { random: false, value: 0 }, rr: { random: true, value: Math.sqrt(2 / (inner * rows)) },
          }).toArray();
        };
        const x = await withBackend('cpu', run);
        const y = await withBackend('webgpu', run);
        expect(Array.from(y)).toEqual(Array.from(x));
        const src = await withBackend('cpu', () => rj.randn([a, b, inner], { seed: 3 }).toArray());
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) for (let t = 0; t < inner; t++) {
          const v = x[(i * cols + j) * inner + t];
          if (i < a && j < b) expect(v).toBe(src[(i * b + j) * inner + t]);
          else if (i < a || (j < b && !stem)) expect(v).toBe(0);
        }
      }), { numRuns: 20 });
  });
});

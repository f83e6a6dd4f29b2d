/**
 * Neural Rejuvenation host logic on hand-computed γ patterns: the γ statistics kernel (both backends)
 * feeds utilization (parameter and FLOPs modes), the expansion rate and the planned widths for a
 * VGG chain, a ResNet with fixed layers and a DenseNet with concatenations. Every expected number is
 * worked out by hand in the comments.
 */
import { afterAll, expect, it } from 'vitest';
import { gammaLayout, type ChannelGraph } from '../src/rejuv/channels.js';
import { gammaStats, packLayout } from '../src/rejuv/ops.js';
import { LambdaController } from '../src/rejuv/lambda.js';
import { planWidths, resource, utilization } from '../src/rejuv/plan.js';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';

afterAll(() => destroyGpu());

async function aliveCounts(g: ChannelGraph, gammas: number[][]): Promise<number[]> {
  const layout = gammaLayout(g);
  const s = gammaStats(gammas.map((x) => rj.tensor(x)), rj.tensor(packLayout(layout), undefined, { dtype: 'int32' }), layout);
  return Array.from(await s.counts.toArray());
}

const img = { kind: 'image', channels: 3 } as const;
const unit = (u: number) => ({ kind: 'unit', unit: u }) as const;

describeEachBackend('nr plan', () => {
  it('VGG chain: utilization, FLOPs mode and widths', async () => {
    const g: ChannelGraph = {
      units: [
        { name: 'c0', out: 4, kernel: 9, fixed: false, input: img, outArea: 16 },
        { name: 'c1', out: 4, kernel: 9, fixed: false, input: unit(0), outArea: 16 },
        { name: 'c2', out: 8, kernel: 9, fixed: false, input: unit(1), outArea: 4 },
      ],
      classifier: unit(2),
    };
    const alive = await aliveCounts(g, [
      [0.5, 0, 0.3, 0.001], // thr 0.005 → 2 alive
      [0.2, 0.2, 0.2, 0.2], // 4
      [1, 0, 0, 0, 0, 0, 0.5, 0.009], // thr 0.01 → 2
    ]);
    expect(alive).toEqual([2, 4, 2]);
    // R_all = 4·3·9 + 4·4·9 + 8·4·9 = 540; R_live = 2·3·9 + 4·2·9 + 2·4·9 = 198
    expect(resource(g, alive)).toEqual({ live: 198, all: 540 });
    expect(utilization(g, alive)).toBeCloseTo(198 / 540, 12);
    // FLOPs: 108·16 + 144·16 + 288·4 = 5184; 54·16 + 72·16 + 72·4 = 2304
    expect(resource(g, alive, 'flops')).toEqual({ live: 2304, all: 5184 });
    const p = planWidths(g, alive);
    expect(p.rate).toBeCloseTo(Math.sqrt(540 / 198), 12); // 1.6514
    expect(p.widths).toEqual([3, 6, 3]);
    const pf = planWidths(g, alive, { mode: 'flops' });
    expect(pf.rate).toBeCloseTo(1.5, 12); // sqrt(5184 / 2304)
    expect(pf.widths).toEqual([3, 6, 3]);
  });

  it('ResNet: fixed layers never die, additions are all alive', async () => {
    const a1 = { kind: 'add', inputs: [unit(0), unit(2)] } as const;
    const a2 = { kind: 'add', inputs: [a1, unit(4)] } as const;
    const g: ChannelGraph = {
      units: [
        { name: 'stem', out: 4, kernel: 9, fixed: true, input: img },
        { name: 'b1.c1', out: 2, kernel: 9, fixed: false, input: unit(0) },
        { name: 'b1.c2', out: 4, kernel: 9, fixed: true, input: unit(1) },
        { name: 'b2.c1', out: 2, kernel: 1, fixed: false, input: a1 },
        { name: 'b2.c2', out: 4, kernel: 1, fixed: true, input: unit(3) },
      ],
      classifier: a2,
    };
    const alive = await aliveCounts(g, [
      [0, 0, 0, 0.5], // fixed: all 4 alive although three γ are 0
      [0.3, 0.001], // thr 0.003 → 1
      [0.1, 0, 0, 0], // fixed → 4
      [0.2, 0.1], // reads the stream (always alive) → 2
      [1, 1, 1, 1], // fixed → 4
    ]);
    expect(alive).toEqual([4, 1, 4, 2, 4]);
    // R_all = 108 + 72 + 72 + 8 + 8 = 268; R_live = 4·3·9 + 1·4·9 + 4·1·9 + 2·4 + 4·2 = 196
    expect(resource(g, alive)).toEqual({ live: 196, all: 268 });
    const p = planWidths(g, alive);
    expect(p.widths).toEqual([4, 1, 4, 2, 4]); // r = 1.169: every fixed layer gets the same ⌊4r⌋
    // A fixed layer whose only input died is whole-dead (no live input) even though it is fixed.
    const dead = await aliveCounts(g, [[0, 0, 0, 0.5], [0.3, 0.001], [0.1, 0, 0, 0], [0, 0.0005], [1, 1, 1, 1]]);
    expect(dead).toEqual([4, 1, 4, 0, 0]);
  });

  it('DenseNet: concatenations join masks, whole-layer death, integer rate', async () => {
    const c1 = { kind: 'concat', inputs: [unit(0), unit(1)] } as const;
    const c2 = { kind: 'concat', inputs: [unit(0), unit(1), unit(2)] } as const;
    const g: ChannelGraph = {
      units: [
        { name: 'stem', out: 4, kernel: 9, fixed: false, input: img },
        { name: 'd1', out: 3, kernel: 9, fixed: false, input: unit(0) },
        { name: 'd2', out: 3, kernel: 9, fixed: false, input: c1 },
        { name: 'trans', out: 5, kernel: 1, fixed: false, input: c2 },
      ],
      classifier: unit(3),
    };
    const alive = await aliveCounts(g, [
      [1, 0, 1, 0], // 2
      [0.0005, 0.0002, 0], // max < 1e-3: the whole layer dies
      [0.5, 0.5, 0.001], // 2 (its concat input still has the stem's channels)
      [1, 1, 1, 1, 0], // 4
    ]);
    expect(alive).toEqual([2, 0, 2, 4]);
    // R_all = 108 + 108 + 3·7·9 + 5·10 = 455; R_live = 2·3·9 + 0 + 2·(2+0)·9 + 4·(2+0+2) = 106
    expect(resource(g, alive)).toEqual({ live: 106, all: 455 });
    expect(planWidths(g, alive).rate).toBeCloseTo(Math.sqrt(455 / 106), 12); // 2.07
    const p = planWidths(g, alive, { integerRate: true });
    expect(p.rate).toBe(2);
    expect(p.widths).toEqual([4, 0, 4, 8]); // the dead dense layer is deleted (width 0)
  });
});

it('λ controller: constant, adaptive (+Δλ when utilization fell by < δ), off after surgery', () => {
  const c = new LambdaController({ mode: 'constant', lambda: 1.5e-4 });
  c.observe(0.99);
  c.observe(0.985);
  expect(c.value).toBe(1.5e-4);
  const a = new LambdaController({ mode: 'adaptive', lambda0: 0, step: 2e-3, delta: 0.01 });
  a.observe(1.0); // fell by 0 < 0.01 → +Δλ
  expect(a.value).toBeCloseTo(2e-3, 15);
  a.observe(0.9); // fell by 0.1 → hold
  expect(a.value).toBeCloseTo(2e-3, 15);
  a.observe(0.895); // fell by 0.005 → +Δλ
  expect(a.value).toBeCloseTo(4e-3, 15);
  a.stop();
  expect(a.value).toBe(0);
  expect(() => new LambdaController({ mode: 'constant', lambda: -1 })).toThrow(/lambda/);
});

/**
 * Optimizer classes and LR schedules: trajectories vs torch.optim (test/goldens/optim-classes.json
 * from scripts/goldens/optim_classes.py) with two parameter groups and the L1 hook; bit-equality with
 * the functional update kernels; state-dict round trips; schedules vs torch.optim.lr_scheduler.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optim } from '../src/index.js';
import { Conv2d, Linear, Sequential } from '../src/nn/index.js';
import { scheduledLr } from '../src/nn/schedule.js';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';

interface OptCase {
  kind: 'SGD' | 'Adam' | 'AdamW';
  defaults: Record<string, number | boolean>;
  group1: Record<string, number | boolean>;
  l1: number;
  trajectory: [number[], number[]][];
}
const golden = JSON.parse(readFileSync(new URL('./goldens/optim-classes.json', import.meta.url), 'utf8')) as {
  optimizers: OptCase[];
  p0: number[];
  p1: number[];
  grads: [number[], number[]][];
  schedules: { kind: string; options: Record<string, number | number[]>; lrs: number[][] }[];
};

afterAll(() => destroyGpu());

function make(kind: OptCase['kind'], params: ConstructorParameters<typeof optim.Adam>[0], defaults: Record<string, unknown>) {
  return kind === 'SGD'
    ? new optim.SGD(params as ConstructorParameters<typeof optim.SGD>[0], defaults as { lr: number })
    : kind === 'Adam'
      ? new optim.Adam(params, defaults)
      : new optim.AdamW(params, defaults);
}

function closeTo(got: ArrayLike<number>, want: number[], rel = 2e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > rel * Math.max(1, Math.abs(want[i]))) {
      expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

describeEachBackend('optimizer classes', () => {
  for (const c of golden.optimizers) {
    it(`${c.kind} ${JSON.stringify(c.defaults)} / group ${JSON.stringify(c.group1)} matches torch.optim over 5 steps`, async () => {
      const p0 = rj.tensor(golden.p0, [3, 4]);
      const p1 = rj.tensor(golden.p1, [5]);
      const opt = make(c.kind, [{ params: [p0] }, { params: [p1], ...c.group1 }] as never, c.defaults);
      opt.setL1('1', c.l1);
      for (let s = 0; s < 5; s++) {
        p0.grad = rj.tensor(golden.grads[s][0], [3, 4]);
        p1.grad = rj.tensor(golden.grads[s][1], [5]);
        opt.step();
        closeTo(await p0.toArray(), c.trajectory[s][0]);
        closeTo(await p1.toArray(), c.trajectory[s][1]);
      }
      opt.zeroGrad();
      expect(p0.grad).toBeNull();
      opt.dispose();
      p0.dispose();
      p1.dispose();
    });
  }

  it('a step is exactly the functional update (sgdUpdate / adamUpdate)', async () => {
    const a = rj.randn([7, 3], { seed: 1 });
    const b = rj.randn([7, 3], { seed: 1 });
    const m = rj.zeros([7, 3]), v = rj.zeros([7, 3]);
    const sgdA = rj.randn([4], { seed: 2 }), sgdB = rj.randn([4], { seed: 2 });
    const adam = new optim.Adam([a], { lr: 0.01, weightDecay: 0.1 });
    const sgd = new optim.SGD([sgdA], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
    sgd.setL1('0', 0.01);
    let buf: rj.Tensor | null = null;
    for (let s = 1; s <= 3; s++) {
      a.grad = rj.randn([7, 3], { seed: 10 + s });
      const g = rj.randn([7, 3], { seed: 10 + s });
      adam.step();
      rj.adamUpdate(b, g, m, v, { lr: 0.01, weightDecay: 0.1, step: s });
      sgdA.grad = rj.randn([4], { seed: 20 + s });
      const h = rj.randn([4], { seed: 20 + s });
      sgd.step();
      buf = rj.sgdUpdate(sgdB, h, buf, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, l1: 0.01 });
      g.dispose();
      h.dispose();
    }
    expect(Array.from(await a.toArray())).toEqual(Array.from(await b.toArray()));
    expect(Array.from(await sgdA.toArray())).toEqual(Array.from(await sgdB.toArray()));
    expect(Array.from(await adam.stateDict().tensors['0.exp_avg_sq'].toArray())).toEqual(Array.from(await v.toArray()));
    for (const t of [a, b, m, v, sgdA, sgdB, buf!]) t.dispose();
    adam.dispose();
    sgd.dispose();
  });

  it('the extras hook overrides setL1 per parameter', async () => {
    const p = rj.tensor([1, -2, 0]);
    const opt = new optim.SGD([p], { lr: 1 });
    opt.setL1('0', 100);
    opt.extras = (name) => (name === '0' ? { l1: 0.5 } : undefined);
    p.grad = rj.zeros([3]);
    opt.step();
    expect(Array.from(await p.toArray())).toEqual([0.5, -1.5, 0]);
    p.dispose();
  });

  for (const kind of ['SGD', 'Adam'] as const) {
    it(`${kind}: stopping, saving and resuming from the state dict continues identically`, async () => {
      const run = async (split: boolean) => {
        const net = new Sequential(new Conv2d(1, 2, 1, { bias: false }), new Linear(2, 2));
        rj.manualSeed(5);
        net.loadStateDict(Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, rj.randn(t.shape, { seed: k.length })])));
        let opt = make(kind, net, { lr: 0.05, momentum: 0.9, weightDecay: 0.01 } as never);
        if (kind === 'Adam') opt = make(kind, net, { lr: 0.05, weightDecay: 0.01 });
        for (let s = 0; s < 4; s++) {
          if (split && s === 2) {
            const saved = opt.stateDict();
            expect(Object.keys(saved.tensors)).toEqual(
              kind === 'SGD'
                ? ['0.weight.momentum_buffer', '1.weight.momentum_buffer', '1.bias.momentum_buffer']
                : ['0.weight.exp_avg', '0.weight.exp_avg_sq', '1.weight.exp_avg', '1.weight.exp_avg_sq', '1.bias.exp_avg', '1.bias.exp_avg_sq'],
            );
            const json = JSON.parse(JSON.stringify(saved.meta));
            const fresh = make(kind, net, { lr: 123 } as never);
            fresh.loadStateDict({ meta: json, tensors: saved.tensors });
            opt.dispose();
            opt = fresh;
            expect(opt.paramGroups[0].lr).toBe(0.05);
          }
          for (const [i, p] of net.parameters().entries()) p.grad = rj.randn(p.shape, { seed: 100 * s + i });
          opt.step();
        }
        const out = await Promise.all(net.parameters().map(async (p) => Array.from(await p.toArray())));
        opt.dispose();
        net.dispose();
        return out;
      };
      expect(await run(true)).toEqual(await run(false));
    });
  }

  it('a training step of a zoo model with SGD + MultiStepLR keeps live memory constant and lowers the loss', async () => {
    rj.manualSeed(0);
    const model = rj.createModel('vgg_mini', { widthMultiplier: 0.25, inputSize: 8, numClasses: 3 });
    const opt = new optim.SGD(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
    const sched = new optim.MultiStepLR(opt, { milestones: [2] });
    for (const u of model.convBnUnits()) opt.setL1(`${u.bnName}.weight`, 1e-3);
    const x = rj.randn([6, 3, 8, 8], { seed: 4 });
    const y = rj.tensor([0, 1, 2, 0, 1, 2], [6], { dtype: 'int32' });
    const losses: number[] = [];
    const live: number[] = [];
    for (let s = 0; s < 4; s++) {
      const loss = rj.tidy(() => {
        opt.zeroGrad();
        const l = rj.crossEntropy(model.forward(x), y);
        l.backward();
        opt.step();
        return l;
      });
      losses.push(await loss.item());
      loss.dispose();
      sched.step();
      live.push(rj.memory().liveBytes);
    }
    // Momentum buffers and gradients appear in step 1; nothing grows afterwards.
    expect(live[3]).toBe(live[1]);
    expect(losses[3]).toBeLessThan(losses[0]);
    expect(opt.paramGroups[0].lr).toBeCloseTo(0.005, 12);
    const nbt = model.stateDict()['features.1.num_batches_tracked'];
    expect(Array.from(await nbt.toArray())).toEqual([4]);
    opt.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('follows parameters replaced by Module.loadStateDict; rejects a mismatched state', async () => {
    const net = new Linear(3, 2);
    const opt = new optim.SGD(net, { lr: 1 });
    const other = new Linear(3, 2);
    net.loadStateDict(other.stateDict());
    net.weight.grad = rj.ones([2, 3]);
    opt.step();
    const want = Array.from(await other.weight.toArray()).map((x) => Math.fround(x - 1));
    expect(Array.from(await net.weight.toArray())).toEqual(want);
    const adam = new optim.Adam(net);
    expect(() => adam.loadStateDict(opt.stateDict())).toThrow(/state is for optimizer 'SGD', this is 'Adam'/);
    const mom = new optim.SGD(net, { lr: 1, momentum: 0.9 });
    net.weight.grad = rj.ones([2, 3]);
    mom.step();
    const bad = { meta: mom.stateDict().meta, tensors: { 'weight.momentum_buffer': rj.zeros([3, 2]) } };
    expect(() => mom.loadStateDict(bad)).toThrow(/state 'weight\.momentum_buffer': expected \[2, 3\] float32, got \[3, 2\] float32/);
    expect(() => mom.setL1('nope', 1)).toThrow(/no parameter named 'nope'/);
    bad.tensors['weight.momentum_buffer'].dispose();
    for (const o of [opt, adam, mom]) o.dispose();
    net.dispose();
    other.dispose();
  });
});

describe('LR schedules match torch.optim.lr_scheduler', () => {
  beforeAll(() => rj.init({ backend: 'cpu' }));
  it.each(golden.schedules.map((s) => [s.kind, JSON.stringify(s.options), s] as const))('%s %s', (_k, _o, s) => {
    const opt = new optim.SGD([{ params: [rj.zeros([1])] }, { params: [rj.zeros([1])], lr: 0.03 }], { lr: 0.1, momentum: 0.9 });
    const sched = s.kind === 'MultiStepLR'
      ? new optim.MultiStepLR(opt, s.options as { milestones: number[]; gamma: number })
      : new optim.CosineAnnealingLR(opt, s.options as { tMax: number; etaMin?: number });
    s.lrs.forEach((want, epoch) => {
      const got = sched.lastLr();
      for (let i = 0; i < 2; i++) {
        if (Math.abs(got[i] - want[i]) > 1e-15 * want[i]) expect.fail(`epoch ${epoch}, group ${i}: got ${got[i]}, PyTorch ${want[i]}`);
      }
      sched.step();
    });
  });

  it.each(golden.schedules.map((s) => [s.kind, JSON.stringify(s.options), s] as const))('closed form scheduledLr (what the trainer uses) agrees with PyTorch: %s %s', (_k, _o, s) => {
    const o = s.options as { milestones?: number[]; gamma?: number; tMax?: number; etaMin?: number };
    s.lrs.forEach((want, epoch) => {
      [0.1, 0.03].forEach((lr, i) => {
        const got = s.kind === 'MultiStepLR'
          ? scheduledLr({ kind: 'multistep', lr, milestones: o.milestones!, gamma: o.gamma ?? 0.1 }, epoch)
          : scheduledLr({ kind: 'cosine', lr, tMax: o.tMax!, etaMin: o.etaMin }, epoch);
        if (Math.abs(got - want[i]) > 1e-12 * want[i]) expect.fail(`epoch ${epoch}, lr ${lr}: got ${got}, PyTorch ${want[i]}`);
      });
    });
  });

  it('shifts milestones and round-trips its state', () => {
    const mk = () => new optim.SGD([rj.zeros([1])], { lr: 0.1 });
    const a = new optim.MultiStepLR(mk(), { milestones: [2, 4] });
    a.step();
    a.shiftMilestones(1); // one monitoring epoch: decays at 3 and 5 instead
    a.step();
    expect(a.lastLr()).toEqual([0.1]);
    a.step();
    expect(a.lastLr()[0]).toBeCloseTo(0.01, 15);
    const b = new optim.MultiStepLR(mk(), { milestones: [] });
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    a.step();
    a.step();
    b.step();
    b.step();
    expect(b.lastLr()).toEqual(a.lastLr());
    expect(b.lastEpoch).toBe(5);
  });
});

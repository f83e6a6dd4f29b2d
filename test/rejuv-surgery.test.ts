/**
 * Neural Rejuvenation surgery on real zoo models: function preservation (dead neurons at γ = β = 0 →
 * the survived head's logits right after surgery equal the pre-surgery logits in train-mode BN),
 * planned widths and budgets, Scheme A cross blocks exactly zero after 50 SGD steps, and a round trip
 * of the rejuvenated model and NR state through a state dict + JSON (what checkpoints hold).
 */
import { afterAll, expect, it } from 'vitest';
import { createModel, modelFromDescription } from '../src/nn/models/index.js';
import type { ZooModel } from '../src/nn/graph.js';
import { sgdUpdate } from '../src/ops/optim.js';
import { twoHeads } from '../src/rejuv/heads.js';
import { NeuralRejuvenation, type NROptions } from '../src/rejuv/nr.js';
import { installMasks, installSchemeA } from '../src/rejuv/surgery.js';
import type { Conv2d } from '../src/nn/conv.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';

afterAll(() => destroyGpu());

/** Kill a fixed pattern of channels of every non-fixed unit: γ = β = 0; live β get small values. */
function killPattern(model: ZooModel, frac: (l: number) => number): void {
  model.convBnUnits().forEach((u, l) => {
    if (u.fixed) return;
    const C = u.conv.outChannels;
    const g = new Float32Array(C), b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const dead = c > 0 && ((c * 7 + l * 3) % 10) / 10 < frac(l);
      g[c] = dead ? 0 : 0.3 + 0.05 * ((c + l) % 5);
      b[c] = dead ? 0 : 0.02 * ((c % 3) - 1);
    }
    u.bn.registerParameter('weight', rj.tensor(g));
    u.bn.registerParameter('bias', rj.tensor(b));
  });
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

async function preservation(model: ZooModel, x: Tensor, opts: NROptions = {}) {
  model.train();
  // Logits of order 1 (the N(0, 0.01²) classifier would make a 1e-5 tolerance too lenient).
  model.classifier.registerParameter('weight', rj.mul(model.classifier.weight, 100));
  const before = await rj.tidy(() => rj.noGrad(() => model.forward(x))).toArray();
  const nr = new NeuralRejuvenation(model, { target: 0.99, ...opts });
  const alive = await nr.aliveCounts();
  const plan = await nr.plannedWidths();
  const res = await nr.rejuvenate();
  const after = await rj.tidy(() => rj.noGrad(() => twoHeads(nr.model, x, nr.split!.classifierS).zS)).toArray();
  return { before, after, alive, plan, res, nr };
}

describeEachBackend('nr surgery', () => {
  it('VGG: S-head logits after surgery equal the pre-surgery logits; widths = ⌊alive·r⌋', async () => {
    const model = createModel('vgg_mini', { widthMultiplier: 0.5, inputSize: 8, numClasses: 5 });
    killPattern(model, (l) => [0.5, 0.3, 0.6, 0.5, 0.7, 0.6][l]);
    const x = rj.randn([6, 3, 8, 8], { seed: 11 });
    const { before, after, alive, plan, res, nr } = await preservation(model, x);
    expect(alive.every((a, l) => a < [8, 8, 16, 16, 32, 32][l])).toBe(true);
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    expect(plan.widths).toEqual(alive.map((a) => Math.floor(a * plan.rate + 1e-9)));
    expect(nr.model.convBnUnits().map((u) => u.conv.outChannels)).toEqual(plan.widths);
    // Budget restored (dense ≤ original, floor rounding); effective = S→S + R→R blocks.
    const R = plan.resource;
    expect(res.denseParams).toBeLessThanOrEqual(R.all);
    expect(res.denseParams).toBeGreaterThan(0.8 * R.all);
    const u = nr.model.convBnUnits();
    let eff = 0;
    u.forEach((unit, l) => {
      const k = 9, A = res.split.aOut[l], a = res.split.aIn[l], C = unit.conv.outChannels, Cin = unit.conv.inChannels;
      eff += l === 0 ? C * Cin * k : (A * a + (C - A) * (Cin - a)) * k;
    });
    expect(res.effectiveParams).toBe(eff);
    nr.model.dispose();
    nr.dispose();
  });
});

describeEachBackend('nr rescaling and Scheme B', () => {
  it('neural rescaling (clean rule) keeps the S-head logits and lifts survived |γ| to ≥ 0.5', async () => {
    const model = createModel('vgg_mini', { widthMultiplier: 0.5, inputSize: 8, numClasses: 5 });
    killPattern(model, () => 0.5);
    const x = rj.randn([6, 3, 8, 8], { seed: 12 });
    const { before, after, nr } = await preservation(model, x, { rescale: true });
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    for (const [l, u] of nr.model.convBnUnits().entries()) {
      const g = await u.bn.weight!.toArray();
      for (let c = 0; c < nr.split!.aOut[l]; c++) expect(Math.abs(g[c])).toBeGreaterThanOrEqual(0.5 - 1e-6);
    }
    nr.model.dispose();
    nr.dispose();
  });

  it('Scheme B (cross-attention): S-head logits preserved at surgery, cross weights then learn', async () => {
    const model = createModel('vgg_mini', { widthMultiplier: 0.5, inputSize: 8, numClasses: 5 });
    killPattern(model, () => 0.5);
    const x = rj.randn([6, 3, 8, 8], { seed: 13 });
    const { before, after, nr } = await preservation(model, x, { scheme: 'b' });
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    const m = nr.model;
    const y = rj.tensor(Int32Array.from([0, 1, 2, 3, 4, 0]), [6], { dtype: 'int32' });
    rj.tidy(() => {
      nr.forwardLoss(x, y).loss.backward();
      for (const p of m.parameters()) {
        sgdUpdate(p, p.grad!, null, { lr: 0.1 });
        p.grad = null;
      }
    });
    // The second conv's cross block (R inputs → S outputs) received gradient through the gate.
    const u1 = m.convBnUnits()[1];
    const [w] = await rj.readAll([u1.conv.weight]);
    const [C, Cin, kh, kw] = u1.conv.weight.shape, A = nr.split!.aOut[1], a = nr.split!.aIn[1];
    let cross = 0;
    for (let i = 0; i < A; i++) for (let j = a; j < Cin; j++) for (let t = 0; t < kh * kw; t++) cross += Math.abs(w[(i * Cin + j) * kh * kw + t]);
    expect(C).toBeGreaterThan(A);
    expect(cross).toBeGreaterThan(0);
    m.dispose();
    nr.dispose();
  });
});

describeEachBackend('nr surgery (DenseNet)', () => {
  it('DenseNet: concatenations in [S1 R1 | S2 R2 …] physical order, S-head logits preserved, integer rate', async () => {
    const model = createModel('densenet_bc100', { widthMultiplier: 0.1, inputSize: 8, numClasses: 4 });
    killPattern(model, () => 0.8);
    const x = rj.randn([4, 3, 8, 8], { seed: 6 });
    const { before, after, res, nr } = await preservation(model, x, { integerRate: true });
    expect(res.plan.rate).toBeGreaterThanOrEqual(2);
    expect(res.plan.rate).toBe(Math.floor(res.plan.rate));
    expect(res.split.inPerm.some((p) => p !== null)).toBe(true); // some consumer reads a permuted concat
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    nr.model.dispose();
    nr.dispose();
  });
});

describeEachBackend('nr surgery (DenseNet, a whole-dead layer)', () => {
  it('a dense layer whose output died is deleted with both its units (docs/method.md §7.4); S-head logits preserved', async () => {
    const model = createModel('densenet_bc100', { widthMultiplier: 0.1, inputSize: 8, numClasses: 4 });
    killPattern(model, () => 0.5);
    // Every output neuron of block 2's layer 3 dies; its first unit (conv1) stays alive, but it only feeds conv2.
    const layer = 'features.denseblock2.denselayer3';
    const u2 = model.convBnUnits().find((u) => u.name === `${layer}.conv2`)!;
    u2.bn.registerParameter('weight', rj.zeros([u2.conv.outChannels]));
    u2.bn.registerParameter('bias', rj.zeros([u2.conv.outChannels]));
    const x = rj.randn([4, 3, 8, 8], { seed: 8 });
    const { before, after, res, nr } = await preservation(model, x, { integerRate: true });
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    const names = nr.model.convBnUnits().map((u) => u.name);
    expect(names).not.toContain(`${layer}.conv1`);
    expect(names).not.toContain(`${layer}.conv2`);
    expect(names.length).toBe(model.convBnUnits().length - 2);
    expect(nr.model.describe().widths[`${layer}.conv1`]).toBe(0);
    expect(res.split.aOut.length).toBe(names.length);
    // The description rebuilds the same architecture (what checkpoints and `rejuv eval` use).
    const again = modelFromDescription(nr.model.describe());
    expect(again.convBnUnits().map((u) => u.name)).toEqual(names);
    again.dispose();
    nr.model.dispose();
    nr.dispose();
  });
});

describeEachBackend('nr surgery (ResNet)', () => {
  it('ResNet with fixed layers: the residual stream widens, S-head logits are preserved', async () => {
    const model = createModel('resnet20', { widthMultiplier: 0.25, inputSize: 8, numClasses: 4 });
    killPattern(model, () => 0.6);
    const x = rj.randn([4, 3, 8, 8], { seed: 5 });
    const { before, after, res, nr } = await preservation(model, x);
    expect(maxAbsDiff(after, before)).toBeLessThan(1e-5);
    // Fixed units keep every channel and all grow by the same rate.
    const fixed = nr.model.convBnUnits().map((u, l) => [u.fixed, res.split.aOut[l]] as const);
    expect(fixed.filter(([f]) => f).length).toBeGreaterThan(0);
    nr.model.dispose();
    nr.dispose();
  });
});

it('Scheme A: cross blocks are exactly zero after 50 training steps; the run round-trips through a checkpoint', async () => {
  await rj.init({ backend: 'cpu' });
  const model = createModel('vgg_mini', { widthMultiplier: 0.25, inputSize: 8, numClasses: 3 });
  killPattern(model, (l) => [0.5, 0.5, 0.5, 0.6, 0.7, 0.7][l]);
  const nr = new NeuralRejuvenation(model, { target: 0.99, seed: 3 });
  await nr.rejuvenate();
  const m = nr.model;
  const bufs = new Map<string, Tensor | null>();
  for (let step = 0; step < 50; step++) {
    const loss = rj.tidy(() => {
      const x = rj.randn([8, 3, 8, 8], { seed: 100 + step });
      const y = rj.tensor(Int32Array.from({ length: 8 }, (_, i) => (i + step) % 3), [8], { dtype: 'int32' });
      const out = nr.forwardLoss(x, y);
      out.loss.backward();
      for (const [name, p] of m.namedParameters()) {
        const b = sgdUpdate(p, p.grad!, bufs.get(name) ?? null, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, l1: nr.l1For(name) });
        bufs.set(name, b);
        p.grad = null;
      }
      return rj.detach(out.loss);
    });
    if (step === 49) expect(Number.isFinite(await loss.item())).toBe(true);
    loss.dispose();
  }
  let crossChecked = 0;
  expect(m.convBnUnits().filter((u) => u.conv.blocks).length).toBeGreaterThan(0); // VGG: blocks, no masks
  for (const u of m.convBnUnits()) {
    const mk = await insideOf(u.conv);
    if (!mk) continue;
    const [w] = await rj.readAll([u.conv.weight]);
    let nonzeroInside = 0;
    Array.from(mk).forEach((v, i) => {
      if (v === 0) {
        expect(w[i]).toBe(0);
        crossChecked++;
      } else if (w[i] !== 0) nonzeroInside++;
    });
    expect(nonzeroInside).toBeGreaterThan(0); // the weights did train
  }
  expect(crossChecked).toBeGreaterThan(0);

  // Round trip: description + state dict + JSON state → an identical model and NR object.
  const x = rj.randn([4, 3, 8, 8], { seed: 9 });
  m.eval();
  const want = rj.tidy(() => rj.noGrad(() => { const h = twoHeads(m, x, nr.split!.classifierS); return rj.add(h.zS, h.zR); }));
  const desc = JSON.parse(JSON.stringify(m.describe()));
  const state = JSON.parse(JSON.stringify(nr.state()));
  const m2 = modelFromDescription(desc);
  m2.loadStateDict(m.stateDict());
  const nr2 = new NeuralRejuvenation(m2, { target: 0.99 });
  nr2.loadState(state);
  expect(nr2.phase).toBe('rejuvenated');
  expect(nr2.lambda.value).toBe(0);
  m2.eval();
  const got = rj.tidy(() => rj.noGrad(() => { const h = twoHeads(m2, x, nr2.split!.classifierS); return rj.add(h.zS, h.zR); }));
  expect(Array.from(await got.toArray())).toEqual(Array.from(await want.toArray()));
  const masks1 = await rj.readAll(m.convBnUnits().filter((u) => u.conv.weightMask).map((u) => u.conv.weightMask!));
  const masks2 = await rj.readAll(m2.convBnUnits().filter((u) => u.conv.weightMask).map((u) => u.conv.weightMask!));
  expect(masks2.map((a) => Array.from(a))).toEqual(masks1.map((a) => Array.from(a)));
  expect(m2.convBnUnits().map((u) => u.conv.blocks)).toEqual(m.convBnUnits().map((u) => u.conv.blocks));
});

/** 1 where a weight acts (inside a block, or where the mask is 1), 0 in the cross blocks; null for a dense conv. */
async function insideOf(conv: Conv2d): Promise<ArrayLike<number> | null> {
  if (conv.weightMask) return (await rj.readAll([conv.weightMask]))[0];
  if (!conv.blocks) return null;
  const [co, ci, kh, kw] = conv.weight.shape, taps = kh * kw;
  const m = new Float32Array(co * ci * taps);
  for (const b of conv.blocks) for (let o = b.co0; o < b.co0 + b.co; o++) for (let i = b.ci0; i < b.ci0 + b.ci; i++) m.fill(1, (o * ci + i) * taps, (o * ci + i + 1) * taps);
  return m;
}

describeEachBackend('Scheme A: block-diagonal convs compute the masked dense network', () => {
  for (const [name, arch, input] of [['vgg_mini', 'vgg_mini', 8], ['densenet (masks after concatenations, blocks elsewhere)', 'densenet_bc100', 8]] as const) {
    it(`${name}: logits and every gradient equal the dense masked conv's; cross gradients exactly 0`, async () => {
      const model = createModel(arch, { widthMultiplier: arch === 'vgg_mini' ? 0.25 : 0.025, inputSize: input, numClasses: 3 });
      killPattern(model, (l) => [0.5, 0.4, 0.6][l % 3]);
      const nr = new NeuralRejuvenation(model, { target: 0.99, seed: 4 });
      await nr.rejuvenate();
      const m = nr.model, split = nr.split!;
      const x = rj.randn([4, 3, input, input], { seed: 12 });
      const y = rj.tensor(Int32Array.from([0, 1, 2, 1]), [4], { dtype: 'int32' });
      const run = async () => {
        const loss = rj.tidy(() => {
          const l = nr.forwardLoss(x, y).loss;
          l.backward();
          return rj.detach(l);
        });
        const ps = m.parameters();
        const vals = await rj.readAll([loss, ...ps.map((p) => p.grad!)]);
        for (const p of ps) p.grad = null;
        loss.dispose();
        return vals;
      };
      installSchemeA(m, split);
      const blocked = m.convBnUnits().filter((u) => u.conv.blocks);
      expect(blocked.length).toBeGreaterThan(0);
      const inside = await Promise.all(m.convBnUnits().map((u) => insideOf(u.conv)));
      const got = await run();
      installMasks(m, split);
      expect(m.convBnUnits().some((u) => u.conv.blocks)).toBe(false);
      const want = await run();
      expect(Math.abs(got[0][0] - want[0][0])).toBeLessThan(1e-5);
      const units = new Map(m.convBnUnits().map((u, l) => [u.conv.weight, l]));
      m.parameters().forEach((p, k) => {
        const g = got[k + 1], w = want[k + 1];
        for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThan(1e-5 * (1 + Math.abs(w[i])));
        const mk = units.has(p) ? inside[units.get(p)!] : null;
        if (mk) for (let i = 0; i < mk.length; i++) if (mk[i] === 0) expect(g[i]).toBe(0);
      });
      x.dispose();
      y.dispose();
      m.dispose();
      nr.dispose();
    });
  }
});

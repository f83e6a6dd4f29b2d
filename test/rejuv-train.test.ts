/**
 * Neural Rejuvenation through the real trainer: the `--nr` options make the plugin, surgery happens at
 * an epoch end (the trainer swaps in the new model and a fresh optimizer, the schedule is extended by
 * the monitoring epochs), metrics.jsonl carries the NR keys, and a run stopped right after surgery and
 * resumed from its checkpoint repeats the uninterrupted run exactly.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePlugin } from '../src/cli/extensions.js';
import { main } from '../src/cli/main.js';
import '../src/cli/nr.js';
import { inspectModel } from '../src/cli/nr.js';
import { modelFromDescription } from '../src/nn/models/index.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import { decodeSafetensors, toTyped } from '../src/train/safetensors.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import { Progress } from '../src/train/progress.js';
import { createModel } from '../src/nn/models/index.js';
import { NeuralRejuvenation } from '../src/rejuv/nr.js';
import { rj } from './helpers/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-nr-train-'));
beforeAll(async () => rj.init({ backend: 'cpu' }));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rj.close();
});

const cfg = (out: string, resume = false): TrainConfig => ({
  ...DEFAULT_CONFIG, model: 'vgg_mini', width: 0.25, dataset: 'synthetic', trainLimit: 64, testLimit: 32, batchSize: 32,
  epochs: 2, lr: 0.05, milestones: [1], seed: 3, out, resume,
  plugin: { nr: true, 'nr-target': 0.25, 'nr-lambda': 0.01, 'nr-max-monitor-epochs': 1, 'nr-scheme': 'a', 'nr-resource': 'params', 'nr-rounds': 1 },
});
const quiet = () => new Progress({ write: () => {} } as never);
const capture = () => {
  const lines: string[] = [];
  return { lines, progress: new Progress({ write: (t: string) => lines.push(...t.split('\n').filter(Boolean)) } as never) };
};
const metrics = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { seconds: _s, imagesPerSec: _i, ...rest } = JSON.parse(l);
  return rest;
});

it('trains, rejuvenates at an epoch end, and resumes after surgery identically', async () => {
  const ref = join(dir, 'ref');
  const con = capture();
  const result = await new Trainer(cfg(ref), { makePlugin, progress: con.progress }).run();
  const m = metrics(ref);
  // One monitoring epoch extends the 2-epoch schedule to 3; surgery (forced by the guard) after epoch 1.
  expect(m.map((r) => r.epoch)).toEqual([1, 2, 3]);
  // The row of the epoch whose check triggered the surgery describes that check; later rows the mixed network.
  expect(m.map((r) => r.phase)).toEqual(['monitor', 'rejuvenated', 'rejuvenated']);
  expect(m[0].rejuvenated).toBeDefined();
  const s = m[0].surgery;
  expect(s).toMatchObject({ epoch: 1, step: 2, target: 0.25, forced: true, lambda: 0.01, utilization: m[0].utilization, alive: m[0].alivePerLayer, widths: m[0].rejuvenated.widths, rate: m[0].rejuvenated.rate });
  expect(s.layers).toHaveLength(s.widths.length);
  expect(s.widthsBefore).toEqual([4, 4, 8, 8, 16, 16]); // vgg_mini ×0.25
  expect(s.denseParams).toBe(m[1].convParams);
  expect(s.effectiveParams).toBe(m[1].effectiveParams);
  expect(s.effectiveParams).toBeLessThanOrEqual(s.denseParams);
  expect(m[0].lambda).toBe(0.01);
  expect(m[1].lambda).toBe(0);
  expect(m[1].surgery).toBeUndefined();
  // After surgery: loss of the prediction z_S + z_R headline, the objective CE_S + CE_R and its terms beside it.
  for (const r of m.slice(1)) {
    expect(r.trainObjective).toBeCloseTo(r.trainLossS + r.trainLossR, 5);
    expect(r.trainLoss).toBeLessThan(r.trainObjective);
    expect(r.testLoss).toBeLessThan(3); // CE_S + CE_R of 10 classes at chance would be ≈ 4.6
    expect(r.aliveSPerLayer.map((a: number, l: number) => a + r.aliveRPerLayer[l])).toEqual(r.alivePerLayer);
    r.aliveSPerLayer.forEach((a: number, l: number) => expect(a).toBeLessThanOrEqual(s.alive[l]));
    r.aliveRPerLayer.forEach((a: number, l: number) => expect(a).toBeLessThanOrEqual(s.widths[l] - s.alive[l]));
  }
  expect(m[0].trainObjective).toBeUndefined();
  // The console: u and λ on the monitoring epoch, the added epoch explained, one surgery line, the outcome.
  const epochLines = con.lines.filter((l) => / lr /.test(l));
  expect(epochLines[0]).toMatch(/^epoch 1\/3 lr 0\.05 .* \| u [01]\.\d{3} \(T 0\.25\) λ 0\.01 \| monitoring added 1 epoch: 3 in all$/);
  expect(epochLines[1]).toMatch(/^epoch 2\/3 lr 0\.05 .* \| u [01]\.\d{3} \(alive S \d+, R \d+\) λ 0$/);
  expect(epochLines[2]).toMatch(/^epoch 3\/3 lr 0\.005 /);
  expect(con.lines.filter((l) => l.startsWith('NR surgery'))).toEqual([
    `NR surgery after epoch 1 (step 2): forced by --nr-max-monitor-epochs 1 at u ${s.utilization.toFixed(3)} > T 0.25; alive ${s.alive.join(',')} of 4,4,8,8,16,16 → widths ${s.widths.join(',')} (rate ${s.rate.toFixed(3)}); conv parameters ${s.convParamsBefore.toLocaleString('en-US')} → ${s.denseParams.toLocaleString('en-US')} dense, ${s.effectiveParams.toLocaleString('en-US')} effective; λ 0.01 → 0`,
  ]);
  expect(result.summary).toMatch(/^NR: surgery after epoch 1 \(forced\) at u [01]\.\d{3}: widths 4,4,8,8,16,16 → [\d,]+, rate [\d.]+, conv parameters [\d,]+ dense \/ [\d,]+ effective; now u [01]\.\d{3}$/);
  expect(readFileSync(join(ref, 'report.html'), 'utf8')).toContain(result.summary!.slice(0, 40));
  expect(m[0].lr).toBe(0.05);
  expect(m[1].lr).toBe(0.05); // the schedule restarts after the monitoring epoch (milestone 1 → 2)
  expect(m[2].lr).toBeCloseTo(0.005, 12);
  for (const k of ['utilization', 'lambda', 'alivePerLayer', 'effectiveParams']) expect(m[0]).toHaveProperty(k);
  expect(m[2].lambda).toBe(0);
  const ck = Checkpoint.read(join(ref, 'checkpoint.safetensors'));
  const widths = Object.values(ck.meta<{ widths: Record<string, number> }>('model').widths);
  expect(widths).toEqual(m[0].rejuvenated.widths);

  const cut = join(dir, 'cut');
  await new Trainer(cfg(cut), { makePlugin, progress: quiet(), stopAfterEpochs: 1 }).run();
  await new Trainer(cfg(cut, true), { makePlugin, progress: quiet() }).run();
  expect(metrics(cut)).toEqual(m);

  // `rejuv eval`/`inspect` path: rebuild the rejuvenated model from the checkpoint, NR section.
  const model = modelFromDescription(ck.meta('model'));
  const sd = ck.stateDictFor(model.stateDict());
  model.loadStateDict(sd);
  const info = (await inspectModel(model)) as { layers: { alive: number; total: number; fixed: boolean }[]; utilization: { params: number; flops: number } };
  expect(info.layers.map((l) => l.total)).toEqual(widths);
  // The last row describes the final network, as inspect does (not the pre-surgery values).
  expect(m[2].alivePerLayer).toEqual(info.layers.map((l) => l.alive));
  expect(m[2].utilization).toBeCloseTo(info.utilization.params, 12);
  expect(info.utilization.params).toBeGreaterThan(0);
  expect(info.utilization.flops).toBeGreaterThan(0);
});

it('`rejuv eval --dump-logits` of a rejuvenated model dumps the two-head prediction z_S + z_R', async () => {
  const ref = join(dir, 'ref'); // the run of the test above: Scheme A after surgery
  const dump = join(dir, 'logits.safetensors');
  let out = '';
  // The whole 32-image test set is one batch, so the dumped logits' argmax gives the reported accuracy.
  const code = await main(['eval', join(ref, 'checkpoint.safetensors'), '--backend', 'cpu', '--batch-size', '32', '--dump-logits', dump, '--json'], { out: (s) => (out += s), err: () => {} });
  await rj.init({ backend: 'cpu' }); // eval closed the engine
  expect(code).toBe(0);
  const { testAcc } = JSON.parse(out);
  const f = decodeSafetensors(readFileSync(dump), dump); // a Node Buffer, as a user would pass it
  const logits = toTyped(f.tensors.get('logits')!), labels = toTyped(f.tensors.get('labels')!);
  const [n, k] = f.tensors.get('logits')!.shape;
  expect(n).toBe(32);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    if (best === labels[i]) correct++;
  }
  expect(correct / n).toBe(testAcc);
  // eval's loss is the cross-entropy of that prediction, CE(z_S + z_R), and equals the run's last testLoss.
  let ce = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * k, (i + 1) * k) as Float32Array);
    const mx = Math.max(...row);
    ce += mx + Math.log(row.reduce((t, v) => t + Math.exp(v - mx), 0)) - row[labels[i] as number];
  }
  expect(JSON.parse(out).testLoss).toBeCloseTo(ce / n, 4);
  expect(JSON.parse(out).testLoss).toBeCloseTo(metrics(ref)[2].testLoss, 5);
  // z_S + z_R = W·f + 2b (each head adds the shared bias), the plain forward is W·f + b: they differ by b.
  const ck = Checkpoint.read(join(ref, 'checkpoint.safetensors'));
  const model = modelFromDescription(ck.meta('model'));
  model.loadStateDict(ck.stateDictFor(model.stateDict()));
  model.eval();
  const x = toTyped(f.tensors.get('input')!) as Float32Array;
  const plain = await rj.noGrad(() => model.forward(rj.tensor(x, f.tensors.get('input')!.shape))).toArray();
  const bias = await model.classifier.bias!.toArray();
  let worst = 0;
  for (let i = 0; i < n * k; i++) worst = Math.max(worst, Math.abs(logits[i] - plain[i] - bias[i % k]));
  expect(worst).toBeLessThan(1e-5);
  expect(Math.max(...Array.from(bias, Math.abs))).toBeGreaterThan(1e-4); // so the check can fail
});

it('after surgery, alive counts and utilization describe the mixed network, S and R counted apart', async () => {
  const model = createModel('vgg_mini', { widthMultiplier: 0.25, inChannels: 1, inputSize: 16, numClasses: 10 });
  // Kill channels 1 and 2 of every unit (γ = 0): the dead rule sees them, surgery regrows them as R.
  for (const u of model.convBnUnits()) {
    const g = new Float32Array(u.conv.outChannels).fill(0.5);
    g[1] = g[2] = 0;
    u.bn.registerParameter('weight', rj.tensor(g));
  }
  const nr = new NeuralRejuvenation(model, { target: 0.25, lambda: 0.01 });
  const before = await nr.utilization();
  expect(before).toBeLessThan(1);
  const res = await nr.rejuvenate();
  const widths = res.plan.widths, alive = res.plan.alive;
  expect(alive).toEqual([2, 2, 6, 6, 14, 14]);
  let c = await nr.currentAlive();
  expect(c.aliveS).toEqual(res.split.aOut);
  expect(c.aliveR).toEqual(widths.map((w, l) => w - res.split.aOut[l])); // new neurons start at γ = 0.5: alive
  expect(c.utilization).toBe(1);
  // Kill the first R channel of the first unit that has one, and the first S channel of unit 1.
  const units = nr.model.convBnUnits();
  const r = widths.findIndex((w, l) => w > res.split.aOut[l]);
  expect(r).toBeGreaterThan(-1);
  const gr = await units[r].bn.weight!.toArray() as Float32Array;
  gr[res.split.aOut[r]] = 0;
  units[r].bn.registerParameter('weight', rj.tensor(Float32Array.from(gr)));
  const g1 = await units[1].bn.weight!.toArray() as Float32Array;
  g1[0] = 0;
  units[1].bn.registerParameter('weight', rj.tensor(Float32Array.from(g1)));
  c = await nr.currentAlive();
  expect(c.aliveR![r]).toBe(widths[r] - res.split.aOut[r] - 1);
  expect(c.aliveS![1]).toBe(res.split.aOut[1] - 1);
  expect(c.alive).toEqual(c.aliveS!.map((a, l) => a + c.aliveR![l]));
  expect(c.utilization).toBeLessThan(1);
  expect(c.utilization).toBeCloseTo(nr.utilizationOf(c.alive), 12);
  // The epoch-end row after surgery reports exactly this, with λ 0.
  await nr.endOfEpoch();
  expect(nr.metrics()).toMatchObject({ phase: 'rejuvenated', lambda: 0, utilization: c.utilization, alivePerLayer: c.alive, aliveSPerLayer: c.aliveS, aliveRPerLayer: c.aliveR });
  nr.dispose();
});

it('monitoring always ends: without --nr-max-monitor-epochs an unreached target stops L1 after the limit, with no surgery (issue 13 item 4)', async () => {
  const out = join(dir, 'unreached');
  const c = cfg(out);
  const { 'nr-max-monitor-epochs': _forced, ...plugin } = c.plugin!;
  const con = capture();
  // λ 1e-4 cannot kill anything in 2 steps: u stays 1 > T, and the limit is 1 monitoring epoch.
  const result = await new Trainer({ ...c, plugin: { ...plugin, 'nr-lambda': 1e-4, 'nr-monitor-limit': 1 } }, { makePlugin, progress: con.progress }).run();
  const m = metrics(out);
  expect(m.map((r) => r.epoch)).toEqual([1, 2, 3]); // the monitoring epoch shifts the nominal 2-epoch schedule
  expect(m.map((r) => r.lr)).toEqual([0.05, 0.05, expect.closeTo(0.005, 12)]);
  expect(m.map((r) => r.phase)).toEqual(['monitor', 'unreached', 'unreached']);
  expect(m[0].targetNotReached).toEqual({ epoch: 1, monitorEpochs: 1, utilization: 1, target: 0.25, lambda: 1e-4 });
  expect(m[0].lambda).toBe(1e-4);
  expect(m[1].lambda).toBe(0);
  expect(m.some((r) => r.surgery || r.rejuvenated)).toBe(false);
  expect(m[2].params).toBe(m[0].params); // no surgery: the network kept its widths
  const note = 'NR: target not reached: u = 1.000 > T = 0.25 after 1 monitoring epoch (λ 0.0001); raise λ (--nr-lambda) or lower --nr-target';
  expect(con.lines).toContain(`${note}; L1 stopped, no surgery: the nominal schedule runs on as a plain network (milestones shifted by 1 epoch)`);
  expect(result.summary).toBe(`${note}; no surgery`);
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('target not reached: u = 1.000');
  // L1 is off for good, and the state survives a checkpoint round trip.
  const model = createModel('vgg_mini', { widthMultiplier: 0.25, inChannels: 1, inputSize: 16, numClasses: 10 });
  const nr = new NeuralRejuvenation(model, { target: 0.25, lambda: 1e-4, monitorLimit: 1 });
  const gammaName = `${model.namedModules().find(([, mod]) => mod === model.convBnUnits()[0].bn)![0]}.weight`;
  expect(nr.l1For(gammaName)).toBe(1e-4);
  await nr.endOfEpoch();
  expect(nr.phase).toBe('unreached');
  expect(nr.l1For(gammaName)).toBe(0);
  const again = new NeuralRejuvenation(model, { target: 0.25, lambda: 1e-4, monitorLimit: 1 });
  again.loadState(JSON.parse(JSON.stringify(nr.state())));
  expect(again.phase).toBe('unreached');
  expect(again.l1For(gammaName)).toBe(0);
  expect(again.summary()).toBe(nr.summary());
  nr.dispose();
  again.dispose();
  const plain = new NeuralRejuvenation(model, { target: 0.25 });
  expect(plain.monitorLimit).toBe(30);
  plain.dispose();
  let help = '';
  await main(['train', '--help'], { out: (t) => (help += t), err: () => {} });
  expect(help).toMatch(/--nr-monitor-limit N\s+without --nr-max-monitor-epochs: after N monitoring epochs \(default 30\)/);
});

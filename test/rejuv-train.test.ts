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
import '../src/rejuv/cli.js';
import { inspectModel } from '../src/rejuv/cli.js';
import { modelFromDescription } from '../src/nn/models/index.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import { decodeSafetensors, toTyped } from '../src/train/safetensors.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import { Progress } from '../src/train/progress.js';
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
const metrics = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { seconds: _s, imagesPerSec: _i, ...rest } = JSON.parse(l);
  return rest;
});

it('trains, rejuvenates at an epoch end, and resumes after surgery identically', async () => {
  const ref = join(dir, 'ref');
  await new Trainer(cfg(ref), { makePlugin, progress: quiet() }).run();
  const m = metrics(ref);
  // One monitoring epoch extends the 2-epoch schedule to 3; surgery (forced by the guard) after epoch 1.
  expect(m.map((r) => r.epoch)).toEqual([1, 2, 3]);
  expect(m.map((r) => r.phase)).toEqual(['rejuvenated', 'rejuvenated', 'rejuvenated']);
  expect(m[0].rejuvenated).toBeDefined();
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
  const info = inspectModel(model) as { layers: { alive: number; total: number; fixed: boolean }[]; utilization: { params: number; flops: number } };
  expect(info.layers.map((l) => l.total)).toEqual(widths);
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

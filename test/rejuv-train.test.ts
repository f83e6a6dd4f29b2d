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
import '../src/rejuv/cli.js';
import { inspectModel } from '../src/rejuv/cli.js';
import { modelFromDescription } from '../src/nn/models/index.js';
import { Checkpoint } from '../src/train/checkpoint.js';
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

/**
 * Training continues in PyTorch's distributed engine (issue 15 item 2): a rejuv run on an MNIST
 * subset, stopped after NR's surgery (Scheme A, with neurons killed on purpose so the split has
 * survived and rejuvenated channels: test/helpers/dead-neurons.ts) and one epoch of the mixed network,
 * goes on for one epoch in scripts/train_ddp.py under torchrun with 2 processes (gloo on CPU); the
 * checkpoint it writes loads in `rejuv eval` with the accuracy torch reported (within 0.1 pt, same 500
 * test images), and `rejuv train --resume` with the run's flags finishes the schedule from it. A
 * checkpoint still monitoring is refused. Needs Debian's /usr/bin/python3 with python3-torch (torchrun,
 * or `python3 -m torch.distributed.run`); skipped, saying so, without.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../src/cli/commands.js';
import { trainConfig } from '../src/cli/main.js';
import { parseOptions } from '../src/cli/options.js';
import * as rj from '../src/index.js';
import { Progress } from '../src/train/progress.js';
import { Trainer } from '../src/train/trainer.js';
import { cli } from './helpers/cli-run.js';
import { nrWithDeadNeurons } from './helpers/dead-neurons.js';
import { PY, probePython } from './helpers/python.js';

const { ok: HAVE_TORCH, skip: SKIP } = probePython('test/torch-ddp.test.ts', 'import torch.distributed as d, numpy; assert d.is_available() and d.is_gloo_available()', 'python3-torch with torch.distributed (gloo)');

const dir = mkdtempSync(join(tmpdir(), 'rejuv-torch-ddp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * torchrun with 2 processes. `--redirects 1 --tee 1` (each rank's stdout to a log file and the console,
 * lines prefixed `[default<rank>]:`) because Debian's torch 1.13 on Python 3.11 crashes on torchrun's
 * default `--redirects 0` (enum iteration changed in 3.11: 'NoneType' object has no attribute 'get').
 */
function torchrun(...args: string[]) {
  const launcher = existsSync('/usr/bin/torchrun') ? ['/usr/bin/torchrun'] : [PY, '-m', 'torch.distributed.run'];
  const [cmd, ...pre] = launcher;
  return spawnSync(cmd, [...pre, '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', join(dir, 'torchrun-logs'),
    'scripts/train_ddp.py', ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

/**
 * The run's flags: 3 nominal epochs (LR ×0.1 from epoch index 1 of the nominal schedule), NR forced after one
 * monitoring epoch; batch 16 so that 256 images make 16 steps per epoch, enough for batch norm's running
 * statistics and a test accuracy above chance (so that equal accuracies say something).
 */
const flags = (out: string, subset: number, maxMonitor: number, extra: string[] = []) => [
  '--model', 'vgg_mini', '--width', '0.5', '--dataset', 'mnist', '--train-subset', String(subset), '--test-limit', '500', '--batch-size', '16',
  '--epochs', '3', '--milestones', '1', '--lr', '0.1', '--seed', '2', '--nr', '--nr-lambda', '0.01', '--nr-max-monitor-epochs', String(maxMonitor),
  '--out', out, ...extra,
];

/** `rejuv train` in-process with neurons killed before the monitoring check, stopped after `stopAfter` epochs. */
async function trainUntil(out: string, subset: number, maxMonitor: number, stopAfter: number): Promise<void> {
  const cfg = trainConfig(parseOptions(commands().train, flags(out, subset, maxMonitor)).options);
  const makePlugin = nrWithDeadNeurons({ target: 0.25, lambda: 0.01, maxMonitorEpochs: maxMonitor, scheme: 'a', seed: cfg.seed });
  await rj.init({ backend: 'webgpu' });
  try {
    await new Trainer(cfg, { makePlugin, progress: new Progress({ write: () => {} } as never), stopAfterEpochs: stopAfter }).run();
  } finally {
    rj.close();
  }
}

const rows = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe.skipIf(!HAVE_TORCH)(`scripts/train_ddp.py under torchrun${SKIP}`, () => {
  it('continues a rejuvenated run for an epoch on 2 processes; rejuv eval agrees and rejuv train --resume finishes it', async () => {
    // rejuv: epoch 1 monitors, surgery at its end (forced), epoch 2 trains the mixed network; stopped there (4 epochs in all).
    const run = join(dir, 'run');
    await trainUntil(run, 256, 1, 2);
    const before = rows(run);
    expect(before.map((r) => r.phase)).toEqual(['monitor', 'rejuvenated']);
    const s = before[0].surgery;
    expect(s.alive.some((a: number, l: number) => a < s.widthsBefore[l])).toBe(true); // the split has R channels to keep apart

    // torch: epoch index 2 on 2 processes (per-rank batch 8), written to another folder.
    const cont = join(dir, 'cont');
    const t = torchrun(join(run, 'checkpoint.safetensors'), '--out', cont, '--epochs', '1', '--json');
    expect(t.status, `${t.stdout}\n${t.stderr}`).toBe(0);
    const line = t.stdout.split('\n').find((l) => l.includes('{"epoch"'));
    expect(line, t.stdout).toBeDefined();
    const res = JSON.parse(line!.slice(line!.indexOf('{')));
    expect(t.stderr).toMatch(/on 2 processes \(gloo, cpu\), batch 16 = 2 x 8, batch norm per rank/);
    // The recipe's position: epoch index 2, nominal index 2 − 1 (one monitoring epoch) = 1 ≥ milestone 1, so 0.1 × 0.1.
    expect(res).toMatchObject({ epoch: 3, engine: 'torch-ddp', worldSize: 2, batchNorm: 'per-rank', scheme: 'a', testImages: 500 });
    expect(res.lr).toBeCloseTo(0.01, 12);
    expect(res.momentumBuffersLoaded).toBe(res.parameters); // every parameter's momentum buffer came from rejuv's checkpoint
    expect(res.crossBlockMax).toBe(0); // Scheme A's cross blocks stayed exactly zero
    expect(res.trainObjective).toBeCloseTo(res.trainLossS + res.trainLossR, 6);
    expect(res.step).toBe(before[1].step + 16); // 256 images / 16 per global step
    expect(res.testAcc, 'a network at chance would make equal accuracies meaningless').toBeGreaterThan(0.15);

    // rejuv eval on the same 500 test images: the accuracy torch reported (within 0.1 pt).
    const ev = await cli('eval', join(cont, 'checkpoint.safetensors'), '--json');
    expect(ev.code, ev.err).toBe(0);
    const e = JSON.parse(ev.out);
    expect(e.images).toBe(500);
    expect(Math.abs(e.testAcc - res.testAcc)).toBeLessThanOrEqual(0.001);
    expect(e.testLoss).toBeCloseTo(res.testLoss, 4);
    expect(e.epochsDone).toBe(3);

    // rejuv train --resume with the run's flags finishes the schedule (epoch 4) from torch's checkpoint.
    const r = await cli('train', ...flags(cont, 256, 1, ['--resume']));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/resumed from .*cont\/checkpoint\.safetensors after epoch 3/);
    const after = rows(cont);
    expect(after.map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
    expect(after[2].engine).toBe('torch-ddp');
    expect(after[3].engine).toBeUndefined();
    expect(after[3].phase).toBe('rejuvenated');
    expect(after[3].lr).toBeCloseTo(0.01, 12);
    expect(after[3].step).toBe(res.step + 16);
    expect(existsSync(join(cont, 'report.html'))).toBe(true);
  });

  it('refuses a checkpoint that is still monitoring, saying to finish monitoring and surgery in rejuv', async () => {
    const run = join(dir, 'monitoring');
    await trainUntil(run, 64, 3, 1);
    expect(rows(run)[0].phase).toBe('monitor');
    const t = torchrun(join(run, 'checkpoint.safetensors'), '--out', join(dir, 'refused'));
    expect(t.status).not.toBe(0);
    expect(t.stderr).toContain(`${join(run, 'checkpoint.safetensors')}: Neural Rejuvenation is still monitoring`);
    expect(t.stderr).toContain('finish monitoring and surgery in rejuv');
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });
});

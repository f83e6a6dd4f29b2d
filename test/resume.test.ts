/**
 * Checkpoints survive SIGKILL: a training child process is killed mid-epoch and, separately, half-way
 * through writing a checkpoint; each time the last checkpoint is intact, and the resumed run's
 * metrics equal an uninterrupted run's (timing keys aside).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../src/train/checkpoint.js';
import { bundleCli } from './helpers/cli-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-resume-'));
let cliJs = '';
beforeAll(async () => {
  cliJs = await bundleCli('cli-resume');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['train', '--model', 'vgg_mini', '--width', '0.5', '--dataset', 'synthetic', '--train-limit', '384', '--test-limit', '32', '--batch-size', '32', '--epochs', '3', '--lr', '0.05', '--seed', '7'];

function start(out: string, extra: string[] = [], env: Record<string, string> = {}): { child: ChildProcess; stderr: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [cliJs, ...ARGS, '--out', out, ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const done = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, stderr: () => err, done };
}

async function until(cond: () => boolean, what: string, ms = 50_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const metrics = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { seconds, imagesPerSec, ...rest } = JSON.parse(l);
  expect(seconds).toBeGreaterThan(0);
  expect(imagesPerSec).toBeGreaterThan(0);
  return rest;
});
const epochsDone = (out: string) => Checkpoint.read(join(out, 'checkpoint.safetensors')).meta<{ epochsDone: number }>('run').epochsDone;

describe('resume after SIGKILL', () => {
  let reference: Record<string, unknown>[] = [];
  it('an uninterrupted run (reference)', async () => {
    const r = start(join(dir, 'ref'));
    expect(await r.done, r.stderr()).toBe(0);
    reference = metrics(join(dir, 'ref'));
    expect(reference.map((m) => m.epoch)).toEqual([1, 2, 3]);
  });

  it('killed mid-epoch: last checkpoint intact, resumed metrics identical', async () => {
    const out = join(dir, 'mid-run');
    const r = start(out);
    await until(() => /epoch 1\/3 lr/.test(r.stderr()), 'epoch 1 to finish');
    // Into epoch 2 (12 steps, far longer than this on a CPU adapter; 96 images finished the whole
    // epoch within 200 ms once the training step got faster).
    await new Promise((res) => setTimeout(res, 50));
    r.child.kill('SIGKILL');
    await r.done;
    expect(epochsDone(out)).toBe(1);
    const again = start(out, ['--resume']);
    expect(await again.done, again.stderr()).toBe(0);
    expect(again.stderr()).toMatch(/resumed from .* after epoch 1/);
    expect(metrics(out)).toEqual(reference);
  });

  it('killed half-way through writing a checkpoint: the previous one intact, resumed metrics identical', async () => {
    const out = join(dir, 'mid-write');
    // Epoch 1's checkpoint is written normally; epoch 2's write stops half-way for a minute.
    const r = start(out, [], { REJUV_TEST_WRITE_PAUSE: 'checkpoint.safetensors:60000:1' });
    const tmpOf = () => readdirSync(out).find((f) => f.startsWith('.checkpoint.safetensors.tmp-'));
    await until(() => /epoch 1\/3 lr/.test(r.stderr()) && tmpOf() !== undefined && statSync(join(out, tmpOf()!)).size > 0, "epoch 2's checkpoint write");
    const torn = join(out, tmpOf()!);
    r.child.kill('SIGKILL');
    await r.done;
    expect(epochsDone(out)).toBe(1);
    expect(() => Checkpoint.read(torn)).toThrow(/truncated|outside|after the last tensor/);
    const again = start(out, ['--resume']);
    expect(await again.done, again.stderr()).toBe(0);
    expect(metrics(out)).toEqual(reference);
    expect(existsSync(torn)).toBe(false); // the stale temporary file was cleaned up
  });
});

/**
 * `rejuv train --train-subset N --subset-seed S` (a seeded random subset of the training images) and
 * `--widths a,b,…` (explicit per-unit widths): parsing, errors, what the run records, resume checks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli-run.js';
import { subsetIndices } from '../src/data/rng.js';
import { loadDataset } from '../src/data/files.js';
import { createModel, widthsFromList } from '../src/nn/models/index.js';
import { close, init } from '../src/init.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import type { RunState } from '../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-train-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** vgg_mini on 1×28×28 with widths w: 3×3 convs (no bias), BN γ and β, Linear(w₆, 10). */
function vggMiniParams(w: number[], inCh = 1, classes = 10): number {
  let p = 0, c = inCh;
  for (const x of w) {
    p += c * x * 9 + 2 * x;
    c = x;
  }
  return p + c * classes + classes;
}

describe('--widths', () => {
  it('widthsFromList: unit order, parameter count, errors on a wrong count or a bad width', async () => {
    await init({ backend: 'cpu' });
    try {
      const mo = { inChannels: 1, inputSize: 28, numClasses: 10 };
      const w = [5, 7, 11, 13, 17, 19];
      const widths = widthsFromList('vgg_mini', mo, w);
      expect(widths).toEqual({ 'features.0': 5, 'features.3': 7, 'features.7': 11, 'features.10': 13, 'features.14': 17, 'features.17': 19 });
      const m = createModel('vgg_mini', { ...mo, widths });
      expect(m.numParameters()).toBe(vggMiniParams(w));
      expect(Object.values(m.describe().widths)).toEqual(w);
      m.dispose();
      // The default widths give the default model's count (72,666 at ×1 on 1×28×28).
      const d = createModel('vgg_mini', { ...mo, widths: widthsFromList('vgg_mini', mo, [16, 16, 32, 32, 64, 64]) });
      expect(d.numParameters()).toBe(vggMiniParams([16, 16, 32, 32, 64, 64]));
      expect(d.numParameters()).toBe(72666);
      d.dispose();
      expect(() => widthsFromList('vgg_mini', mo, [4, 4, 4, 4, 4], '--widths')).toThrow(
        /--widths: vgg_mini has 6 conv-BN units \(features\.0, features\.3, features\.7, features\.10, features\.14, features\.17\), expected 6 widths, got 5 \(4,4,4,4,4\)/,
      );
      expect(() => widthsFromList('vgg_mini', mo, [4, 4, 0, 4, 4, 4], '--widths')).toThrow(/--widths: expected positive integers, got 0 for unit features\.7 \(position 3\)/);
    } finally {
      close();
    }
  });
  it('rejuv train --widths: the run uses them, records them, resume and eval rebuild them', async () => {
    const out = join(dir, 'widths');
    const args = ['--model', 'vgg_mini', '--dataset', 'synthetic', '--train-limit', '64', '--test-limit', '32', '--batch-size', '32', '--lr', '0.05', '--widths', '4,6,8,10,12,14', '--out', out];
    const r = await cli('train', ...args, '--epochs', '1');
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0].params).toBe(vggMiniParams([4, 6, 8, 10, 12, 14], 3));
    const ck = Checkpoint.read(join(out, 'checkpoint.safetensors'));
    expect(Object.values(ck.meta<{ widths: Record<string, number> }>('model').widths)).toEqual([4, 6, 8, 10, 12, 14]);
    expect(ck.meta<RunState>('run').config.widths).toEqual([4, 6, 8, 10, 12, 14]);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('vgg_mini (widths 4,6,8,10,12,14)');
    const bad = await cli('train', ...args.map((a) => (a === '4,6,8,10,12,14' ? '4,6,8,10,12,15' : a)), '--epochs', '2', '--resume');
    expect(bad).toMatchObject({ code: 1, err: expect.stringMatching(/was written with --widths 4,6,8,10,12,14, this run has 4,6,8,10,12,15/) });
    const ok = await cli('train', ...args, '--epochs', '2', '--resume');
    expect(ok.code, ok.err).toBe(0);
    const ev = await cli('eval', join(out, 'checkpoint.safetensors'), '--json');
    expect(ev.code, ev.err).toBe(0);
    const rows2 = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(JSON.parse(ev.out).testAcc).toBe(rows2[1].testAcc);
  });
  it('rejects a wrong count, bad widths and --width together with --widths, naming the option', async () => {
    const base = ['train', '--model', 'vgg_mini', '--dataset', 'synthetic', '--train-limit', '32', '--epochs', '1'];
    const wrong = await cli(...base, '--widths', '4,4,4', '--out', join(dir, 'w-count'));
    expect(wrong).toMatchObject({ code: 1, err: expect.stringMatching(/--widths: vgg_mini has 6 conv-BN units .* expected 6 widths, got 3 \(4,4,4\)/) });
    expect(await cli(...base, '--widths', '4,4,0,4,4,4', '--out', join(dir, 'w-zero'))).toMatchObject({ code: 2, err: expect.stringMatching(/--widths: expected comma-separated positive integers .* got '4,4,0,4,4,4'/) });
    expect(await cli(...base, '--widths', '4,4,2.5,4,4,4', '--out', join(dir, 'w-frac'))).toMatchObject({ code: 2, err: expect.stringMatching(/--widths: expected comma-separated positive integers/) });
    expect(await cli(...base, '--widths', '4,x', '--out', join(dir, 'w-nan'))).toMatchObject({ code: 2, err: expect.stringMatching(/--widths: expected comma-separated numbers, got '4,x'/) });
    expect(await cli(...base, '--widths', '4,4,4,4,4,4', '--width', '0.5', '--out', join(dir, 'w-both'))).toMatchObject({ code: 2, err: expect.stringMatching(/--widths sets every unit's width; --width 0\.5 would be ignored/) });
    expect((await cli('train', '--help')).out).toMatch(/--widths W1,W2,…\s+explicit width of every conv-BN unit/);
  });
});

describe('--train-subset / --subset-seed', () => {
  it('trains on the seeded subset, records it, and resume checks it', async () => {
    const out = join(dir, 'subset');
    const args = ['--model', 'vgg_mini', '--width', '0.25', '--dataset', 'mnist', '--train-subset', '64', '--subset-seed', '2', '--test-limit', '32', '--batch-size', '32', '--lr', '0.05', '--out', out];
    const r = await cli('train', ...args, '--epochs', '1');
    expect(r.code, r.err).toBe(0);
    const ck = Checkpoint.read(join(out, 'checkpoint.safetensors'));
    expect(ck.meta<RunState>('run').config).toMatchObject({ trainSubset: 64, subsetSeed: 2 });
    expect(ck.meta<RunState>('run').config.trainLimit).toBeUndefined();
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('mnist: 64 train / 32 test');
    const other = await cli('train', ...args.map((a) => (a === '2' ? '3' : a)), '--epochs', '2', '--resume');
    expect(other).toMatchObject({ code: 1, err: expect.stringMatching(/was written with --subsetSeed 2, this run has 3/) });
    const size = await cli('train', ...args.map((a) => (a === '64' ? '96' : a)), '--epochs', '2', '--resume');
    expect(size).toMatchObject({ code: 1, err: expect.stringMatching(/was written with --trainSubset 64, this run has 96/) });
    const ok = await cli('train', ...args, '--epochs', '2', '--resume');
    expect(ok.code, ok.err).toBe(0);
  });
  it('the loader gives the trainer exactly the documented indices (default seed 0)', () => {
    const full = loadDataset('mnist');
    const s = loadDataset('mnist', { trainSubset: 1000 });
    const idx = subsetIndices(60000, 1000, 0);
    expect(Array.from(s.train.labels)).toEqual(Array.from(idx, (i) => full.train.labels[i]));
  });
  it('rejects bad combinations and sizes, naming the option', async () => {
    const base = ['train', '--model', 'vgg_mini', '--dataset', 'mnist', '--epochs', '1'];
    expect(await cli(...base, '--train-subset', '100', '--train-limit', '100', '--out', join(dir, 's1'))).toMatchObject({ code: 2, err: expect.stringMatching(/--train-subset and --train-limit exclude each other/) });
    expect(await cli(...base, '--subset-seed', '1', '--out', join(dir, 's2'))).toMatchObject({ code: 2, err: expect.stringMatching(/--subset-seed needs --train-subset/) });
    expect(await cli(...base, '--train-subset', '0', '--out', join(dir, 's3'))).toMatchObject({ code: 2, err: expect.stringMatching(/--train-subset must be ≥ 1, got 0/) });
    expect(await cli(...base, '--train-subset', '10', '--subset-seed', '-1', '--out', join(dir, 's4'))).toMatchObject({ code: 2, err: expect.stringMatching(/--subset-seed must be ≥ 0, got -1/) });
    expect(await cli(...base, '--train-subset', '60001', '--out', join(dir, 's5'))).toMatchObject({ code: 1, err: expect.stringMatching(/--train-subset 60001: mnist\/train has only 60000 images/) });
    expect((await cli('train', '--help')).out).toMatch(/--train-subset N\s+use a seeded random subset of N training images/);
  });
});

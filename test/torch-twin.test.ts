/**
 * scripts/torch_twin.py (the PyTorch twin of NR training) agrees with rejuv where it must be identical:
 * the training subset's indices (its reimplementation of src/data/rng.ts), compared in full; and its
 * NR mechanics pass their own checks (docs/method.md §13.3: ⌊alive·r⌋, function preservation, zero cross blocks);
 * and its LR schedule reads --milestones as rejuv train does (absent: the default; '': none).
 * Needs Debian's /usr/bin/python3 (and python3-torch for the mechanics); skipped, saying so, without.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { subsetIndices } from '../src/data/rng.js';
import { defaultMilestones, lrAt } from '../src/train/config.js';
import { PY, probePython } from './helpers/python.js';

const py = probePython('test/torch-twin.test.ts', 'pass', 'python3');
const torch = py.ok ? probePython('test/torch-twin.test.ts (NR mechanics check)', 'import torch', 'python3-torch') : py;
const HAVE_PY = py.ok, HAVE_TORCH = torch.ok;

const twin = (...args: string[]) => execFileSync(PY, ['scripts/torch_twin.py', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('scripts/torch_twin.py', () => {
  it.skipIf(!HAVE_PY)(`draws the same training subset as rejuv (all indices)${py.skip}`, () => {
    for (const [count, n, seed] of [[60000, 10000, 0], [60000, 10000, 1], [60000, 2500, 7], [1000, 999, 3]]) {
      const py = JSON.parse(twin('--print-subset', String(count), String(n), String(seed))) as number[];
      expect(py.length).toBe(n);
      const ts = Array.from(subsetIndices(count, n, seed));
      const firstDiff = py.findIndex((v, i) => v !== ts[i]);
      expect(firstDiff, `subset(${count}, ${n}, ${seed}) first differs at ${firstDiff}`).toBe(-1);
    }
  });
  it.skipIf(!HAVE_TORCH)(`passes its NR mechanics self-check${torch.skip}`, () => {
    const out = twin('--self-check');
    expect(out).toMatch(/self-check passed: survived-head max difference [0-9.e+-]+, widths \[[\d, ]+\] -> \[[\d, ]+\]/);
  });
  it.skipIf(!HAVE_TORCH)(`reads --milestones as rejuv train does (absent: ⌊E/2⌋,⌊3E/4⌋; '': none)${torch.skip}`, () => {
    const E = 6, lr = 0.05;
    // rejuv's own schedule (the trainer's lrAt) for these milestones.
    const expected = (milestones: number[]) => Array.from({ length: E }, (_, e) => lrAt({ lr, milestones, gamma: 0.1, schedule: 'multistep', epochs: E }, e));
    for (const [args, ms] of [[[], defaultMilestones(E)], [['--milestones', ''], []], [['--milestones', '1,4'], [1, 4]]] as [string[], number[]][]) {
      const rows = twin('--dataset', 'mnist', '--train-limit', '64', '--test-limit', '64', '--epochs', String(E), '--lr', String(lr), ...args, '--verbose')
        .trim().split('\n').map((l) => JSON.parse(l) as { lr: number });
      expect(rows.map((r) => r.lr), `torch_twin.py ${args.join(' ') || '(no --milestones)'}`).toEqual(expected(ms).map((x) => expect.closeTo(x, 12)));
    }
  });
});

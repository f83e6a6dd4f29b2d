/**
 * scripts/torch_twin.py (the PyTorch twin of NR training) agrees with rejuv where it must be identical:
 * the training subset's indices (its reimplementation of src/data/rng.ts), compared in full; and its
 * NR mechanics pass their own checks (docs/method.md §13.3: ⌊alive·r⌋, function preservation, zero cross blocks).
 * Needs Debian's /usr/bin/python3 (and python3-torch for the mechanics); skipped, saying so, without.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { subsetIndices } from '../src/data/rng.js';

const PY = '/usr/bin/python3';
const HAVE_PY = existsSync(PY);
const HAVE_TORCH = HAVE_PY && spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const why = (what: string) => ` (skipped: ${what}; install Debian's python3${what.includes('torch') ? '-torch' : ''})`;
if (!HAVE_PY) console.warn(`test/torch-twin.test.ts: skipped, ${PY} is missing`);
else if (!HAVE_TORCH) console.warn('test/torch-twin.test.ts: NR mechanics check skipped, python3-torch is missing (apt-get install python3-torch)');

const twin = (...args: string[]) => execFileSync(PY, ['scripts/torch_twin.py', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('scripts/torch_twin.py', () => {
  it.skipIf(!HAVE_PY)(`draws the same training subset as rejuv (all indices)${HAVE_PY ? '' : why(`${PY} is missing`)}`, () => {
    for (const [count, n, seed] of [[60000, 10000, 0], [60000, 10000, 1], [60000, 2500, 7], [1000, 999, 3]]) {
      const py = JSON.parse(twin('--print-subset', String(count), String(n), String(seed))) as number[];
      expect(py.length).toBe(n);
      const ts = Array.from(subsetIndices(count, n, seed));
      const firstDiff = py.findIndex((v, i) => v !== ts[i]);
      expect(firstDiff, `subset(${count}, ${n}, ${seed}) first differs at ${firstDiff}`).toBe(-1);
    }
  });
  it.skipIf(!HAVE_TORCH)(`passes its NR mechanics self-check${HAVE_TORCH ? '' : why('python3-torch is missing')}`, () => {
    const out = twin('--self-check');
    expect(out).toMatch(/self-check passed: survived-head max difference [0-9.e+-]+, widths \[[\d, ]+\] -> \[[\d, ]+\]/);
  });
});

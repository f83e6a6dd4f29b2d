/**
 * Tests that run Debian's Python (python3-torch): whether what they need is there, and the one message
 * they print and put in the skipped test's title when it is not.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const PY = '/usr/bin/python3';

export interface PythonProbe {
  ok: boolean;
  /** What is missing ('' when ok). */
  missing: string;
  /** ` (skipped: …; install …)` for a test title, '' when ok. */
  skip: string;
}

/**
 * Run `code` with Debian's python3 (e.g. 'import torch'); `what` names what a failure means is missing.
 * Warns once, naming `file`, when the test will be skipped.
 */
export function probePython(file: string, code: string, what: string): PythonProbe {
  const hasPy = existsSync(PY);
  const ok = hasPy && spawnSync(PY, ['-c', code], { stdio: 'ignore' }).status === 0;
  const missing = ok ? '' : hasPy ? `${what} is missing` : `${PY} is missing`;
  const install = hasPy ? 'apt-get install python3-torch' : 'apt-get install python3 python3-torch';
  if (!ok) console.warn(`${file}: skipped, ${missing} (${install})`);
  return { ok, missing, skip: ok ? '' : ` (skipped: ${missing}; ${install})` };
}

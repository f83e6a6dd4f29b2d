/**
 * A run's output folder (`rejuv train --out DIR`): checked before anything is created, so a run never
 * loses another run's work and a bad path fails at once with a message instead of later (or never).
 *
 * - DIR holds a run (checkpoint, metrics or report): refused unless `--resume` (continue it) or
 *   `--overwrite` (replace it: its run files are removed once the new run has started successfully).
 * - `--resume` needs DIR/checkpoint.safetensors.
 * - DIR, or the nearest existing folder above it, must be a writable directory on an ordinary file
 *   system: kernel pseudo-file systems (procfs, sysfs, cgroup, …) are refused by their statfs magic
 *   (Node's recursive mkdir loops forever inside /proc).
 * - DIR is created one level at a time after the dataset has loaded; a run that fails before writing
 *   anything removes the folders it created (`removeIfEmpty`).
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmdirSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RejuvError } from '../core/errors.js';

/** The files a run writes into its folder; any of them means the folder holds a run. */
export const RUN_FILES = ['checkpoint.safetensors', 'metrics.jsonl', 'report.html'] as const;

/** statfs f_type of Linux pseudo-file systems no run can be written to. */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'procfs', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs', 0x74726163: 'tracefs',
  0x73636673: 'securityfs', 0x6165676c: 'pstore', 0xcafe4a11: 'bpf', 0x62656570: 'configfs', 0xf97cff8c: 'selinuxfs', 0x42494e4d: 'binfmt_misc',
};

export interface OutDirCheck {
  /** Absolute path of DIR. */
  dir: string;
  /** The run files DIR holds now. */
  runFiles: string[];
  /** The nearest existing folder at or above DIR (DIR itself when it exists). */
  existing: string;
}

const err = (msg: string): never => {
  throw new RejuvError('--out', msg);
};

function statOrNull(p: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    return err(`cannot examine ${p}: ${(e as Error).message}`);
  }
}

function checkWritableDir(p: string, out: string): void {
  let type: number | undefined;
  try {
    type = statfsSync(p).type;
  } catch {
    type = undefined; // statfs unsupported here: the access check below still applies
  }
  const fs = type === undefined ? undefined : PSEUDO_FS[type >>> 0];
  if (fs) err(`${out}: ${p} is on ${fs}, a kernel pseudo-file system; a run folder must be on an ordinary file system`);
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
  } catch (e) {
    err(`${out}: ${p} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Validate `--out` for a run with these flags; creates nothing. Throws a RejuvError naming the problem. */
export function checkOutDir(out: string, opts: { resume?: boolean; overwrite?: boolean }): OutDirCheck {
  if (!out) err('expected a folder path, got an empty string');
  if (opts.resume && opts.overwrite) err('--resume continues the run in the folder and --overwrite replaces it: give one of them');
  const dir = resolve(out);
  const st = statOrNull(dir);
  if (st && !st.isDirectory()) err(`${out} exists and is not a directory`);
  if (st) {
    checkWritableDir(dir, out);
    const runFiles = RUN_FILES.filter((f) => existsSync(join(dir, f)));
    if (opts.resume && !runFiles.includes('checkpoint.safetensors')) {
      err(`--resume: ${join(out, 'checkpoint.safetensors')} does not exist${runFiles.length ? ` (the folder holds ${runFiles.join(', ')} but no checkpoint: the run never finished an epoch)` : ''}; start without --resume to train from scratch`);
    }
    if (!opts.resume && !opts.overwrite && runFiles.length) {
      err(`${out} already holds a run (${runFiles.join(', ')}): add --resume to continue it, --overwrite to replace it, or choose another --out`);
    }
    return { dir, runFiles, existing: dir };
  }
  if (opts.resume) err(`--resume: ${out} does not exist, there is no run to continue (check the path; start without --resume to train from scratch)`);
  let p = dir;
  for (;;) {
    const parent = dirname(p);
    if (parent === p) err(`${out}: no existing folder above it`);
    p = parent;
    const s = statOrNull(p);
    if (!s) continue;
    if (!s.isDirectory()) err(`cannot create ${out}: ${p} is not a directory`);
    checkWritableDir(p, out);
    return { dir, runFiles: [], existing: p };
  }
}

/** Create DIR below `check.existing`, one level at a time; returns the folders created (outermost first). */
export function createOutDir(check: OutDirCheck, out: string): string[] {
  const made: string[] = [];
  const levels: string[] = [];
  for (let p = check.dir; p !== check.existing; p = dirname(p)) levels.unshift(p);
  for (const p of levels) {
    try {
      mkdirSync(p);
      made.push(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p).isDirectory()) continue;
      removeIfEmpty(made);
      err(`cannot create ${out}: mkdir ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return made;
}

/** Remove the folders this run created (innermost first) while they are empty; quietly keeps any that are not. */
export function removeIfEmpty(made: readonly string[]): void {
  for (const p of [...made].reverse()) {
    try {
      if (readdirSync(p).length === 0) rmdirSync(p);
      else return;
    } catch {
      return;
    }
  }
}

/** `--overwrite`: remove the previous run's files (and any temporary file a killed writer left). */
export function removeRunFiles(dir: string): void {
  for (const f of readdirSync(dir)) {
    if ((RUN_FILES as readonly string[]).includes(f) || RUN_FILES.some((r) => f.startsWith(`.${r}.tmp-`))) unlinkSync(join(dir, f));
  }
}

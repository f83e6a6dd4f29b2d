/**
 * A split on disk (issue 15 item 3; the split itself is export.ts): a pair folder holds
 * `survived.safetensors` and `rejuvenated.safetensors` (ordinary rejuv checkpoints with PyTorch names:
 * `rejuv eval` loads either, scripts/torch_models.py `from_description` builds either) and `pair.json`
 * (what the pair is, its sizes, the check made when it was written). `rejuv export --split CKPT OUT`
 * writes one (`exportSplit`); `rejuv eval OUT` and `rejuv inspect OUT` read one. Node only.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelDescription, ZooModel } from '../nn/graph.js';
import { modelFromDescription } from '../nn/models/index.js';
import { fail } from '../core/errors.js';
import { Checkpoint, saveCheckpoint, writeFileAtomic } from '../train/checkpoint.js';
import type { RunState } from '../train/trainer.js';
import type { TrainingPlugin } from '../train/plugin.js';
import { comparePair, formatSplitSizes, pairForwardLoss, pairLogits, splitNetwork, type SplitPair, type SplitSizes } from './export.js';
import type { NRState } from './nr.js';
import { installScheme, type Scheme } from './schemes.js';

export const PAIR_FORMAT = 'rejuv-split/1';
export const PAIR_FILE = 'pair.json';
/** The members' file names inside a pair folder. */
export const MEMBER_FILES = { s: 'survived.safetensors', r: 'rejuvenated.safetensors' } as const;

/** What pair.json holds. */
export interface PairMeta {
  format: typeof PAIR_FORMAT;
  members: { S: string; R: string };
  /** How the members combine. */
  logits: string;
  arch: string;
  source: string | null;
  scheme: 'a';
  widths: { masked: Record<string, number>; S: Record<string, number>; R: Record<string, number> };
  sizes: SplitSizes;
  /** Conv weights of S and R: their sum is the run's effectiveParams. */
  convParams: { S: number; R: number };
  effectiveParams: number | null;
  check: { images: number; maxAbsDiff: number; maxAbsLogit: number } | null;
}

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** A folder written by `writePair` (holds pair.json). */
export const isPairDir = (p: string): boolean => isDir(p) && existsSync(join(p, PAIR_FILE));

/** Where a pair may be written: a new or empty folder, or (with `overwrite`) an earlier pair's. */
function preparePairDir(dir: string, overwrite: boolean): void {
  if (existsSync(dir) && !isDir(dir)) fail('rejuv export', `${dir}: exists and is not a folder`);
  if (isDir(dir)) {
    const held = readdirSync(dir);
    if (held.length) {
      if (!isPairDir(dir)) fail('rejuv export', `${dir}: the folder holds files (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', …' : ''}) and is not a pair folder; give a new or empty folder`);
      if (!overwrite) fail('rejuv export', `${dir}: holds a pair already; give --overwrite to replace it, or another folder`);
      for (const f of [PAIR_FILE, MEMBER_FILES.s, MEMBER_FILES.r]) if (existsSync(join(dir, f))) unlinkSync(join(dir, f));
    }
  }
  mkdirSync(dir, { recursive: true });
}

export interface WritePairOptions {
  /** The run the masked network came from (members keep it, without the NR plugin's options). */
  run?: RunState;
  /** The source checkpoint's `dataset` metadata (normalization), copied. */
  dataset?: unknown;
  source?: string | null;
  effectiveParams?: number | null;
  check?: PairMeta['check'];
  overwrite?: boolean;
}

/**
 * Write the pair as a folder: each member an ordinary checkpoint (no optimizer state), then pair.json
 * (last, so a folder with pair.json is complete).
 */
export async function writePair(dir: string, pair: SplitPair, masked: ZooModel, opts: WritePairOptions = {}): Promise<PairMeta> {
  preparePairDir(dir, opts.overwrite ?? false);
  const run = opts.run ? { ...opts.run, config: { ...opts.run.config, plugin: undefined } } : undefined;
  for (const side of ['s', 'r'] as const) {
    const m = pair[side];
    await saveCheckpoint(join(dir, MEMBER_FILES[side]), Object.entries(m.stateDict()), {
      model: m.describe(),
      ...(run ? { run } : {}),
      ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}),
      split: { member: side === 's' ? 'S' : 'R', pair: PAIR_FILE, source: opts.source ?? null, note: `member ${side === 's' ? 'S (survived channels)' : 'R (rejuvenated channels)'} of a split: its logits are the ${side === 's' ? 'S' : 'R'} head's; the pair predicts with S(x) + R(x)` },
    });
  }
  const meta: PairMeta = {
    format: PAIR_FORMAT,
    members: { S: MEMBER_FILES.s, R: MEMBER_FILES.r },
    logits: 'S(x) + R(x): each member is an ordinary model whose classifier carries the masked network\'s bias (the two heads share it), so the sum is the masked network\'s z_S + z_R',
    arch: masked.arch, source: opts.source ?? null, scheme: 'a',
    widths: { masked: masked.describe().widths, S: pair.index.widthsS, R: pair.index.widthsR },
    sizes: pair.sizes,
    convParams: { S: pair.sizes.s.conv, R: pair.sizes.r.conv },
    effectiveParams: opts.effectiveParams ?? null,
    check: opts.check ?? null,
  };
  writeFileAtomic(join(dir, PAIR_FILE), new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`));
  return meta;
}

/** pair.json of a pair folder, checked. */
export function readPairMeta(dir: string): PairMeta {
  const file = join(dir, PAIR_FILE);
  let meta: PairMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as PairMeta;
  } catch (e) {
    return fail('rejuv pair', `${file}: cannot read (${(e as Error).message})`);
  }
  if (meta?.format !== PAIR_FORMAT) fail('rejuv pair', `${file}: not a rejuv pair (format ${JSON.stringify(meta?.format)}, expected '${PAIR_FORMAT}')`);
  if (typeof meta.members?.S !== 'string' || typeof meta.members?.R !== 'string') fail('rejuv pair', `${file}: 'members' must name the S and R checkpoints`);
  return meta;
}

/** Load one ordinary checkpoint's model with its weights (current backend). */
function loadMember(file: string): { ckpt: Checkpoint; model: ZooModel } {
  const ckpt = Checkpoint.read(file);
  const model = modelFromDescription(ckpt.meta<ModelDescription>('model'));
  try {
    const sd = ckpt.stateDictFor(model.stateDict());
    model.loadStateDict(sd);
    for (const t of Object.values(sd)) t.dispose();
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { ckpt, model: model.eval() };
}

/** Load a pair folder: both members (eval mode), pair.json and the run the members keep. */
export function readPair(dir: string): { s: ZooModel; r: ZooModel; meta: PairMeta; run: RunState | null; files: { S: string; R: string } } {
  const meta = readPairMeta(dir);
  const files = { S: join(dir, meta.members.S), R: join(dir, meta.members.R) };
  const s = loadMember(files.S);
  let r: ReturnType<typeof loadMember>;
  try {
    r = loadMember(files.R);
  } catch (e) {
    s.model.dispose();
    throw e;
  }
  const run = s.ckpt.hasMeta('run') ? s.ckpt.meta<RunState>('run') : null;
  return { s: s.model, r: r.model, meta, run, files };
}

export interface ExportResult {
  meta: PairMeta;
  dir: string;
}

/**
 * `rejuv export --split CKPT OUT`: load a rejuvenated Scheme A checkpoint, split it, compare the pair's
 * summed logits with the masked network's on `checkImages` random images (fails beyond 1e-4 of the
 * largest logit, a safety net: the test holds the pair to 1e-5), write the pair folder.
 */
export async function exportSplit(file: string, dir: string, opts: { checkImages?: number; overwrite?: boolean } = {}): Promise<ExportResult> {
  const ckpt = Checkpoint.read(file);
  const run = ckpt.meta<RunState>('run');
  if (!ckpt.hasMeta('plugin') || !run.config.plugin?.nr) fail('rejuv export', `${file}: not a Neural Rejuvenation run (no NR state in its metadata); only a rejuvenated network splits`);
  const state = ckpt.meta<NRState>('plugin');
  if (!state.split) {
    fail('rejuv export', `${file}: no surgery yet (NR phase '${state.phase}'${state.unreached ? ', target not reached' : ''}): a network splits into S and R only after the surgery`);
  }
  const scheme = (run.config.plugin?.['nr-scheme'] as Scheme | undefined) ?? 'a';
  if (scheme === 'b') {
    fail('rejuv export', `${file}: trained with Scheme B (--nr-scheme b), whose cross-attention blocks are trained away from zero, so S and R are not independent networks; only Scheme A (the default) splits`);
  }
  const { model } = loadMember(file);
  try {
    installScheme(model, state.split, 'a'); // the masked network exactly as `rejuv eval` runs it
    const pair = await splitNetwork(model, state.split, { scheme });
    try {
      const n = opts.checkImages ?? 4;
      const check = n > 0 ? await comparePair(model, state.split, pair, n) : null;
      if (check && check.maxAbsDiff > 1e-4 * Math.max(1, check.maxAbsLogit)) {
        fail('rejuv export', `${file}: the pair's summed logits differ from the masked network's by ${check.maxAbsDiff.toExponential(3)} (largest logit ${check.maxAbsLogit.toFixed(3)}) on ${n} random images; nothing written`);
      }
      const meta = await writePair(dir, pair, model, {
        run, dataset: ckpt.hasMeta('dataset') ? ckpt.meta('dataset') : undefined, source: resolve(file),
        effectiveParams: state.effectiveParams, check, overwrite: opts.overwrite,
      });
      return { meta, dir };
    } finally {
      pair.s.dispose();
      pair.r.dispose();
    }
  } finally {
    model.dispose();
  }
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** The human summary of a pair (`rejuv export` and `rejuv inspect OUT`). */
export function describePair(dir: string, meta: PairMeta): string[] {
  const z = meta.sizes;
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
  return [
    `${dir}: split of ${meta.arch}${meta.source ? ` (${meta.source})` : ''} into two ordinary networks; prediction S(x) + R(x)`,
    `  S  ${join(dir, meta.members.S)}  widths ${Object.values(meta.widths.S).join(',')}`,
    `  R  ${join(dir, meta.members.R)}  widths ${Object.values(meta.widths.R).join(',')}`,
    `  conv parameters S ${fmtInt(meta.convParams.S)} + R ${fmtInt(meta.convParams.R)} = ${fmtInt(meta.convParams.S + meta.convParams.R)}${z.padded.convParams ? `, ${fmtInt(meta.convParams.S + meta.convParams.R - z.padded.convParams)} without R's zero padding` : ''}${meta.effectiveParams !== null ? ` (the run's effectiveParams: ${fmtInt(meta.effectiveParams)})` : ''}`,
    ...formatSplitSizes(z).map((l) => `  ${l}`),
    `  the pair holds ${pct(z.pair.total, z.masked.total)} of the masked network's parameters and ${pct(z.pair.flops, z.masked.flops)} of its multiply-adds (each member carries the classifier bias)`,
    ...(meta.check ? [`  check: summed logits vs the masked network's on ${meta.check.images} random images: max |difference| ${meta.check.maxAbsDiff.toExponential(2)} (largest |logit| ${meta.check.maxAbsLogit.toFixed(3)})`] : []),
  ];
}

/**
 * A pair folder as `rejuv eval` restores a checkpoint: the run the members keep, S as the model, and
 * a plugin whose loss and logits are the pair's S(x) + R(x).
 */
export function restorePair(dir: string): { run: RunState; model: ZooModel; plugin: TrainingPlugin; meta: PairMeta } {
  const p = readPair(dir);
  if (!p.run) {
    p.s.dispose();
    p.r.dispose();
    fail('rejuv pair', `${p.files.S}: no 'run' metadata, so the dataset to evaluate on is unknown`);
  }
  return {
    run: p.run, model: p.s, meta: p.meta,
    plugin: { name: 'split-pair', forwardLoss: (x, y) => pairForwardLoss(p, x, y), logits: (x) => pairLogits(p, x) },
  };
}

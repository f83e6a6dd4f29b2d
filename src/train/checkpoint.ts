/**
 * Checkpoints: one safetensors file with the model's state dict under its PyTorch names (so PyTorch
 * loads it directly), optimizer slots under `@optim/<param>/<slot>`, and everything else — model
 * description (architecture, every layer's width), run state, RNG state, optimizer hyper-parameters,
 * plugin state — as JSON strings in `__metadata__`.
 *
 * Writes are atomic: a temporary file in the same directory, fsync, rename over the target, fsync of
 * the directory. A process killed at any instant leaves either the previous checkpoint or the new one,
 * never a torn file (test/resume.test.ts kills one mid-write to show it).
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tensor } from '../ops/creation.js';
import type { DType } from '../core/dtype.js';
import { RejuvError } from '../core/errors.js';
import { readAll, type Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors, fromTyped, toTyped, type SafeFile, type SafeTensor } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'rejuv-checkpoint/1';
export const OPTIM_PREFIX = '@optim/';

const writesOf = new Map<string, number>();

/** Write bytes to `file` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w', 0o644);
  // Test hook (test/resume.test.ts): REJUV_TEST_WRITE_PAUSE=<file name>:<ms>:<skip> pauses half-way
  // through every write of that file after the first <skip>, so a SIGKILL can land mid-write.
  const [pauseName, pauseArg, skipArg] = (process.env.REJUV_TEST_WRITE_PAUSE ?? '').split(':');
  const pauseMs = pauseName === basename(file) && (writesOf.set(file, (writesOf.get(file) ?? 0) + 1).get(file)! > Number(skipArg ?? 0)) ? Number(pauseArg) : 0;
  try {
    let off = 0;
    while (off < bytes.length) {
      const half = pauseMs > 0 && off < bytes.length >> 1 ? (bytes.length >> 1) - off : bytes.length - off;
      off += writeSync(fd, bytes, off, Math.min(half, 1 << 24));
      if (pauseMs > 0 && off === bytes.length >> 1) {
        fsyncSync(fd);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Remove temporary files left by writers that were killed mid-write. */
export function removeStaleTemps(file: string): void {
  const dir = dirname(file), prefix = `.${basename(file)}.tmp-`;
  for (const f of readdirSync(dir)) if (f.startsWith(prefix)) unlinkSync(join(dir, f));
}

/**
 * Save named tensors and metadata (non-string values are JSON-encoded). All tensors are read back in one
 * round trip.
 */
export async function saveCheckpoint(file: string, tensors: [string, Tensor][], metadata: Record<string, unknown>): Promise<number> {
  const values = await readAll(tensors.map(([, t]) => t));
  const sf: SafeFile = { metadata: { format: CHECKPOINT_FORMAT }, tensors: new Map() };
  for (const [k, v] of Object.entries(metadata)) sf.metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  tensors.forEach(([name, t], i) => {
    const a = values[i];
    sf.tensors.set(name, fromTyped(a instanceof Float32Array || a instanceof Int32Array ? a : Float32Array.from(a), [...t.shape]));
  });
  const bytes = encodeSafetensors(sf);
  removeStaleTemps(file);
  writeFileAtomic(file, bytes);
  return bytes.length;
}

export class Checkpoint {
  constructor(readonly file: string, readonly content: SafeFile) {}

  static read(file: string): Checkpoint {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new RejuvError('checkpoint', `${file}: cannot read (${(e as Error).message})`);
    }
    const content = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    const fmt = content.metadata.format;
    if (fmt !== CHECKPOINT_FORMAT) throw new RejuvError('checkpoint', `${file}: not a rejuv checkpoint (metadata format ${JSON.stringify(fmt)}, expected '${CHECKPOINT_FORMAT}')`);
    return new Checkpoint(file, content);
  }

  private fail(msg: string): never {
    throw new RejuvError('checkpoint', `${this.file}: ${msg}`);
  }

  /** A metadata entry decoded from JSON; throws naming the file when absent or malformed. */
  meta<T>(key: string): T {
    const s = this.content.metadata[key];
    if (s === undefined) this.fail(`metadata has no '${key}' entry`);
    try {
      return JSON.parse(s) as T;
    } catch (e) {
      return this.fail(`metadata '${key}' is not valid JSON (${(e as Error).message})`);
    }
  }
  hasMeta(key: string): boolean {
    return key in this.content.metadata;
  }

  /** Names of the model's tensors (everything not under the optimizer prefix). */
  modelKeys(): string[] {
    return [...this.content.tensors.keys()].filter((k) => !k.startsWith(OPTIM_PREFIX));
  }

  /** One stored tensor as an engine tensor. */
  tensor(name: string): Tensor {
    const t = this.content.tensors.get(name);
    if (!t) this.fail(`has no tensor '${name}'`);
    return toEngine(t, name, this.file);
  }

  /**
   * The model's state dict as engine tensors, after checking names, shapes and dtypes against
   * `expected` (the model's own `stateDict()`), listing every problem at once.
   */
  stateDictFor(expected: Record<string, Tensor>): Record<string, Tensor> {
    const problems: string[] = [];
    const have = new Set(this.modelKeys());
    for (const [k, t] of Object.entries(expected)) {
      const s = this.content.tensors.get(k);
      if (!s) {
        problems.push(`missing '${k}'`);
        continue;
      }
      const want = t.dtype === 'int32' ? ['I32', 'I64'] : ['F32'];
      if (!want.includes(s.dtype)) problems.push(`'${k}' has dtype ${s.dtype}, the model expects ${t.dtype}`);
      if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) problems.push(`'${k}' has shape [${s.shape.join(', ')}], the model expects [${t.shape.join(', ')}]`);
      have.delete(k);
    }
    for (const k of have) problems.push(`unexpected '${k}'`);
    if (problems.length) this.fail(`does not match the model: ${problems.join('; ')}`);
    return Object.fromEntries(Object.keys(expected).map((k) => [k, this.tensor(k)]));
  }

  /** Optimizer slots: param name → slot name → tensor. */
  optimizerSlots(): Map<string, Map<string, SafeTensor>> {
    const out = new Map<string, Map<string, SafeTensor>>();
    for (const [k, t] of this.content.tensors) {
      if (!k.startsWith(OPTIM_PREFIX)) continue;
      const rest = k.slice(OPTIM_PREFIX.length), cut = rest.lastIndexOf('/');
      if (cut <= 0) this.fail(`optimizer tensor '${k}' is not '${OPTIM_PREFIX}<param>/<slot>'`);
      const p = rest.slice(0, cut);
      if (!out.has(p)) out.set(p, new Map());
      out.get(p)!.set(rest.slice(cut + 1), t);
    }
    return out;
  }
}

export function toEngine(t: SafeTensor, name: string, file: string): Tensor {
  let a: ReturnType<typeof toTyped>;
  try {
    a = toTyped(t);
  } catch (e) {
    throw new RejuvError('checkpoint', `${file}: tensor '${name}': ${(e as Error).message}`);
  }
  const dtype: DType = a instanceof Int32Array ? 'int32' : 'float32';
  if (a instanceof Uint8Array) throw new RejuvError('checkpoint', `${file}: tensor '${name}' is U8, which the engine has no dtype for`);
  return tensor(a instanceof Float64Array ? Float32Array.from(a) : a, t.shape, { dtype });
}

/**
 * Making tensors: from data, constants, ranges and seeded random draws; copies, casts and views.
 */
import { runKernel } from '../tensor/dispatch.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { backend } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { splitSeed } from '../core/random.js';
import { checkShape, sizeOf } from '../core/shape.js';
import { record } from '../tensor/tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, run, wrap } from './util.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | Nested[];

function flatten(data: Nested, shape: number[], out: number[], depth = 0): void {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) fail('tensor', `ragged nested array: expected ${shape[depth]} items at depth ${depth}, got ${data.length}`);
    for (const d of data) flatten(d, shape, out, depth + 1);
  } else {
    if (shape.length !== depth) fail('tensor', `ragged nested array at depth ${depth}`);
    out.push(data);
  }
}

/** `tensor(data, shape?, options)`: data is a typed array, a flat array (with shape) or a nested array. */
export function tensor(data: TypedArray | Nested, shape?: readonly number[], opts: TensorOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  let shp: number[];
  if (typeof data === 'number') {
    flat = [data];
    shp = shape ? [...shape] : [];
  } else if (Array.isArray(data) && !shape) {
    const s: number[] = [];
    const o: number[] = [];
    flatten(data, s, o);
    flat = o;
    shp = s;
  } else {
    flat = Array.isArray(data) ? (data.flat(Infinity as 1) as number[]) : (data as TypedArray);
    shp = shape ? [...shape] : [flat.length];
  }
  checkShape('tensor', shp);
  if (sizeOf(shp) !== flat.length) fail('tensor', `${flat.length} values do not fill shape ${fmtShape(shp)} (${sizeOf(shp)} elements)`);
  const dtype = opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) if (!Number.isInteger(flat[i])) fail('tensor', `int32 tensor got non-integer value ${flat[i]} at index ${i}`);
  }
  const t = new Tensor({ shape: shp, dtype, storage: backend('tensor').upload(flat, dtype) }, 'tensor', opts.requiresGrad ?? false);
  return t;
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const dtype = opts.dtype ?? 'float32';
  if (!Number.isFinite(value) && dtype === 'int32') fail('full', `int32 fill value must be finite, got ${value}`);
  const t = wrap('full', runKernel('fill', [], { shape, dtype, value }));
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}
export const zeros = (shape: readonly number[], opts?: TensorOptions) => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts?: TensorOptions) => full(shape, 1, opts);
export const zerosLike = (t: Tensor) => full(t.shape, 0, { dtype: t.dtype });
export const onesLike = (t: Tensor) => full(t.shape, 1, { dtype: t.dtype });

export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) fail('arange', `step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const vals = Array.from({ length: n }, (_, i) => start + i * step);
  return tensor(vals, [n], { dtype: opts.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'int32' : 'float32'), requiresGrad: opts.requiresGrad });
}

// --- seeded random numbers -----------------------------------------------------------------------

/** The global generator: a seed and a running counter offset (each draw advances it). */
const generator = { seed: 0, offset: 0 };

export function manualSeed(seed: number): void {
  splitSeed('manualSeed', seed);
  generator.seed = seed;
  generator.offset = 0;
}

export function generatorState(): { seed: number; offset: number } {
  return { ...generator };
}
export function setGeneratorState(s: { seed: number; offset: number }): void {
  generator.seed = s.seed;
  generator.offset = s.offset;
}

export interface RandomOptions {
  /** Explicit seed; without it the global generator is used and advanced. */
  seed?: number;
  /** Counter offset in blocks of 4 values (default 0 with an explicit seed). */
  offset?: number;
  requiresGrad?: boolean;
}

function draw(op: string, shape: readonly number[], dist: 'uniform' | 'normal', a: number, b: number, opts: RandomOptions): Tensor {
  checkShape(op, shape);
  if (!Number.isFinite(a) || !Number.isFinite(b)) fail(op, `parameters must be finite, got ${a}, ${b}`);
  let seed: number, offset: number;
  if (opts.seed !== undefined) {
    splitSeed(op, opts.seed);
    seed = opts.seed;
    offset = opts.offset ?? 0;
  } else {
    seed = generator.seed;
    offset = generator.offset;
    generator.offset += Math.ceil(sizeOf(shape) / 4);
  }
  if (!Number.isInteger(offset) || offset < 0) fail(op, `offset must be a non-negative integer, got ${offset}`);
  const t = wrap(op, runKernel('random', [], { shape, dist, seed, offset, a, b }));
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

/** Uniform in [low, high). */
export const rand = (shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}) =>
  draw('rand', shape, 'uniform', opts.low ?? 0, opts.high ?? 1, opts);
/** Normal with `mean` and `std` (inverse-CDF sampling, identical bits on both backends). */
export const randn = (shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}) =>
  draw('randn', shape, 'normal', opts.mean ?? 0, opts.std ?? 1, opts);

// --- copies and views ----------------------------------------------------------------------------

/** A copy with its own storage (differentiable). */
export function copy(x: Tensor): Tensor {
  checkTensor('copy', x);
  return record('copy', [x], run('copy', 'copy', [x], {}), (g) => [g]);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', x);
  if (x.dtype === dtype) return copy(x);
  return run('cast', 'cast', [x], { dtype });
}

/** Same storage, new shape (one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', x);
  const s = [...shape];
  if (s.filter((d) => d === -1).length > 1) fail('reshape', `only one dimension of ${fmtShape(shape)} may be -1`);
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) fail('reshape', `cannot infer -1 in ${fmtShape(shape)} for ${x.size} elements`);
    s[neg] = x.size / rest;
  }
  checkShape('reshape', s);
  if (sizeOf(s) !== x.size) fail('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  const out = new Tensor({ shape: s, dtype: x.dtype, storage: x.storage }, 'reshape');
  return record('reshape', [x], out, (g) => [reshape(g, x.shape)]);
}

/** Same storage, no autograd history. */
export function detach(x: Tensor): Tensor {
  checkTensor('detach', x);
  return new Tensor({ shape: x.shape, dtype: x.dtype, storage: x.storage }, 'detach');
}

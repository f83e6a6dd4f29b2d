/**
 * Global engine state: the active backend, tidy scopes, the no-grad switch and live-memory counters.
 * Kept in one small object so the rest of the library reads as plain functions.
 */
import type { Backend, Storage } from '../core/backend.js';
import { fail } from '../core/errors.js';
import type { Tensor } from './tensor.js';

interface Engine {
  backend: Backend | null;
  scopes: Set<Tensor>[];
  gradEnabled: boolean;
  liveTensors: number;
  liveBytes: number;
  /** The highest liveBytes since the last `resetPeakBytes()` (benchmarks read a step's peak). */
  peakBytes: number;
  nextId: number;
}

export const engine: Engine = { backend: null, scopes: [], gradEnabled: true, liveTensors: 0, liveBytes: 0, peakBytes: 0, nextId: 1 };

export function backend(where = 'rejuv'): Backend {
  if (!engine.backend) fail(where, 'no backend: call `await rj.init()` first');
  return engine.backend;
}

export function retainStorage(s: Storage): void {
  if (s.refs === 0) {
    engine.liveBytes += s.bytes;
    if (engine.liveBytes > engine.peakBytes) engine.peakBytes = engine.liveBytes;
  }
  s.refs++;
}

/** Start a new peak window: `memory().peakBytes` becomes the current live bytes and rises from there. */
export function resetPeakBytes(): void {
  engine.peakBytes = engine.liveBytes;
}

export function releaseStorage(s: Storage): void {
  s.refs--;
  if (s.refs === 0) {
    engine.liveBytes -= s.bytes;
    backend().release(s);
  }
}

/** Called by the Tensor constructor: register with the innermost tidy scope. */
export function trackTensor(t: Tensor): void {
  engine.liveTensors++;
  const scope = engine.scopes[engine.scopes.length - 1];
  if (scope) scope.add(t);
}

export function untrackTensor(t: Tensor): void {
  engine.liveTensors--;
  for (const s of engine.scopes) s.delete(t);
}

/** Take `t` out of every tidy scope: it outlives them and the caller owns it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of engine.scopes) s.delete(t);
  return t;
}

type Kept = Tensor | void | undefined | null | number | string | boolean | Kept[] | { [k: string]: Kept };

function collect(value: unknown, out: Set<Tensor>, isTensor: (x: unknown) => x is Tensor): void {
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, isTensor);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, isTensor);
  }
}

/** The brand every Tensor carries (src/tensor/tensor.ts), so the engine needs no import of the class. */
export const TENSOR: unique symbol = Symbol('rejuv.tensor');
const isTensorBranded = (x: unknown): x is Tensor => typeof x === 'object' && x !== null && (x as { [TENSOR]?: boolean })[TENSOR] === true;
/**
 * Run `fn`, then dispose every tensor created inside it except those it returns (in an array or plain
 * object too), which move to the enclosing scope. `fn` must be synchronous, as in tfjs.
 */
export function tidy<T extends Kept>(fn: () => T): T {
  const scope = new Set<Tensor>();
  engine.scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      fail('tidy', 'the function returned a Promise; tidy() takes synchronous functions (await outside it)');
    }
  } finally {
    engine.scopes.pop();
  }
  const kept = new Set<Tensor>();
  collect(result, kept, isTensorBranded);
  for (const t of scope) if (!kept.has(t) && !t.isDisposed) t.dispose();
  const parent = engine.scopes[engine.scopes.length - 1];
  if (parent) for (const t of kept) if (!t.isDisposed) parent.add(t);
  return result;
}

/** Run `fn` without recording the autograd tape. */
export function noGrad<T>(fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  try {
    return fn();
  } finally {
    engine.gradEnabled = prev;
  }
}

export interface MemoryInfo {
  liveTensors: number;
  liveBytes: number;
  /** Highest live bytes since the last `resetPeakBytes()` (or since start). */
  peakBytes: number;
  pooledBytes: number;
  allocatedBytes: number;
}

export function memory(): MemoryInfo {
  const m = engine.backend ? engine.backend.memory() : { pooledBytes: 0, allocatedBytes: 0 };
  return { liveTensors: engine.liveTensors, liveBytes: engine.liveBytes, peakBytes: engine.peakBytes, ...m };
}

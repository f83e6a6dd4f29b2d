/**
 * The in-browser op checks: each case draws its parameters with fast-check (seeded by the case name,
 * so a failure replays), fills its inputs from a seeded generator, runs the op on the page's WebGPU
 * adapter and on the plain-TS reference backend, and compares the outputs and the gradients of a
 * random linear functional of the output (sum(out * w)), element by element.
 */
import fc from 'fast-check';
import * as rj from '../../src/index.js';
import type { Backend } from '../../src/core/backend.js';
import type { DType, TypedArray } from '../../src/core/dtype.js';
import { engine } from '../../src/tensor/engine.js';
import { closeness, prng, size } from '../../test/helpers/numbers.js';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Values drawn uniformly in [low, high) (float32; default -2..2); int32 draws integers in [low, high). */
  low?: number;
  high?: number;
  /** float32 only: round the draws down to whole numbers (ties for comparisons and extremes). */
  integers?: boolean;
  /** Check this input's gradient. */
  grad?: boolean;
}

export interface OpCase<P> {
  name: string;
  params: fc.Arbitrary<P>;
  inputs(p: P): InputSpec[];
  run(xs: rj.Tensor[], p: P): rj.Tensor;
  /** |gpu - ref| <= atol + rtol * |ref| (defaults 1e-5 and 1e-4). */
  atol?: number;
  rtol?: number;
  runs?: number;
}

// Erases P so cases of different parameter types share one list.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCase = OpCase<any>;
export const opCase = <P>(c: OpCase<P>): AnyCase => c;

export interface CaseResult {
  name: string;
  runs: number;
  ok: boolean;
  /** Largest |gpu - ref| / (atol + rtol * |ref|) seen: ≤ 1 passes. */
  worst: number;
  gradients: number;
  message: string;
}

const hash = (s: string): number => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

function fill(spec: InputSpec, next: () => number): number[] {
  const lo = spec.low ?? -2, hi = spec.high ?? 2;
  const whole = spec.dtype === 'int32' || spec.integers;
  return Array.from({ length: size(spec.shape) }, () => (whole ? Math.floor(lo + next() * (hi - lo)) : lo + next() * (hi - lo)));
}

interface Outcome {
  shape: readonly number[];
  dtype: DType;
  values: TypedArray[];
  labels: string[];
}

/** One evaluation on one backend; everything it makes is disposed before it returns. */
async function evaluate(backend: Backend, c: AnyCase, p: unknown, specs: InputSpec[], data: number[][], seed: number): Promise<Outcome> {
  const prev = engine.backend;
  engine.backend = backend;
  try {
    const xs = specs.map((s, i) => rj.tensor(data[i], s.shape, { dtype: s.dtype ?? 'float32', requiresGrad: s.grad ?? false }));
    const out = rj.tidy(() => {
      const y = c.run(xs, p);
      if (xs.some((x) => x.requiresGrad)) {
        const w = rj.tensor(fill({ shape: [...y.shape] }, prng(seed ^ 0x5bd1e995)), [...y.shape]);
        rj.sum(rj.mul(y, w)).backward();
      }
      return y;
    });
    const graded = xs.filter((x) => x.requiresGrad);
    for (const [i, x] of graded.entries()) if (!x.grad) throw new Error(`${c.name}: no gradient reached input ${i} on the ${backend.name} backend`);
    const values = await rj.readAll([out, ...graded.map((x) => x.grad!)]);
    const result = { shape: out.shape, dtype: out.dtype, values, labels: ['output', ...xs.flatMap((x, i) => (x.requiresGrad ? [`gradient of input ${i}`] : []))] };
    out.dispose();
    for (const x of xs) {
      x.grad = null;
      x.dispose();
    }
    return result;
  } finally {
    engine.backend = prev;
  }
}

export async function runCase(c: AnyCase, gpu: Backend, ref: Backend): Promise<CaseResult> {
  const atol = c.atol ?? 1e-5, rtol = c.rtol ?? 1e-4;
  const runs = c.runs ?? 4;
  const params = fc.sample(c.params, { seed: hash(c.name), numRuns: runs });
  let worst = 0, gradients = 0;
  for (const [r, p] of params.entries()) {
    const specs = c.inputs(p);
    const seed = hash(c.name) + r;
    const next = prng(seed);
    const data = specs.map((s) => fill(s, next));
    const where = `${c.name} run ${r} params ${JSON.stringify(p)} inputs ${JSON.stringify(specs.map((s) => s.shape))}`;
    let a: Outcome, b: Outcome;
    try {
      a = await evaluate(gpu, c, p, specs, data, seed);
      b = await evaluate(ref, c, p, specs, data, seed);
    } catch (e) {
      return { name: c.name, runs: r, ok: false, worst, gradients, message: `${where}: threw ${(e as Error).message}` };
    }
    if (a.shape.join() !== b.shape.join() || a.dtype !== b.dtype) {
      return { name: c.name, runs: r, ok: false, worst, gradients, message: `${where}: webgpu gave ${a.dtype}[${a.shape}], reference ${b.dtype}[${b.shape}]` };
    }
    gradients += a.values.length - 1;
    for (const [k, va] of a.values.entries()) {
      const vb = b.values[k];
      for (let i = 0; i < vb.length; i++) {
        const x = va[i], y = vb[i];
        const err = closeness(x, y, rtol, atol);
        if (!(err <= 1)) {
          return { name: c.name, runs: r, ok: false, worst: Math.max(worst, err), gradients, message: `${where}: ${a.labels[k]}[${i}] webgpu ${x} vs reference ${y} (atol ${atol}, rtol ${rtol})` };
        }
        worst = Math.max(worst, err);
      }
    }
  }
  return { name: c.name, runs, ok: true, worst, gradients, message: '' };
}

/**
 * Comparing backends: run the same builder (which makes its inputs from host data) on the reference
 * backend and on WebGPU, read both results and compare them element by element.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { rj, withBackend, type BackendName } from './backends.js';
import { closeness } from './numbers.js';

export { prng, randInts, randValues, size } from './numbers.js';

export interface Result { shape: number[]; dtype: string; data: number[] }

/** Run `build` on one backend inside tidy and read every returned tensor. */
export async function runOn(name: BackendName | 'cpu64', build: () => rj.Tensor | rj.Tensor[]): Promise<Result[]> {
  return withBackend(name, async () => {
    const out = rj.tidy(() => {
      const r = build();
      return Array.isArray(r) ? r : [r];
    });
    const arrays = await rj.readAll(out);
    const res = out.map((t, i) => ({ shape: [...t.shape], dtype: t.dtype, data: Array.from(arrays[i]) }));
    out.forEach((t) => t.dispose());
    return res;
  });
}

/** Element-wise |a - b| ≤ atol + rtol·|b|, NaN matching NaN and ±∞ matching itself. */
export function expectAllClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(closeness(a, e, rtol, atol) <= 1)) {
      expect.fail(`${what}: element ${i} is ${a} (webgpu/actual), expected ${e} (reference) (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** The builder on both backends; shapes and dtypes must agree exactly, values within tolerance. */
export async function expectSameOnBoth(what: string, build: () => rj.Tensor | rj.Tensor[], rtol = 1e-5, atol = 1e-6): Promise<Result[]> {
  const ref = await runOn('cpu', build);
  const gpu = await runOn('webgpu', build);
  expect(gpu.length).toBe(ref.length);
  ref.forEach((r, i) => {
    expect(gpu[i].shape, `${what}: shape of output ${i}`).toEqual(r.shape);
    expect(gpu[i].dtype, `${what}: dtype of output ${i}`).toBe(r.dtype);
    expectAllClose(`${what} (output ${i}, shape [${r.shape}])`, gpu[i].data, r.data, rtol, atol);
  });
  return ref;
}

// --- fast-check arbitraries -----------------------------------------------------------------------

/** Shapes of rank 0–4 with small dims, size-1 axes often, sizes that are not multiples of 4. */
export const shapeArb = (minRank = 0, maxRank = 4, maxDim = 7) =>
  fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: maxDim })), { minLength: minRank, maxLength: maxRank });

/** A broadcast-compatible pair: both derived from one output shape by dropping leading axes and setting 1s. */
export const broadcastPairArb = fc
  .tuple(shapeArb(0, 4, 6), fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 4, maxLength: 4 }), fc.nat(4), fc.nat(4))
  .map(([out, ones, dropA, dropB]) => {
    const a = out.map((d, i) => (ones[i][0] ? 1 : d)).slice(Math.min(dropA, out.length));
    const b = out.map((d, i) => (ones[i][1] ? 1 : d)).slice(Math.min(dropB, out.length));
    return { a, b };
  });

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
export const RUNS = 15;

/**
 * Seeded test data and the closeness rule, free of vitest and of any backend: the Node suites
 * (through helpers/compare.ts) and the in-browser op checks (web/checks/runner.ts) share them.
 */

/** mulberry32: a tiny seeded PRNG, the same in every JS engine (fast-check supplies seeds, so failures replay). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randValues(n: number, seed: number, lo = -3, hi = 3): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

export function randInts(n: number, seed: number, lo: number, hi: number): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => lo + Math.floor((hi - lo) * r()));
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * How far `actual` is from `expected` in units of the tolerance atol + rtol·|expected|: ≤ 1 is close.
 * Equal values (±∞ included) and NaN against NaN are 0; anything else against a NaN or an infinity is
 * NaN, which fails every `≤ 1` test.
 */
export function closeness(actual: number, expected: number, rtol: number, atol: number): number {
  if (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return 0;
  return Math.abs(actual - expected) / (atol + rtol * Math.abs(expected));
}

/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), the same bits in TypeScript and in
 * WGSL (`shaders/random.wgsl`). Element i of a draw with (seed, offset) takes lane i % 4 of the block
 * at counter (offset + ⌊i / 4⌋, 0, 0, 0) under key (seed_lo, seed_hi).
 *
 * Uniform: (bits >> 8) · 2⁻²⁴ ∈ [0, 1), exact in f32.
 * Normal: inverse CDF through a 4097-point table of Φ⁻¹ in 20-bit fixed point, linearly interpolated
 * in integer arithmetic, then one f32 multiply. Every step is exact integer math or a correctly
 * rounded f32 operation, so the GPU and the reference backend produce bit-identical tensors (a
 * transcendental Box–Muller could not promise that). Tails are truncated at |z| ≈ 3.67 (Φ⁻¹ of 0.5/4097).
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhi(a: number, b: number): number {
  // High 32 bits of a 32×32 unsigned product, from 16-bit halves (no BigInt in the hot loop).
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo;
  const lohi = aLo * bHi;
  const hilo = aHi * bLo;
  const hihi = aHi * bHi;
  const mid = (lolo >>> 16) + (lohi & 0xffff) + (hilo & 0xffff);
  return (hihi + (lohi >>> 16) + (hilo >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox4x32-10 block. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0 >>> 0, c1 >>> 0, c2 >>> 0, c3 >>> 0];
}

export interface RandomKey { seed: number; offset: number }

export function splitSeed(where: string, seed: number): [number, number] {
  if (!Number.isFinite(seed) || !Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new Error(`${where}: seed must be a finite non-negative integer, got ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Raw 32-bit draws for elements [0, n). */
export function philoxBits(seed: number, offset: number, n: number, where = 'random'): Uint32Array {
  const [k0, k1] = splitSeed(where, seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i += 4) {
    const ctr = offset + i / 4;
    const b = philox4x32(ctr >>> 0, Math.floor(ctr / 2 ** 32) >>> 0, 0, 0, k0, k1);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = b[j];
  }
  return out;
}

export const NORMAL_TABLE_BITS = 12;
export const NORMAL_FIXED_BITS = 20;

/** Φ⁻¹ (Acklam's rational approximation refined by one Halley step: double-precision accurate). */
function invNormalCdf(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5, r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement with erfc.
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function erfc(x: number): number {
  // Numerical Recipes erfc (Chebyshev), relative error < 1.2e-7 — then refined by Halley above.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

let normalTable: Int32Array | undefined;
/** 4097 fixed-point quantiles Φ⁻¹((j + 0.5) / 4097) · 2²⁰, j = 0…4096. */
export function normalQuantileTable(): Int32Array {
  if (!normalTable) {
    const n = (1 << NORMAL_TABLE_BITS) + 1;
    normalTable = new Int32Array(n);
    for (let j = 0; j < n; j++) normalTable[j] = Math.round(invNormalCdf((j + 0.5) / n) * (1 << NORMAL_FIXED_BITS));
  }
  return normalTable;
}

/** Bits → uniform [0, 1) exactly as the WGSL does it. */
export function bitsToUniform(bits: number): number {
  return (bits >>> 8) * 2 ** -24;
}

/** Bits → standard normal (as a double that is exactly an f32 value before scaling). */
export function bitsToNormalFixed(bits: number): number {
  const table = normalQuantileTable();
  const idx = bits >>> (32 - NORMAL_TABLE_BITS);
  const frac = (bits >>> 8) & 0xfff;
  const lo = table[idx], hi = table[idx + 1];
  // Arithmetic shift of a product that fits in 31 bits, exactly as i32 math in WGSL.
  const v = lo + ((Math.imul(hi - lo, frac)) >> 12);
  return v; // fixed point, divide by 2^20
}

/** Standard normal times `std` plus `mean`, rounded to f32 exactly as the WGSL does (mul, then add). */
export function normalFromBits(bits: number, mean: number, std: number): number {
  const z = bitsToNormalFixed(bits) / (1 << NORMAL_FIXED_BITS);
  return Math.fround(Math.fround(z * Math.fround(std)) + Math.fround(mean));
}

/**
 * Host-side seeded random numbers for data (shuffling, augmentation, the synthetic generator). Uses the
 * engine's Philox4x32-10 with the stream id in the second counter word, so every (seed, stream) pair is
 * an independent, reproducible sequence and a resumed run can recreate any epoch's draws from scratch.
 */
import { bitsToUniform, normalFromBits, philox4x32, splitSeed } from '../core/random.js';

export class HostRng {
  private block: [number, number, number, number] = [0, 0, 0, 0];
  private lane = 4;
  private counter = 0;
  private readonly k0: number;
  private readonly k1: number;

  constructor(seed: number, private readonly stream: number) {
    [this.k0, this.k1] = splitSeed('HostRng', seed);
  }

  /** Uniform 32-bit integer. */
  u32(): number {
    if (this.lane === 4) {
      this.block = philox4x32(this.counter >>> 0, this.stream >>> 0, Math.floor(this.stream / 2 ** 32) >>> 0, 0, this.k0, this.k1);
      this.counter++;
      this.lane = 0;
    }
    return this.block[this.lane++];
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return bitsToUniform(this.u32());
  }
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }
  /** Uniform integer in [0, n); 2⁻²⁴ resolution is ample for dataset sizes. */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
  /** Standard normal (the engine's table-based inverse CDF). */
  normal(): number {
    return normalFromBits(this.u32(), 0, 1);
  }
}

/** A seeded permutation of [0, n) (Fisher–Yates). */
export function permutation(n: number, seed: number, stream: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new HostRng(seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

/** Host RNG stream of `subsetIndices` (distinct from the loader's shuffle and augmentation streams). */
export const STREAM_SUBSET = 0x53554253; // 'SUBS'

/**
 * The training subset of `--train-subset n --subset-seed seed`: the first `n` entries of
 * `permutation(count, seed, STREAM_SUBSET)`, sorted ascending (the subset keeps the files' order; each
 * epoch's shuffle reorders it). The shuffle is the Fisher–Yates above: p = [0, 1, …, count−1]; for
 * i = count−1 down to 1: j = ⌊u·(i+1)⌋ with u = (x >>> 8)·2⁻²⁴ and x the next 32-bit word of
 * Philox4x32-10 keyed by (seed mod 2³², ⌊seed/2³²⌋), counter (block, STREAM_SUBSET, 0, 0), words taken in
 * order 0…3 per block; swap p[i], p[j]. It depends only on (count, n, seed), so every run, and MNIST and
 * Fashion-MNIST (both 60,000 images), get the same indices. `scripts/torch_twin.py` reimplements it.
 */
export function subsetIndices(count: number, n: number, seed: number): Uint32Array {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`train subset: size must be a positive integer, got ${n}`);
  if (n > count) throw new Error(`train subset: ${n} images requested, the training set has only ${count}`);
  return permutation(count, seed, STREAM_SUBSET).slice(0, n).sort();
}

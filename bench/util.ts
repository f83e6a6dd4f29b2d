/**
 * Shared benchmark helpers: timing with warm-up and the median of N runs, and figure formatting.
 * Every timed function must wait for its own work (our `sync()`, tfjs `dataSync`/`data()`), so the
 * clock measures finished work, not recorded work.
 */

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  /** Every sample, in milliseconds per call, in the order measured. */
  samples: number[];
}

export interface TimeOptions {
  /** Untimed calls first (pipeline compilation, pool warm-up). Default 2. */
  warmup?: number;
  /** Timed samples; the median is reported. Default 5. */
  runs?: number;
  /** Calls per sample (amortizes submit/readback latency for fast ops). Default 1. */
  inner?: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Time `fn` (which must resolve only when its work is finished). */
export async function time(fn: () => Promise<void> | void, opts: TimeOptions = {}): Promise<Timing> {
  const { warmup = 2, runs = 5, inner = 1 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((performance.now() - t0) / inner);
  }
  return { ms: median(samples), samples };
}

export const gflops = (flop: number, ms: number): number => flop / ms / 1e6;
export const gbps = (bytes: number, ms: number): number => bytes / ms / 1e6;
export const fmtGflops = (flop: number, ms: number): string => `${gflops(flop, ms).toFixed(2)} GFLOP/s`;
export const fmtGbps = (bytes: number, ms: number): string => `${gbps(bytes, ms).toFixed(2)} GB/s`;
export const fmtMs = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

/** One row of a suite's result table (and of its JSON file). */
export interface Figure {
  /** What was measured, e.g. 'matmul 1024 ours'. */
  name: string;
  value: number;
  unit: string;
  /** Anything else worth keeping (ms, samples, variant, notes). */
  [extra: string]: unknown;
}

/** Print figures as an aligned table. */
export function printTable(title: string, figures: readonly Figure[]): void {
  const rows = figures.map((f) => [f.name, f.value.toFixed(f.value >= 100 ? 1 : 2), f.unit, typeof f.note === 'string' ? f.note : '']);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), 4));
  console.log(`\n== ${title} ==`);
  for (const r of rows) console.log(`  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])} ${r[2].padEnd(widths[2])}  ${r[3]}`);
}

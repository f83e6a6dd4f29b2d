/**
 * Shared benchmark helpers: timing with warm-up and the median of N runs, and figure formatting.
 * Every timed function must wait for its own work (our `sync()`, tfjs `dataSync`/`data()`), so the
 * clock measures finished work, not recorded work.
 */

export interface Timing {
  /** Median milliseconds per call (wall clock). */
  ms: number;
  /** Every sample, in milliseconds per call, in the order measured. */
  samples: number[];
  /**
   * Median CPU milliseconds per call used by this process, all threads (lavapipe's workers and
   * tfjs-wasm run in-process). On a CPU adapter shared with other processes this is far steadier
   * than the wall clock: it counts the work done, not the time spent waiting for a core.
   */
  cpuMs: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

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
  const samples: number[] = [], cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now(), c0 = cpuNow();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((performance.now() - t0) / inner);
    cpu.push((cpuNow() - c0) / inner);
  }
  return { ms: median(samples), samples, cpuMs: median(cpu) };
}

/**
 * Time several functions round-robin (a, b, c, a, b, c, ...) so a busy shared machine slows them
 * alike, and a ratio between them means something. Returns the median per name.
 */
export async function timeInterleaved(fns: Record<string, () => Promise<void> | void>, opts: TimeOptions = {}): Promise<Record<string, Timing>> {
  const { warmup = 1, runs = 5, inner = 1 } = opts;
  const names = Object.keys(fns);
  for (let i = 0; i < warmup; i++) for (const n of names) await fns[n]();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const t0 = performance.now(), c0 = cpuNow();
      for (let i = 0; i < inner; i++) await fns[n]();
      samples[n].push((performance.now() - t0) / inner);
      cpu[n].push((cpuNow() - c0) / inner);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { ms: median(samples[n]), samples: samples[n], cpuMs: median(cpu[n]) }]));
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
  const note = (f: Figure) => (typeof f.note === 'string' ? f.note : typeof f.cpuGflops === 'number' ? `(${f.cpuGflops.toFixed(2)} GFLOP per CPU-second)` : '');
  const rows = figures.map((f) => [f.name, f.value.toFixed(f.value >= 100 ? 1 : 2), f.unit, note(f)]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), 4));
  console.log(`\n== ${title} ==`);
  for (const r of rows) console.log(`  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])} ${r[2].padEnd(widths[2])}  ${r[3]}`);
}

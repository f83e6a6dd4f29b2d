/**
 * matmul fp32 at 256, 512, 1024 (square): GFLOP/s of ours (the adapter's default variant at 1024, the
 * other variants at 256 for reference, and the subgroup kernel at 1024 where the default is the
 * texture kernel, the default before it), of tfjs-webgpu on the same adapter and of tfjs-wasm, all in
 * this run, plus the adapter's arithmetic ceiling (shaders/fma_peak.wgsl: register FMAs only; the max
 * over a few dispatch shapes). The bar at 1024: ours ≥ 3× tfjs-webgpu and ≥ 50 % of the ceiling.
 */
import * as rj from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { recordFmaPeak, type FmaPeakShape } from '../src/kernels/webgpu/fma-peak.js';
import { defaultMatmulVariant, hasSubgroups8 } from '../src/kernels/webgpu/matmul.js';
import { planMatmul, type MatmulVariant } from '../src/kernels/matmul-plan.js';
import { engine } from '../src/tensor/engine.js';
import type { BenchContext } from './main.js';
import { useTf } from './peers.js';
import { gflops, time, timeInterleaved, type Figure } from './util.js';

const SIZES = [256, 512, 1024];
const runsFor = (n: number, quick: boolean) => (quick ? 1 : 5);

function gpu(): WebGPUBackend {
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/matmul: needs the WebGPU backend (rj.init())');
  return engine.backend as WebGPUBackend;
}

type Bench = { fn: () => Promise<void>; dispose: () => void };

/** Our matmul of two n×n randn matrices; each call waits for the device. */
function ours(n: number, variant: MatmulVariant): Bench {
  const b = gpu();
  const x = rj.randn([n, n], { seed: 1 }), y = rj.randn([n, n], { seed: 2 });
  return {
    fn: async () => {
      const c = rj.noGrad(() => rj.matmul(x, y, { variant }));
      await b.sync();
      c.dispose();
    },
    dispose: () => {
      x.dispose();
      y.dispose();
    },
  };
}

/** tfjs matMul on the given backend (selected here; keep it selected while timing); each call waits for the result's data. */
async function peer(name: 'webgpu' | 'wasm', n: number): Promise<Bench> {
  const tf = await useTf(name);
  const x = tf.randomNormal([n, n]), y = tf.randomNormal([n, n]);
  return {
    fn: async () => {
      const c = tf.matMul(x, y);
      await c.data();
      c.dispose();
    },
    dispose: () => tf.dispose([x, y]),
  };
}

/** The FMA ceiling: each shape timed alone (sync before and after), best GFLOP/s over shapes and runs. */
async function ceiling(quick: boolean): Promise<{ value: number; shape: FmaPeakShape; all: { shape: FmaPeakShape; gflops: number }[] }> {
  const b = gpu();
  const shapes: FmaPeakShape[] = [
    { chains: 4, wg: 64, groups: 64, iters: 4096 },
    { chains: 8, wg: 64, groups: 64, iters: 2048 },
    { chains: 4, wg: 256, groups: 32, iters: 4096 },
    { chains: 8, wg: 64, groups: 256, iters: 512 },
  ];
  const all: { shape: FmaPeakShape; gflops: number }[] = [];
  for (const s of shapes) {
    let flop = 0;
    const t = await time(async () => {
      flop = recordFmaPeak(b, s);
      await b.sync();
    }, { warmup: 1, runs: quick ? 2 : 5 });
    // Best sample, not median: the ceiling is what the adapter can do, and a shared machine only slows it.
    all.push({ shape: s, gflops: gflops(flop, Math.min(...t.samples)) });
  }
  await b.checkErrors();
  const best = all.reduce((p, c) => (c.gflops > p.gflops ? c : p));
  return { value: best.gflops, shape: best.shape, all };
}

export async function run(ctx: BenchContext): Promise<Figure[]> {
  const top = SIZES[SIZES.length - 1];
  const main = defaultMatmulVariant(gpu(), planMatmul('matmul', [top, top], [top, top], false, false));
  const others = (['texture', 'subgroup', 'register', 'tiled'] as MatmulVariant[]).filter((v) => v !== main && ((v !== 'subgroup' && v !== 'texture') || hasSubgroups8(gpu())));
  const figs: Figure[] = [];
  const peak0 = await ceiling(ctx.quick);
  figs.push({ name: 'fma ceiling (before)', value: peak0.value, unit: 'GFLOP/s', shapes: peak0.all });
  const at: Record<number, { ours: number; webgpu?: number }> = {};
  const ceilings = [peak0.value];
  let cpuCeiling = 0;
  const cpuAt: Record<string, number> = {};
  for (const n of SIZES) {
    const runs = runsFor(n, ctx.quick);
    const flop = 2 * n ** 3;
    // Ours and tfjs-webgpu (the bar's peer) are timed round-robin, so load from other processes
    // hits them alike; tfjs-wasm runs after (switching tfjs backends per call would move tensors).
    const benches: Record<string, Bench> = { [`rejuv (${main})`]: ours(n, main) };
    if (n === SIZES[0]) for (const v of others) benches[`rejuv (${v}, forced)`] = ours(n, v);
    if (n === top && main === 'texture') benches['rejuv (subgroup, forced)'] = ours(n, 'subgroup');
    if (!ctx.noPeers) benches['tfjs-webgpu'] = await peer('webgpu', n);
    let fmaFlop = 0;
    if (n === SIZES[SIZES.length - 1]) {
      // The ceiling kernel in the same rounds too (its best shape from the first measurement).
      benches['fma ceiling'] = { fn: async () => { fmaFlop = recordFmaPeak(gpu(), peak0.shape); await gpu().sync(); }, dispose: () => {} };
    }
    const times = await timeInterleaved(Object.fromEntries(Object.entries(benches).map(([k, v]) => [k, v.fn])), { warmup: 1, runs });
    for (const v of Object.values(benches)) v.dispose();
    if (!ctx.noPeers) {
      const wasm = await peer('wasm', n);
      times['tfjs-wasm'] = await time(wasm.fn, { warmup: 1, runs });
      wasm.dispose();
    }
    await gpu().checkErrors();
    for (const [name, t] of Object.entries(times)) {
      const f = name === 'fma ceiling' ? fmaFlop : flop;
      const label = name === 'fma ceiling' ? `fma ceiling (interleaved with matmul ${n})` : `matmul ${n} ${name}`;
      figs.push({ name: label, value: gflops(f, t.ms), unit: 'GFLOP/s', ms: t.ms, samples: t.samples, cpuMs: t.cpuMs, cpuGflops: gflops(f, t.cpuMs) });
    }
    if (times['fma ceiling']) {
      ceilings.push(gflops(fmaFlop, times['fma ceiling'].ms));
      cpuCeiling = gflops(fmaFlop, times['fma ceiling'].cpuMs);
    }
    for (const [name, t] of Object.entries(times)) cpuAt[`${n} ${name}`] = gflops(flop, t.cpuMs);
    at[n] = { ours: gflops(flop, times[`rejuv (${main})`].ms), webgpu: times['tfjs-webgpu'] ? gflops(flop, times['tfjs-webgpu'].ms) : undefined };
  }
  const peak1 = await ceiling(ctx.quick);
  figs.push({ name: 'fma ceiling (after)', value: peak1.value, unit: 'GFLOP/s', shapes: peak1.all });
  // The highest ceiling seen anywhere in the run: the conservative denominator.
  const peak = Math.max(...ceilings, peak1.value);
  const n = top;
  const at1 = at[n];
  figs.push({ name: `matmul ${n} ours / fma ceiling`, value: at1.ours / peak, unit: '×', note: at1.ours / peak >= 0.5 ? 'bar (≥ 0.5) met' : 'bar (≥ 0.5) NOT met' });
  if (at1.webgpu !== undefined) {
    const r = at1.ours / at1.webgpu;
    figs.push({ name: `matmul ${n} ours / tfjs-webgpu`, value: r, unit: '×', note: r >= 3 ? 'bar (≥ 3) met' : 'bar (≥ 3) NOT met' });
  }
  // The same two ratios from CPU time (work per CPU-second of this process): steadier on a shared machine.
  const cpuOurs = cpuAt[`${n} rejuv (${main})`];
  if (cpuCeiling > 0) figs.push({ name: `matmul ${n} ours / fma ceiling (CPU time)`, value: cpuOurs / cpuCeiling, unit: '×', note: 'per CPU-second, interleaved' });
  if (cpuAt[`${n} tfjs-webgpu`]) figs.push({ name: `matmul ${n} ours / tfjs-webgpu (CPU time)`, value: cpuOurs / cpuAt[`${n} tfjs-webgpu`], unit: '×', note: 'per CPU-second, interleaved' });
  return figs;
}

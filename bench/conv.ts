/**
 * conv2d benchmark: forward, input-gradient and weight-gradient GFLOP/s at ResNet-like shapes, ours vs
 * @tensorflow/tfjs-backend-webgpu on the same dawn.node adapter and vs @tensorflow/tfjs-backend-wasm,
 * all in the same run. tfjs runs its own kernels for the same three passes (Conv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter: what tf.grads of tf.conv2d executes) in its native NHWC.
 * Each pass does N·Co·OH·OW·Ci·KH·KW multiply-adds (2 FLOP each).
 */
import * as rj from '../src/index.js';
import { convGeom, convMacs, type ConvGeom } from '../src/kernels/conv-geom.js';
import { setConvVariant, type ConvVariant } from '../src/kernels/webgpu/conv.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { engine } from '../src/tensor/engine.js';
import { gflops, printTable, time, type Figure } from './util.js';

export interface ConvShape { name: string; n: number; ci: number; co: number; h: number; w: number; k: number; stride: number; pad: number }

export const SHAPES: ConvShape[] = [
  { name: 'N32 64→64 32×32 3×3', n: 32, ci: 64, co: 64, h: 32, w: 32, k: 3, stride: 1, pad: 1 },
  { name: 'N32 128→128 16×16 3×3', n: 32, ci: 128, co: 128, h: 16, w: 16, k: 3, stride: 1, pad: 1 },
  { name: 'N32 256→256 8×8 3×3', n: 32, ci: 256, co: 256, h: 8, w: 8, k: 3, stride: 1, pad: 1 },
  { name: 'N32 128→256 16×16 1×1', n: 32, ci: 128, co: 256, h: 16, w: 16, k: 1, stride: 1, pad: 0 },
  { name: 'N32 64→128 32×32 3×3 s2', n: 32, ci: 64, co: 128, h: 32, w: 32, k: 3, stride: 2, pad: 1 },
];

const PASSES = ['fwd', 'dgrad', 'wgrad'] as const;
type Pass = (typeof PASSES)[number];

export interface ConvBenchContext {
  /** Fewer timed runs (CI smoke). */
  quick?: boolean;
  /** Skip the tfjs peers. */
  noPeers?: boolean;
  /** Only these shapes (by index into SHAPES). */
  shapes?: number[];
  /** Our kernel variant; default: chosen by adapter. */
  variant?: ConvVariant;
}

const geomOf = (s: ConvShape): ConvGeom => convGeom('bench', [s.n, s.ci, s.h, s.w], [s.co, s.ci, s.k, s.k], { stride: s.stride, padding: s.pad });

async function ensureNodeGpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  // tfjs-webgpu finds WebGPU through navigator.gpu; give it (and us) the same dawn.node instance.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const name = 'webgpu';
  const mod = await import(/* @vite-ignore */ name);
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

async function ours(s: ConvShape, runs: number, variant?: ConvVariant): Promise<Record<Pass, number>> {
  const b = engine.backend as WebGPUBackend;
  setConvVariant(variant ?? null);
  const g = geomOf(s);
  const x = rj.randn([s.n, s.ci, s.h, s.w], { seed: 1 });
  const w = rj.randn([s.co, s.ci, s.k, s.k], { seed: 2, std: 0.05 });
  const bias = rj.randn([s.co], { seed: 3 });
  const dy = rj.randn([s.n, s.co, g.oh, g.ow], { seed: 4 });
  const fns: Record<Pass, () => rj.Tensor> = {
    fwd: () => rj.conv2d(x, w, bias, { stride: s.stride, padding: s.pad }),
    dgrad: () => rj.conv2dInputGrad(dy, w, g),
    wgrad: () => rj.conv2dWeightGrad(dy, x, g),
  };
  const out = {} as Record<Pass, number>;
  for (const p of PASSES) {
    const t = await time(async () => {
      const y = rj.noGrad(fns[p]);
      await b.sync();
      y.dispose();
    }, { warmup: 1, runs });
    out[p] = t.ms;
  }
  for (const t of [x, w, bias, dy]) t.dispose();
  setConvVariant(null);
  return out;
}

type Tf = typeof import('@tensorflow/tfjs-core');
type AttrMap = import('@tensorflow/tfjs-core').NamedAttrMap;

async function peer(tf: Tf, s: ConvShape, runs: number): Promise<Record<Pass, number>> {
  const g = geomOf(s);
  const x = tf.randomNormal([s.n, s.h, s.w, s.ci]) as import('@tensorflow/tfjs-core').Tensor4D;
  const f = tf.randomNormal([s.k, s.k, s.ci, s.co], 0, 0.05) as import('@tensorflow/tfjs-core').Tensor4D;
  const dy = tf.randomNormal([s.n, g.oh, g.ow, s.co]) as import('@tensorflow/tfjs-core').Tensor4D;
  const conv = { strides: s.stride, pad: s.pad, dataFormat: 'NHWC' as const, dimRoundingMode: undefined };
  const fns: Record<Pass, () => import('@tensorflow/tfjs-core').Tensor> = {
    fwd: () => tf.conv2d(x, f, s.stride, s.pad),
    dgrad: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...conv, inputShape: x.shape } as unknown as AttrMap) as import('@tensorflow/tfjs-core').Tensor,
    wgrad: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: f.shape } as unknown as AttrMap) as import('@tensorflow/tfjs-core').Tensor,
  };
  const out = {} as Record<Pass, number>;
  for (const p of PASSES) {
    const t = await time(async () => {
      const y = fns[p]();
      await y.data();
      y.dispose();
    }, { warmup: 1, runs });
    out[p] = t.ms;
  }
  tf.dispose([x, f, dy]);
  return out;
}

function figures(lib: string, s: ConvShape, ms: Record<Pass, number>, extra: Record<string, unknown> = {}): Figure[] {
  const flop = 2 * convMacs(geomOf(s));
  const rows: Figure[] = PASSES.map((p) => ({ name: `conv ${s.name} ${p} ${lib}`, value: gflops(flop, ms[p]), unit: 'GFLOP/s', ms: ms[p], ...extra }));
  const total = ms.fwd + ms.dgrad + ms.wgrad;
  rows.push({ name: `conv ${s.name} fwd+bwd ${lib}`, value: gflops(3 * flop, total), unit: 'GFLOP/s', ms: total, ...extra });
  return rows;
}

/** The suite: returns one figure per (shape, pass, library) plus fwd+bwd totals and our ratios. */
export async function run(ctx: ConvBenchContext = {}): Promise<Figure[]> {
  const runs = ctx.quick ? 1 : 3;
  const shapes = ctx.shapes ? ctx.shapes.map((i) => SHAPES[i]) : SHAPES;
  await ensureNodeGpu();
  const ownBackend = engine.backend === null;
  if (ownBackend) await rj.init();
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/conv: needs the WebGPU backend');
  const info = rj.deviceInfo();
  const variant = ctx.variant ?? (info.isSoftware ? 'register' : 'tiled');
  const all: Figure[] = [];
  const mine = new Map<ConvShape, Record<Pass, number>>();
  for (const s of shapes) {
    const ms = await ours(s, runs, variant);
    mine.set(s, ms);
    all.push(...figures(`rejuv(${variant})`, s, ms, { variant, adapter: info.description }));
  }
  if (!ctx.noPeers) {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    await import('@tensorflow/tfjs-backend-wasm');
    for (const backendName of ['webgpu', 'wasm'] as const) {
      if (!(await tf.setBackend(backendName))) throw new Error(`bench/conv: tfjs backend '${backendName}' failed to initialize`);
      await tf.ready();
      for (const s of shapes) {
        const ms = await peer(tf, s, runs);
        all.push(...figures(`tfjs-${backendName}`, s, ms));
        const m = mine.get(s)!;
        const ratio = (ms.fwd + ms.dgrad + ms.wgrad) / (m.fwd + m.dgrad + m.wgrad);
        all.push({ name: `conv ${s.name} fwd+bwd speedup vs tfjs-${backendName}`, value: ratio, unit: '×', note: backendName === 'webgpu' ? (ratio >= 3 ? 'bar (≥3×) met' : 'bar (≥3×) NOT met') : '' });
      }
    }
  }
  printTable(`conv2d (${info.description || info.vendor}, ${variant} kernels)`, all);
  if (ownBackend) rj.close();
  return all;
}

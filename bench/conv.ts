/**
 * conv2d benchmark: forward, input-gradient and weight-gradient GFLOP/s at ResNet-like shapes, ours vs
 * @tensorflow/tfjs-backend-webgpu on the same dawn.node adapter and vs @tensorflow/tfjs-backend-wasm,
 * all in the same run. tfjs runs its own kernels for the same three passes (Conv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter: what tf.grads of tf.conv2d executes) in its native NHWC.
 * Each pass does N·Co·OH·OW·Ci·KH·KW multiply-adds (2 FLOP each).
 */
import * as rj from '../src/index.js';
import { convGeom, convMacs, type ConvGeom } from '../src/core/conv-geom.js';
import { setConvVariant, variantFor, type ConvVariant } from '../src/kernels/webgpu/conv.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { engine } from '../src/tensor/engine.js';
import type { BenchContext } from './main.js';
import { setupNodeGpu, useTf, type Tf } from './peers.js';
import { gflops, time, type Figure } from './util.js';

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

/** The harness's context; `shapes` and `variant` are for tuning runs. */
export interface ConvBenchContext extends Partial<BenchContext> {
  /** Only these shapes (by index into SHAPES). */
  shapes?: number[];
  /** Our kernel variant; default: chosen by adapter. */
  variant?: ConvVariant;
}

const geomOf = (s: ConvShape): ConvGeom => convGeom('bench', [s.n, s.ci, s.h, s.w], [s.co, s.ci, s.k, s.k], { stride: s.stride, padding: s.pad });

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
      await b.sync({ pace: `conv ${JSON.stringify(g)} ${p}` });
      y.dispose();
    }, { warmup: 1, runs });
    out[p] = t.ms;
  }
  for (const t of [x, w, bias, dy]) t.dispose();
  setConvVariant(null);
  return out;
}

type AttrMap = import('@tensorflow/tfjs-core').NamedAttrMap;

const TF_KERNEL: Record<Pass, string> = { fwd: 'Conv2D', dgrad: 'Conv2DBackpropInput', wgrad: 'Conv2DBackpropFilter' };

/** Milliseconds per pass; a pass whose kernel the tfjs backend lacks (wasm has no filter gradient) is absent. */
async function peer(tf: Tf, s: ConvShape, runs: number): Promise<Partial<Record<Pass, number>>> {
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
  const out: Partial<Record<Pass, number>> = {};
  for (const p of PASSES) {
    if (!tf.getKernel(TF_KERNEL[p], tf.getBackend())) continue;
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

function figures(lib: string, s: ConvShape, ms: Partial<Record<Pass, number>>, extra: Record<string, unknown> = {}): Figure[] {
  const flop = 2 * convMacs(geomOf(s));
  const rows: Figure[] = [];
  for (const p of PASSES) {
    const t = ms[p];
    if (t === undefined) rows.push({ name: `conv ${s.name} ${p} ${lib}`, value: NaN, unit: 'GFLOP/s', note: `no ${TF_KERNEL[p]} kernel in ${lib}` });
    else rows.push({ name: `conv ${s.name} ${p} ${lib}`, value: gflops(flop, t), unit: 'GFLOP/s', ms: t, ...extra });
  }
  const total = totalMs(ms);
  if (total !== null) rows.push({ name: `conv ${s.name} fwd+bwd ${lib}`, value: gflops(3 * flop, total), unit: 'GFLOP/s', ms: total, ...extra });
  return rows;
}

const totalMs = (ms: Partial<Record<Pass, number>>): number | null =>
  ms.fwd !== undefined && ms.dgrad !== undefined && ms.wgrad !== undefined ? ms.fwd + ms.dgrad + ms.wgrad : null;

/** The suite: returns one figure per (shape, pass, library) plus fwd+bwd totals and our ratios. */
export async function run(ctx: ConvBenchContext = {}): Promise<Figure[]> {
  const runs = ctx.quick ? 1 : 3;
  const shapes = ctx.shapes ? ctx.shapes.map((i) => SHAPES[i]) : SHAPES;
  await setupNodeGpu();
  const ownBackend = engine.backend === null;
  if (ownBackend) await rj.init();
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/conv: needs the WebGPU backend');
  const info = rj.deviceInfo();
  const variant = ctx.variant ?? variantFor(engine.backend as WebGPUBackend);
  const all: Figure[] = [];
  const mine = new Map<ConvShape, Record<Pass, number>>();
  for (const s of shapes) {
    const ms = await ours(s, runs, variant);
    mine.set(s, ms);
    all.push(...figures(`rejuv(${variant})`, s, ms, { variant, adapter: info.description }));
    if (variant === 'texture') {
      // The kernels the texture paths replace, in the same run: what they gain (1.0 where the
      // texture path is not taken, e.g. a stride-2 input gradient).
      const sg = await ours(s, runs, 'subgroup');
      all.push(...figures('rejuv(subgroup)', s, sg, { variant: 'subgroup', adapter: info.description }));
      for (const p of PASSES) all.push({ name: `conv ${s.name} ${p} texture speedup vs subgroup`, value: sg[p] / ms[p], unit: '×' });
    }
  }
  if (!ctx.noPeers) {
    for (const backendName of ['webgpu', 'wasm'] as const) {
      const tf = await useTf(backendName);
      for (const s of shapes) {
        const ms = await peer(tf, s, runs);
        all.push(...figures(`tfjs-${backendName}`, s, ms));
        const m = mine.get(s)!;
        const theirs = totalMs(ms);
        if (theirs === null) {
          // Compare the passes the peer has (fwd + dgrad for tfjs-wasm).
          const both = PASSES.filter((p) => ms[p] !== undefined);
          const r = both.reduce((a, p) => a + ms[p]!, 0) / both.reduce((a, p) => a + m[p], 0);
          all.push({ name: `conv ${s.name} ${both.join('+')} speedup vs tfjs-${backendName}`, value: r, unit: '×' });
          continue;
        }
        const ratio = theirs / (m.fwd + m.dgrad + m.wgrad);
        all.push({ name: `conv ${s.name} fwd+bwd speedup vs tfjs-${backendName}`, value: ratio, unit: '×', note: backendName === 'webgpu' ? (ratio >= 3 ? 'bar (≥3×) met' : 'bar (≥3×) NOT met') : '' });
      }
    }
  }
  if (ownBackend) rj.close();
  return all;
}

/**
 * Whole training step of a small VGG from the zoo, in images/s: forward, cross-entropy, backward and
 * the fused SGD-momentum update, with the step's one readback (the loss). Peers: the same network in
 * tfjs (bench/tf-vgg.ts: same layers, shapes, batch, loss and optimizer, trained by tfjs' own autograd)
 * on tfjs-backend-webgpu (same dawn.node adapter) and on tfjs-backend-wasm, in the same run.
 * Bar on lavapipe: ours ≥ 3× tfjs-webgpu.
 *
 * Ours and each peer alternate step by step (ours, peer, ours, peer, ...) so a busy shared machine
 * slows both alike; each ratio uses only the samples taken alongside that peer. All three start from
 * the same weights (ours, transposed to NHWC) and train on the same batch, so their loss trajectories
 * must agree: a figure reports the largest difference.
 *
 * Then memory: after the warm-up, N more of our steps (500; 50 with --quick) record min/max of live
 * bytes, live tensors, pooled and allocated bytes at rest, and each step's peak live bytes
 * (`memory().peakBytes` after `resetPeakBytes()`).
 *
 *   npm run bench -- vgg-step   [--quick] [--no-peers]
 */
import * as rj from '../src/index.js';
import { VGG_CFGS } from '../src/nn/models/vgg.js';
import type { ZooModel } from '../src/nn/graph.js';
import { engine } from '../src/tensor/engine.js';
import type { BenchContext } from './main.js';
import { useTf, type Tf } from './peers.js';
import { buildTfVgg, registerTfGradients, type VggInit } from './tf-vgg.js';
import { median, type Figure } from './util.js';
import type { HostBatch } from '../src/data/loader.js';
import { forwardLossOf, trainStep } from '../src/train/step.js';

/** vgg_mini at half width (8, 8, M, 16, 16, M, 32, 32 → GAP → 10) on CIFAR-shaped input. */
const ARCH = 'vgg_mini';
const WIDTH = 0.5;
const BATCH = 32;
const IMAGE = [3, 32, 32] as const;
const CLASSES = 10;
const LR = 0.05;
const MOMENTUM = 0.9;
const NAME = `${ARCH}×${WIDTH} ${IMAGE.join('×')} batch ${BATCH}`;

type Step = () => Promise<number>;

interface Ours {
  model: ZooModel;
  step: Step;
  dispose(): void;
}

function makeOurs(): Ours {
  rj.manualSeed(0);
  const model = rj.createModel(ARCH, { widthMultiplier: WIDTH, inChannels: IMAGE[0], inputSize: IMAGE[1], numClasses: CLASSES });
  const opt = new rj.optim.SGD(model, { lr: LR, momentum: MOMENTUM });
  const x = rj.randn([BATCH, ...IMAGE], { seed: 1 });
  const y = rj.tensor(Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES), [BATCH], { dtype: 'int32' });
  // The trainer's step (src/train/step.ts) on a host copy of the batch, uploaded every step as in training.
  let host: HostBatch | null = null;
  const fwd = forwardLossOf(() => model, () => null);
  const step: Step = async () => {
    host ??= { x: (await x.toArray()) as Float32Array, y: (await y.toArray()) as Int32Array, shape: [BATCH, IMAGE[0], IMAGE[1], IMAGE[2]] };
    return (await trainStep(model, opt, fwd, null, host)).objective;
  };
  return { model, step, dispose: () => [opt, model, x, y].forEach((t) => t.dispose()) };
}

/** Our model's current weights in tfjs' layouts (conv OIHW → HWIO, Linear [out, in] → [in, out]). */
export async function snapshot(model: ZooModel): Promise<VggInit> {
  const units = model.convBnUnits();
  const fc = model.classifier;
  const ts = [...units.flatMap((u) => [u.conv.weight, u.bn.weight!, u.bn.bias!]), fc.weight, fc.bias!];
  const vals = (await rj.readAll(ts)) as Float32Array[];
  const convs = units.map((u, i) => {
    const [co, ci, kh, kw] = u.conv.weight.shape;
    const src = vals[3 * i];
    const filter = new Float32Array(src.length);
    for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) {
      filter[((h * kw + w) * ci + c) * co + o] = src[((o * ci + c) * kh + h) * kw + w];
    }
    return { filter, shape: [kh, kw, ci, co] as [number, number, number, number], gamma: vals[3 * i + 1], beta: vals[3 * i + 2] };
  });
  const [out, inp] = fc.weight.shape;
  const wSrc = vals[vals.length - 2];
  const weight = new Float32Array(wSrc.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) weight[i * out + o] = wSrc[o * inp + i];
  const cfg = VGG_CFGS[ARCH].map((c) => {
    if (c !== 'M' && typeof c !== 'number') throw new Error(`bench/vgg-step: the tfjs mirror handles widths and 'M' only, got '${c}' in ${ARCH}`);
    return c;
  });
  const bn = units[0].bn;
  return { cfg, convs, fc: { weight, shape: [inp, out], bias: vals[vals.length - 1] }, bnMomentum: bn.momentum, bnEps: bn.eps };
}

/** The same batch as ours, NHWC, with one-hot labels. */
async function tfBatch(tf: Tf): Promise<{ x: import('@tensorflow/tfjs-core').Tensor4D; labels: import('@tensorflow/tfjs-core').Tensor2D }> {
  const xs = rj.randn([BATCH, ...IMAGE], { seed: 1 });
  const [v] = (await rj.readAll([xs])) as Float32Array[];
  xs.dispose();
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(v, [BATCH, ...IMAGE]), [0, 2, 3, 1])) as import('@tensorflow/tfjs-core').Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES), 'int32'), CLASSES) as import('@tensorflow/tfjs-core').Tensor2D;
  return { x, labels };
}

interface Paired {
  ours: number[];
  peer: number[];
  peerLosses: number[];
}

/** Warm both, then alternate timed steps. Every peer step's loss is kept (its trajectory). */
async function paired(ours: Step, peer: Step, warmup: number, runs: number): Promise<Paired> {
  const peerLosses: number[] = [];
  const timed = async (f: Step, into: number[], losses?: number[]) => {
    const t0 = performance.now();
    const l = await f();
    into.push(performance.now() - t0);
    losses?.push(l);
  };
  const r: Paired = { ours: [], peer: [], peerLosses };
  const discard: number[] = [];
  for (let i = 0; i < warmup; i++) {
    await timed(ours, discard);
    await timed(peer, discard, peerLosses);
  }
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first, so neither always follows the other's cache/pool state.
    const order: [Step, number[], number[] | undefined][] = [[ours, r.ours, undefined], [peer, r.peer, peerLosses]];
    if (i % 2) order.reverse();
    for (const [f, into, losses] of order) await timed(f, into, losses);
  }
  return r;
}

const ips = (ms: number) => (BATCH * 1000) / ms;
const MB = (b: number) => b / 2 ** 20;

async function memoryRun(step: Step, steps: number): Promise<Figure[]> {
  const keys = ['liveBytes', 'liveTensors', 'pooledBytes', 'allocatedBytes', 'peakBytes'] as const;
  const lo = Object.fromEntries(keys.map((k) => [k, Infinity])) as Record<(typeof keys)[number], number>;
  const hi = Object.fromEntries(keys.map((k) => [k, -Infinity])) as Record<(typeof keys)[number], number>;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    rj.resetPeakBytes();
    await step();
    const m = rj.memory();
    for (const k of keys) {
      lo[k] = Math.min(lo[k], m[k]);
      hi[k] = Math.max(hi[k], m[k]);
    }
  }
  const ms = (performance.now() - t0) / steps;
  const steady = (k: (typeof keys)[number]) => (lo[k] === hi[k] ? 'constant' : `VARIES: min ${lo[k]}, max ${hi[k]}`);
  const row = (k: (typeof keys)[number], label: string, bytes: boolean): Figure => ({
    name: `memory over ${steps} steps: ${label}`, value: bytes ? MB(hi[k]) : hi[k], unit: bytes ? 'MiB' : 'tensors', min: lo[k], max: hi[k], note: steady(k),
  });
  return [
    { name: `ours ${NAME}, ${steps} steps back to back`, value: ips(ms), unit: 'images/s', ms },
    row('liveBytes', 'live bytes after a step', true),
    row('liveTensors', 'live tensors after a step', false),
    row('pooledBytes', 'pooled bytes after a step', true),
    row('allocatedBytes', 'allocated device bytes', true),
    { ...row('peakBytes', 'peak live bytes within a step', true), note: `${steady('peakBytes')}; ${MB(hi.peakBytes - hi.liveBytes).toFixed(2)} MiB above rest` },
  ];
}

export async function run(ctx: BenchContext): Promise<Figure[]> {
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/vgg-step: needs the WebGPU backend (rj.init() first)');
  const warmup = ctx.quick ? 1 : 2;
  const runs = ctx.quick ? 3 : 7;
  const ours = makeOurs();
  const init = await snapshot(ours.model);
  const all: Figure[] = [];
  const ourLosses: number[] = [];
  const loggedStep: Step = async () => {
    const l = await ours.step();
    ourLosses.push(l);
    return l;
  };

  if (ctx.noPeers) {
    const s: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      await loggedStep();
      if (i >= warmup) s.push(performance.now() - t0);
    }
    all.push({ name: `ours ${NAME}`, value: ips(median(s)), unit: 'images/s', ms: median(s), samples: s });
  } else {
    const trajectories: Record<string, number[]> = {};
    for (const backendName of ['webgpu', 'wasm'] as const) {
      const tf = await useTf(backendName);
      await registerTfGradients(tf);
      const net = buildTfVgg(tf, init, { lr: LR, momentum: MOMENTUM, filterGradShim: backendName === 'wasm' });
      const { x, labels } = await tfBatch(tf);
      // Our trajectory is taken in the first pairing only; later steps continue from there.
      const first = ourLosses.length === 0;
      const r = await paired(first ? loggedStep : ours.step, () => net.step(x, labels), warmup, runs);
      trajectories[`tfjs-${backendName}`] = r.peerLosses;
      net.dispose();
      tf.dispose([x, labels]);
      const [mo, mp] = [median(r.ours), median(r.peer)];
      const lib = `tfjs-${backendName}`;
      const shim = backendName === 'wasm' ? ' (filter gradient composed: wasm has no Conv2DBackpropFilter)' : '';
      all.push(
        { name: `ours ${NAME} (alongside ${lib})`, value: ips(mo), unit: 'images/s', ms: mo, samples: r.ours },
        { name: `${lib} ${NAME}`, value: ips(mp), unit: 'images/s', ms: mp, samples: r.peer, note: shim.trim() },
        {
          name: `speedup vs ${lib}`, value: mp / mo, unit: '×',
          note: backendName === 'webgpu' ? (mp / mo >= 3 ? 'bar (≥3×) met' : 'bar (≥3×) NOT met') : '',
        },
      );
    }
    // Same init, same batch, same optimizer: the losses of step 1..k must agree across libraries. The
    // zoo's N(0, 0.01²) classifier keeps the loss near ln 10 at first, so the difference is measured
    // against how far the loss moved (a wrong gradient would move it differently).
    const k = Math.min(ourLosses.length, ...Object.values(trajectories).map((t) => t.length));
    const moved = Math.abs(ourLosses[0] - ourLosses[k - 1]);
    for (const [lib, t] of Object.entries(trajectories)) {
      let worst = 0;
      for (let i = 0; i < k; i++) worst = Math.max(worst, Math.abs(t[i] - ourLosses[i]));
      const rel = worst / moved;
      all.push({
        name: `loss trajectory vs ${lib}, ${k} steps: max |Δ| / loss change`, value: 100 * rel, unit: '%',
        maxAbsDiff: worst, ours: ourLosses.slice(0, k), peer: t.slice(0, k),
        note: `max |Δ| ${worst.toExponential(1)}; ours ${ourLosses[0].toFixed(5)} → ${ourLosses[k - 1].toFixed(5)}, ${lib} ${t[0].toFixed(5)} → ${t[k - 1].toFixed(5)}${rel <= 0.01 ? '' : ' — DISAGREE'}`,
      });
    }
  }

  all.push(...(await memoryRun(ours.step, ctx.quick ? 50 : 500)));
  ours.dispose();
  return all;
}

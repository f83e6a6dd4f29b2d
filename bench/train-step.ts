/**
 * The training step the experiments pay for, in images/s: the miniature VGG of docs/method.md §13.1 (`vgg_mini` ×1:
 * 16, 16, M, 32, 32, M, 64, 64, GAP, Linear 64→10) on 1×28×28 MNIST-shaped input, batch 64, SGD
 * momentum 0.9, weight decay 1e-4, lr 0.05, with the step's one readback. Timed in the same run:
 * - PyTorch CPU (Debian's python3-torch through bench/torch_step.py, 2 threads, the same layers,
 *   init and optimizer), alternating with ours step by step; skipped with a message without torch;
 * - tfjs-webgpu (same dawn.node adapter) and tfjs-wasm (bench/tf-vgg.ts; no weight decay there);
 * - our NR monitoring step (λ·sign(γ) fused into the update, the γ-statistics reduction and its
 *   counts in the readback) and our post-surgery step (Scheme A, two heads; half of every layer's
 *   γ zeroed, then rejuvenated back to the budget);
 * - the FMA ceiling (shaders/fma_peak.wgsl) in the same run: the step's GFLOP/s as a fraction of it.
 * Bars: ≥ 0.15× PyTorch CPU images/s (same run).
 *
 *   npm run bench -- train-step   [--quick] [--no-peers]
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as rj from '../src/index.js';
import { recordFmaPeak, type FmaPeakShape } from '../src/kernels/webgpu/fma-peak.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { syntheticStep, type StepKind } from '../src/cli/profile.js';
import { engine } from '../src/tensor/engine.js';
import type { BenchContext } from './main.js';
import { useTf } from './peers.js';
import { buildTfVgg, registerTfGradients } from './tf-vgg.js';
import { snapshot } from './vgg-step.js';
import { gflops, median, time, type Figure } from './util.js';

const ARCH = 'vgg_mini';
const BATCH = 64;
const IMAGE = [1, 28, 28] as const;
const NAME = `${ARCH}×1 ${IMAGE.join('×')} batch ${BATCH}`;
/** Forward multiply-adds per image of vgg_mini ×1 at 1×28×28 (convs and classifier); a step is ~3× forward. */
const FORWARD_MACS = 28 * 28 * (9 * 1 * 16 + 9 * 16 * 16) + 14 * 14 * (9 * 16 * 32 + 9 * 32 * 32) + 7 * 7 * (9 * 32 * 64 + 9 * 64 * 64) + 64 * 10;
const STEP_FLOP = 3 * 2 * FORWARD_MACS * BATCH;

type Step = () => Promise<number>;
const gpu = () => engine.backend as WebGPUBackend;
const ips = (ms: number) => (BATCH * 1000) / ms;

const stepOf = (kind: StepKind) => syntheticStep({ model: ARCH, width: 1, batchSize: BATCH, input: IMAGE, classes: 10, kind });

/** PyTorch CPU through bench/torch_step.py, or null (with the reason) where Debian's torch is missing. */
async function torchPeer(): Promise<{ step: Step; version: string; close(): void } | string> {
  const py = '/usr/bin/python3';
  const script = join(process.cwd(), 'bench', 'torch_step.py');
  if (!existsSync(py) || !existsSync(script)) return `skipped: ${existsSync(py) ? script : py} not found`;
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return "skipped: Debian's python3-torch is not installed (apt-get install python3-torch)";
  const child: ChildProcessWithoutNullStreams = spawn(py, [script, ARCH, '1', String(IMAGE[0]), String(IMAGE[1]), String(BATCH), '2'], { stdio: 'pipe' });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error('bench/torch_step.py exited early');
    return r.value as string;
  };
  const ready = await next();
  if (!ready.startsWith('ready')) throw new Error(`bench/torch_step.py: ${ready}`);
  const step: Step = async () => {
    child.stdin.write('step\n');
    const reply = await next();
    const loss = Number(reply.split(' ')[1]);
    if (!Number.isFinite(loss)) throw new Error(`bench/torch_step.py: ${reply}`);
    return loss;
  };
  return { step, version: ready.split(' ')[1], close: () => { child.stdin.write('quit\n'); child.stdin.end(); } };
}

/** Alternate a and b (who goes first alternates too); wall-clock samples of each. */
async function alternate(a: Step, b: Step, warmup: number, runs: number): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const sa: number[] = [], sb: number[] = [];
  for (let i = 0; i < runs; i++) {
    const order: [Step, number[]][] = i % 2 ? [[b, sb], [a, sa]] : [[a, sa], [b, sb]];
    for (const [f, into] of order) {
      const t0 = performance.now();
      await f();
      into.push(performance.now() - t0);
    }
  }
  return [sa, sb];
}

async function fmaCeiling(quick: boolean): Promise<number> {
  const s: FmaPeakShape = { chains: 4, wg: 64, groups: 64, iters: 4 * 4096 };
  let flop = 0;
  const t = await time(async () => {
    flop = recordFmaPeak(gpu(), s);
    await gpu().sync({ pace: 'fma' });
  }, { warmup: 1, runs: quick ? 3 : 7 });
  return gflops(flop, median(t.samples));
}

export async function run(ctx: BenchContext): Promise<Figure[]> {
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/train-step: needs the WebGPU backend (rj.init() first)');
  const warmup = ctx.quick ? 1 : 3;
  const runs = ctx.quick ? 4 : 12;
  const figs: Figure[] = [];
  const ours = await stepOf('plain');
  const ceil0 = await fmaCeiling(ctx.quick);

  // PyTorch CPU, alternating.
  const torch = ctx.noPeers ? 'skipped (--no-peers)' : await torchPeer();
  let oursMs: number;
  if (typeof torch === 'string') {
    const t = await time(async () => void (await ours.step()), { warmup, runs });
    oursMs = t.ms;
    figs.push({ name: `ours ${NAME}`, value: ips(t.ms), unit: 'images/s', ms: t.ms, samples: t.samples });
    figs.push({ name: 'PyTorch CPU (2 threads)', value: 0, unit: 'images/s', note: torch });
  } else {
    // PyTorch alone first (Node idle between its steps), then alternating: alternating slows PyTorch
    // (24–26 → ~30 ms per step measured, more after the tfjs peers ran), which flatters the same-run ratio.
    // Ours alone likewise (PyTorch's OpenMP threads spin for a while after each of its steps, which
    // slows ours in the alternation). Alone against alone is the clean ratio.
    const alone = (await time(async () => void (await torch.step()), { warmup, runs })).samples;
    const oursAlone = (await time(async () => void (await ours.step()), { warmup, runs })).samples;
    const [so, sp] = await alternate(ours.step, torch.step, warmup, runs);
    torch.close();
    oursMs = median(so);
    const pt = median(sp);
    const pa = median(alone);
    figs.push({ name: `ours ${NAME} (alongside PyTorch)`, value: ips(oursMs), unit: 'images/s', ms: oursMs, samples: so });
    figs.push({ name: `PyTorch ${torch.version} CPU, 2 threads, ${NAME}`, value: ips(pt), unit: 'images/s', ms: pt, samples: sp });
    const r = pt / oursMs;
    figs.push({ name: 'ours / PyTorch CPU (images/s, same run)', value: r, unit: '×', note: r >= 0.15 ? 'bar (≥ 0.15×) met' : 'bar (≥ 0.15×) NOT met' });
    const oa = median(oursAlone);
    figs.push({ name: `PyTorch alone (Node idle), ${NAME}`, value: ips(pa), unit: 'images/s', ms: pa, samples: alone });
    figs.push({ name: `ours alone (PyTorch idle), ${NAME}`, value: ips(oa), unit: 'images/s', ms: oa, samples: oursAlone });
    figs.push({ name: 'ours alone / PyTorch alone', value: pa / oa, unit: '×', note: `each undisturbed by the other; ${pa / oa >= 0.15 ? 'bar (≥ 0.15×) met' : 'bar (≥ 0.15×) NOT met'}` });
  }

  // tfjs peers (same init, same batch; no weight decay in the mirror).
  if (!ctx.noPeers) {
    for (const name of ['webgpu', 'wasm'] as const) {
      const tf = await useTf(name);
      await registerTfGradients(tf);
      const init = await snapshot(ours.model);
      const net = buildTfVgg(tf, init, { lr: 0.05, momentum: 0.9, filterGradShim: name === 'wasm' });
      const xs = rj.randn([BATCH, ...IMAGE], { seed: 1 });
      const [v] = (await rj.readAll([xs])) as Float32Array[];
      xs.dispose();
      const x = tf.tidy(() => tf.transpose(tf.tensor4d(v, [BATCH, ...IMAGE]), [0, 2, 3, 1])) as import('@tensorflow/tfjs-core').Tensor4D;
      const labels = tf.oneHot(tf.tensor1d(Int32Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10) as import('@tensorflow/tfjs-core').Tensor2D;
      const [so, sp] = await alternate(ours.step, () => net.step(x, labels), ctx.quick ? 1 : 2, ctx.quick ? 3 : 6);
      net.dispose();
      tf.dispose([x, labels]);
      figs.push({ name: `tfjs-${name} ${NAME}`, value: ips(median(sp)), unit: 'images/s', ms: median(sp), samples: sp });
      figs.push({ name: `ours / tfjs-${name}`, value: median(sp) / median(so), unit: '×', oursMs: median(so) });
    }
  }

  // NR monitoring and post-surgery steps, each alternating with the plain step.
  for (const surgery of [false, true]) {
    const nr = await stepOf(surgery ? 'post-surgery' : 'nr');
    // A longer warm-up: a new network's readbacks are paced once the pacer has learned its step
    // (src/kernels/webgpu/pacer.ts), which takes a few steps.
    const [sp, sn] = await alternate(ours.step, nr.step, ctx.quick ? warmup : 12, runs);
    nr.dispose();
    const label = surgery ? 'NR post-surgery step (Scheme A)' : 'NR monitoring step';
    figs.push({ name: `${label}, ${NAME}`, value: ips(median(sn)), unit: 'images/s', ms: median(sn), samples: sn, note: surgery ? nr.what : 'λ·sign(γ) fused into SGD, γ statistics each step, counts in the readback' });
    figs.push({ name: `${label} / plain step (time)`, value: median(sn) / median(sp), unit: '×', plainMs: median(sp), note: surgery ? (median(sn) <= median(sp) ? 'bar (≤ 1×) met' : 'bar (≤ 1×) NOT met') : '' });
  }

  const ceil1 = await fmaCeiling(ctx.quick);
  const ceiling = Math.max(ceil0, ceil1);
  const stepGflops = gflops(STEP_FLOP, oursMs);
  figs.push({ name: 'FMA ceiling (median, before / after, highest taken)', value: ceiling, unit: 'GFLOP/s', before: ceil0, after: ceil1 });
  figs.push({ name: `ours step GFLOP/s (${(STEP_FLOP / 1e6).toFixed(0)} MFLOP per step)`, value: stepGflops, unit: 'GFLOP/s' });
  figs.push({ name: 'ours step / FMA ceiling', value: stepGflops / ceiling, unit: '×' });
  ours.dispose();
  await gpu().checkErrors();
  return figs;
}

/**
 * Batch-norm benchmark: training-mode forward and forward+backward at ResNet-like shapes, ours vs
 * @tensorflow/tfjs-backend-webgpu on the same dawn.node adapter (and tfjs-backend-wasm), same run.
 *
 * GB/s counts the minimal traffic of each pass, the same for every library: forward reads x and
 * writes y (2·4 bytes per element); backward reads x and dy and writes dx (3·4 bytes per element).
 * Per-channel vectors are negligible. tfjs runs tf.moments + tf.batchNorm in its native NHWC, and the
 * training-mode backward (through the batch statistics, as ours) written in tfjs ops.
 *
 *   npm run bench -- bn   [--quick] [--no-peers]
 */
import * as rj from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { engine } from '../src/tensor/engine.js';
import type { BenchContext } from './main.js';
import { useTf, type Tf } from './peers.js';
import { gbps, time, type Figure } from './util.js';

export interface BnShape { name: string; n: number; c: number; h: number; w: number }

export const SHAPES: BnShape[] = [
  { name: 'N32 C64 32×32', n: 32, c: 64, h: 32, w: 32 },
  { name: 'N32 C128 16×16', n: 32, c: 128, h: 16, w: 16 },
  { name: 'N32 C256 8×8', n: 32, c: 256, h: 8, w: 8 },
];

type Pass = 'fwd' | 'fwd+bwd';
const bytesOf = (s: BnShape, p: Pass) => s.n * s.c * s.h * s.w * 4 * (p === 'fwd' ? 2 : 5);

async function ours(s: BnShape, runs: number): Promise<Record<Pass, number>> {
  const b = engine.backend as WebGPUBackend;
  const shape = [s.n, s.c, s.h, s.w];
  const x = rj.randn(shape, { seed: 1, requiresGrad: true });
  const dy = rj.randn(shape, { seed: 2 });
  const w = rj.ones([s.c], { requiresGrad: true }), bias = rj.zeros([s.c], { requiresGrad: true });
  const rm = rj.zeros([s.c]), rv = rj.ones([s.c]);
  const fwd = await time(async () => {
    const y = rj.noGrad(() => rj.batchNorm(x, rm, rv, w, bias, { training: true }));
    await b.sync();
    y.dispose();
  }, { warmup: 1, runs });
  const both = await time(async () => {
    rj.tidy(() => rj.batchNorm(x, rm, rv, w, bias, { training: true }).backward(dy));
    await b.sync();
    x.grad = null; w.grad = null; bias.grad = null;
  }, { warmup: 1, runs });
  for (const t of [x, dy, w, bias, rm, rv]) t.dispose();
  return { fwd: fwd.ms, 'fwd+bwd': both.ms };
}

type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type T1 = import('@tensorflow/tfjs-core').Tensor1D;

async function peer(tf: Tf, s: BnShape, runs: number): Promise<Record<Pass, number>> {
  const x = tf.randomNormal([s.n, s.h, s.w, s.c]) as T4;
  const dy = tf.randomNormal([s.n, s.h, s.w, s.c]) as T4;
  const scale = tf.ones([s.c]) as T1, offset = tf.zeros([s.c]) as T1;
  const f = (xx: T4, sc: T1, of: T1) => {
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    return tf.batchNorm(xx, mean, variance, of, sc, 1e-5);
  };
  const fwd = await time(async () => {
    const y = tf.tidy(() => f(x, scale, offset));
    await y.data();
    y.dispose();
  }, { warmup: 1, runs });
  // tfjs-core's Node build registers no gradient functions (tf.grads fails on Reshape), so the backward
  // is written in tfjs ops: the same formula tfjs' FusedBatchNorm and moments gradients compose.
  const m = s.n * s.h * s.w;
  const both = await time(async () => {
    const gs = tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const y = tf.batchNorm(x, mean, variance, offset, scale, 1e-5);
      const invstd = tf.rsqrt(tf.add(variance, 1e-5));
      const xhat = tf.mul(tf.sub(x, mean), invstd);
      const dbias = tf.sum(dy, [0, 1, 2]);
      const dscale = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
      const dx = tf.mul(tf.mul(scale, invstd), tf.sub(tf.sub(dy, tf.div(dbias, m)), tf.mul(xhat, tf.div(dscale, m))));
      return [y, dx, dscale, dbias];
    });
    await Promise.all(gs.map((g) => g.data()));
    tf.dispose(gs);
  }, { warmup: 1, runs });
  tf.dispose([x, dy, scale, offset]);
  return { fwd: fwd.ms, 'fwd+bwd': both.ms };
}

function figures(lib: string, s: BnShape, ms: Record<Pass, number>): Figure[] {
  return (['fwd', 'fwd+bwd'] as const).map((p) => ({ name: `batchNorm ${s.name} ${p} ${lib}`, value: gbps(bytesOf(s, p), ms[p]), unit: 'GB/s', ms: ms[p] }));
}

export async function run(ctx: BenchContext): Promise<Figure[]> {
  const runs = ctx.quick ? 1 : 3;
  if (engine.backend?.name !== 'webgpu') throw new Error('bench/bn: needs the WebGPU backend (rj.init() first)');
  const all: Figure[] = [];
  const mine = new Map<BnShape, Record<Pass, number>>();
  for (const s of SHAPES) {
    const ms = await ours(s, runs);
    mine.set(s, ms);
    all.push(...figures('rejuv', s, ms));
  }
  if (!ctx.noPeers) {
    for (const backendName of ['webgpu', 'wasm'] as const) {
      const tf = await useTf(backendName);
      for (const s of SHAPES) {
        const ms = await peer(tf, s, runs);
        all.push(...figures(`tfjs-${backendName}`, s, ms));
        const m = mine.get(s)!;
        for (const p of ['fwd', 'fwd+bwd'] as const) {
          all.push({ name: `batchNorm ${s.name} ${p} speedup vs tfjs-${backendName}`, value: ms[p] / m[p], unit: '×' });
        }
      }
    }
  }
  return all;
}

/**
 * The zoo's VGG (src/nn/models/vgg.ts) written in tfjs ops, for bench/vgg-step.ts: the same layers
 * (3×3 conv without bias → training-mode batch norm with running-statistics updates → ReLU, 2×2
 * max-pools, global average pooling, Linear), the same loss (softmax cross-entropy, mean) and the same
 * optimizer (SGD momentum 0.9, no weight decay), trained with `optimizer.minimize`, i.e. tfjs' own
 * autograd — a real training step, not a hand-written backward. NHWC, tfjs' native layout.
 *
 * Two things tfjs needs here:
 * - tfjs-core's Node build (dist/tf-core.node.js, what `import '@tensorflow/tfjs-core'` loads) registers
 *   no gradient functions; the full `@tensorflow/tfjs` package (not installed) would. So
 *   `registerTfGradients()` loads tfjs-core's own `dist/register_all_gradients.js` (ES module).
 *   Its relative path makes esbuild bundle it; that copy of the ops shares the engine and the
 *   gradient registry with the Node build through tfjs' global namespace (and tfjs' Tensor
 *   `instanceof` checks are duck-typed for exactly this case).
 * - tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so on wasm a conv's filter gradient
 *   would throw. `filterGradShim` gives the conv a custom gradient there: the input gradient is tfjs'
 *   own Conv2DBackpropInput kernel; the filter gradient is im2col from wasm kernels (pad, 9 slices,
 *   concat) and one matMul. On webgpu tfjs' native kernels run unchanged.
 */
import type * as TfTypes from '@tensorflow/tfjs-core';
import type { Tf } from './peers.js';

type T4 = TfTypes.Tensor4D;

let gradientsRegistered = false;

/** Register tfjs-core's gradient functions (idempotent). Call after tfjs-core itself is loaded. */
export async function registerTfGradients(tf: Tf): Promise<void> {
  if (gradientsRegistered) return;
  await import('../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js');
  // Prove it took: a conv's filter gradient needs the Conv2D gradient function. All-ones 3×3 input and
  // filter, 'same' padding: each tap sees 3 or 2 valid rows and columns, so the sum is (3+2+2)² = 49.
  const sum = tf.tidy(() => {
    const x = tf.ones([1, 3, 3, 1]) as T4;
    return tf.sum(tf.grad((w: TfTypes.Tensor) => tf.sum(tf.conv2d(x, w as T4, 1, 'same')))(tf.ones([3, 3, 1, 1])));
  });
  const probe = (await sum.data())[0];
  sum.dispose();
  if (probe !== 49) throw new Error(`bench/tf-vgg: tfjs gradient registration failed (Conv2D filter-gradient probe: expected 49, got ${probe})`);
  gradientsRegistered = true;
}

/** Initial values, taken from our model so both start from the same point. Conv filters HWIO, FC [in, out]. */
export interface VggInit {
  /** The zoo cfg: widths and 'M' (max-pool). */
  cfg: (number | 'M')[];
  convs: { filter: Float32Array; shape: [number, number, number, number]; gamma: Float32Array; beta: Float32Array }[];
  fc: { weight: Float32Array; shape: [number, number]; bias: Float32Array };
  bnMomentum: number;
  bnEps: number;
}

export interface TrainOptions {
  lr: number;
  momentum: number;
  /** Compose the conv filter gradient from other kernels (tfjs-wasm lacks Conv2DBackpropFilter). */
  filterGradShim: boolean;
}

/** dL/dfilter of a stride-1 'same' k×k conv as im2col + matMul: [N·H·W, k·k·Ci]ᵀ · [N·H·W, Co]. */
function filterGrad(tf: Tf, x: T4, dy: T4, k: number): TfTypes.Tensor {
  const [n, h, w, ci] = x.shape;
  const co = dy.shape[3];
  const p = (k - 1) / 2;
  const xp = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
  const cols: TfTypes.Tensor[] = [];
  for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) cols.push(tf.slice(xp, [0, kh, kw, 0], [n, h, w, ci]));
  const patches = tf.reshape(tf.concat(cols, 3), [n * h * w, k * k * ci]);
  return tf.reshape(tf.matMul(patches, tf.reshape(dy, [n * h * w, co]), true, false), [k, k, ci, co]);
}

function shimConv(tf: Tf): (x: T4, f: T4) => T4 {
  const g = tf.customGrad(((x: T4, f: T4, save: TfTypes.GradSaveFunc) => {
    save([x, f]);
    return {
      value: tf.conv2d(x, f, 1, 'same'),
      gradFunc: (dy: T4, saved: TfTypes.Tensor[]) => {
        const [xs, fs] = saved as [T4, T4];
        return [tf.conv2dTranspose(dy, fs, xs.shape, 1, 'same'), filterGrad(tf, xs, dy, fs.shape[0])];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  return (x, f) => g(x, f) as T4;
}

export interface TfVgg {
  /** One training step on (x NHWC, one-hot labels); resolves with the loss once the step has finished. */
  step(x: T4, labels: TfTypes.Tensor2D): Promise<number>;
  dispose(): void;
}

/** Build the tfjs VGG on the active tfjs backend. */
export function buildTfVgg(tf: Tf, init: VggInit, opts: TrainOptions): TfVgg {
  const convs = init.convs.map((c, i) => ({
    filter: tf.variable(tf.tensor4d(c.filter, c.shape), true, `conv${i}`),
    gamma: tf.variable(tf.tensor1d(c.gamma), true, `gamma${i}`),
    beta: tf.variable(tf.tensor1d(c.beta), true, `beta${i}`),
    runMean: tf.variable(tf.zeros([c.shape[3]]), false, `runMean${i}`),
    runVar: tf.variable(tf.ones([c.shape[3]]), false, `runVar${i}`),
  }));
  const fcW = tf.variable(tf.tensor2d(init.fc.weight, init.fc.shape), true, 'fcW');
  const fcB = tf.variable(tf.tensor1d(init.fc.bias), true, 'fcB');
  const trainable = [...convs.flatMap((c) => [c.filter, c.gamma, c.beta]), fcW, fcB];
  const optimizer = tf.train.momentum(opts.lr, opts.momentum);
  const conv = opts.filterGradShim ? shimConv(tf) : (x: T4, f: T4) => tf.conv2d(x, f, 1, 'same');
  const mom = init.bnMomentum;

  const loss = (x: T4, labels: TfTypes.Tensor2D): TfTypes.Scalar => {
    let h = x;
    let u = 0;
    for (const item of init.cfg) {
      if (item === 'M') {
        h = tf.maxPool(h, 2, 2, 'valid');
        continue;
      }
      const c = convs[u++];
      const z = conv(h, c.filter);
      const { mean, variance } = tf.moments(z, [0, 1, 2]);
      // Running statistics as torch (and ours) keep them: unbiased variance, momentum 0.1.
      const m = z.shape[0] * z.shape[1] * z.shape[2];
      c.runMean.assign(tf.add(tf.mul(c.runMean, 1 - mom), tf.mul(mean, mom)));
      c.runVar.assign(tf.add(tf.mul(c.runVar, 1 - mom), tf.mul(variance, (mom * m) / (m - 1))));
      h = tf.relu(tf.batchNorm(z, mean, variance, c.beta, c.gamma, init.bnEps)) as T4;
    }
    const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]), fcW), fcB);
    return tf.losses.softmaxCrossEntropy(labels, logits) as TfTypes.Scalar;
  };

  return {
    async step(x, labels) {
      const cost = optimizer.minimize(() => loss(x, labels), true, trainable);
      if (!cost) throw new Error('bench/tf-vgg: optimizer.minimize returned no cost');
      const v = (await cost.data())[0];
      cost.dispose();
      return v;
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...convs.flatMap((c) => [c.filter, c.gamma, c.beta, c.runMean, c.runVar]), fcW, fcB]);
    },
  };
}

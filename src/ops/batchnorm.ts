/**
 * Batch normalization (torch.nn.functional.batch_norm) over [N, C, ...] tensors, per channel.
 *
 * Training: batch statistics (shifted two-pass, exact when |mean| ≫ std), running statistics updated in
 * place with the unbiased variance, normalization with the biased one. Eval: the running statistics.
 * Backward: one per-channel reduction kernel (Σdy, Σdy·x̂) and one elementwise kernel for dx.
 */
import { runKernel, runKernelMulti } from '../tensor/dispatch.js';
import { record } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { copy } from './creation.js';
import { checkDType, checkTensor, wrap } from './util.js';

export interface BatchNormOptions {
  /** Batch statistics (and running-statistics update) when true; running statistics when false (default, as PyTorch's functional form). */
  training?: boolean;
  /** Running-average factor (default 0.1). PyTorch's `momentum=None` (cumulative average) is not supported. */
  momentum?: number;
  eps?: number;
  /** Apply ReLU to the output in the same kernel (relu(batchNorm(x)) without the intermediate). */
  relu?: boolean;
}

function checkChannelVector(op: string, t: Tensor | null, c: number, name: string): void {
  if (t === null) return;
  checkTensor(op, t, name);
  checkDType(op, t, 'float32', name);
  if (t.rank !== 1 || t.shape[0] !== c) fail(op, `${name} must have shape [${c}] (one value per channel), got ${fmtShape(t.shape)}`);
}

export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  const { training = false, momentum = 0.1, eps = 1e-5, relu = false } = opts;
  checkTensor(op, x);
  checkDType(op, x, 'float32');
  if (x.rank < 2) fail(op, `input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  checkChannelVector(op, runningMean, c, 'runningMean');
  checkChannelVector(op, runningVar, c, 'runningVar');
  checkChannelVector(op, weight, c, 'weight');
  checkChannelVector(op, bias, c, 'bias');
  if ((runningMean === null) !== (runningVar === null)) fail(op, 'runningMean and runningVar must be given together (or both null)');
  if ((weight === null) !== (bias === null)) fail(op, 'weight and bias must be given together (or both null: affine off)');
  if (!(eps > 0) || !Number.isFinite(eps)) fail(op, `eps must be a positive number, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) fail(op, `momentum must lie in [0, 1], got ${momentum}`);
  const m = x.size / c;
  if (training && m <= 1) fail(op, `expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  if (!training && runningMean === null) fail(op, 'eval mode (training: false) needs runningMean and runningVar');
  const affine = weight !== null;

  let mean: Tensor, stat: Tensor;
  if (training) {
    const running = runningMean ? [runningMean, runningVar!] : [];
    const [mu, invstd] = runKernelMulti('bnStats', [x, ...running], { momentum, eps });
    mean = wrap(op, mu);
    stat = wrap(op, invstd);
  } else if (engine.gradEnabled && (x.requiresGrad || weight?.requiresGrad || bias?.requiresGrad)) {
    // The backward pass must see the statistics used now, even if a training step updates the
    // running buffers in place before it runs: snapshot them (C values each).
    mean = copy(runningMean!);
    stat = copy(runningVar!);
  } else {
    mean = runningMean!;
    stat = runningVar!;
  }
  const fromVar = !training;
  const y = wrap(op, runKernel('bnApply', affine ? [x, mean, stat, weight, bias!] : [x, mean, stat], { eps, fromVar, affine, relu }));

  const inputs = affine ? [x, weight, bias!] : [x];
  const out = record(op, inputs, y, (dy) => {
    const wantW = affine && (weight.requiresGrad || bias!.requiresGrad);
    const needSums = training || wantW;
    // With a fused ReLU the output y masks dy (y > 0) inside both kernels.
    const mask = relu ? [y] : [];
    const sums = needSums ? runKernelMulti('bnBackwardReduce', [x, dy, mean, stat, ...mask], { eps, fromVar, relu }).map((d) => wrap(op, d)) : [];
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const ins = [x, dy, mean, stat, ...(affine ? [weight] : []), ...(training ? sums : []), ...mask];
      dx = wrap(op, runKernel('bnBackwardApply', ins, { eps, fromVar, affine, training, relu }));
    }
    if (!affine) {
      for (const s of sums) s.dispose();
      return [dx];
    }
    if (!wantW) for (const s of sums) s.dispose();
    // sums = [Σdy, Σdy·x̂] = [∂L/∂bias, ∂L/∂weight]
    return [dx, wantW ? sums[1] : null, wantW ? sums[0] : null];
  });
  // Without a backward pass to come (no grad needed, or noGrad), saved statistics die here.
  if (!out.node && mean !== runningMean) {
    mean.dispose();
    stat.dispose();
  }
  return out;
}

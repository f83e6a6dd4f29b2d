/**
 * Classification loss and metric: crossEntropy (torch.nn.functional.cross_entropy with mean reduction
 * and optional label smoothing) as fused log-softmax + NLL kernels, and accuracy computed on the device.
 *
 * Labels are int32 class indices in [0, K). They usually live on the device, so the WebGPU kernel
 * cannot throw: a row with an out-of-range label gets a NaN loss (and NaN gradients), which shows at
 * the step's one readback. The reference backend throws an error naming the row; `checkLabels`
 * validates labels on any backend with one readback. PyTorch's
 * ignore_index is not supported (−100 is out of range like any other negative label).
 */
import { runKernel, runKernelMulti } from '../tensor/dispatch.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDType, checkTensor, wrap } from './util.js';

export interface CrossEntropyOptions {
  /** ε in [0, 1]: the target mixes (1 − ε)·one-hot with ε·uniform (as PyTorch's label_smoothing). */
  labelSmoothing?: number;
}

function checkLogits(op: string, logits: Tensor, labels: Tensor): void {
  checkTensor(op, logits, 'logits');
  checkTensor(op, labels, 'labels');
  checkDType(op, logits, 'float32', 'logits');
  checkDType(op, labels, 'int32', 'labels');
  if (logits.rank !== 2) fail(op, `logits must be [N, K], got ${fmtShape(logits.shape)}`);
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) fail(op, `labels must be [${logits.shape[0]}] (one per row of logits ${fmtShape(logits.shape)}), got ${fmtShape(labels.shape)}`);
  if (logits.shape[0] === 0 || logits.shape[1] === 0) fail(op, `logits ${fmtShape(logits.shape)} are empty`);
}

/** Mean cross-entropy of `logits` [N, K] against int32 `labels` [N]; a scalar. */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkLogits(op, logits, labels);
  const labelSmoothing = opts.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) fail(op, `labelSmoothing must lie in [0, 1], got ${labelSmoothing}`);
  const [loss, lse] = runKernelMulti(op, [logits, labels], { labelSmoothing }).map((d) => wrap(op, d));
  record(op, [logits], loss, (g) => [wrap(op, runKernel('crossEntropyBackward', [logits, labels, lse, g], { labelSmoothing }))]);
  if (!loss.node) lse.dispose(); // no backward to come
  return loss;
}

/**
 * Validate labels against `numClasses` with one readback: for data pipelines to call once per dataset
 * (or in debugging), since the WebGPU loss kernel can only answer a bad label with NaN.
 */
export async function checkLabels(labels: Tensor, numClasses: number): Promise<void> {
  const op = 'checkLabels';
  checkTensor(op, labels, 'labels');
  checkDType(op, labels, 'int32', 'labels');
  const ys = await labels.toArray();
  for (let r = 0; r < ys.length; r++) {
    if (!(ys[r] >= 0 && ys[r] < numClasses)) fail(op, `label ${ys[r]} at index ${r} is outside [0, ${numClasses})`);
  }
}

/** Fraction of rows whose first argmax equals the label, as a float32 device scalar (no readback). */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  checkLogits('accuracy', logits, labels);
  return wrap('accuracy', runKernel('accuracy', [logits, labels], {}));
}

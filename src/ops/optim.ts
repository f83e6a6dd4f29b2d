/**
 * Optimizer update kernels: one fused, in-place dispatch per parameter. These are the numeric core of
 * the optimizer classes in src/nn/optim.ts; they take no part in autograd.
 *
 * `l1` adds l1·sign(p) to the gradient before anything else (sign(0) = 0): Neural Rejuvenation's
 * sparsity sub-gradient on batch-norm scales (docs/method.md §2.2). Leave it 0 for every other parameter.
 */
import { runKernelMulti } from '../tensor/dispatch.js';
import { fail, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/engine.js';
import { zeros } from './creation.js';
import { checkDType, checkTensor } from './util.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  l1?: number;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: decay the weights directly (p ← p·(1 − lr·wd)) instead of adding wd·p to the gradient. */
  decoupled?: boolean;
  /** The step number, counting from 1 (bias corrections use it). */
  step: number;
  l1?: number;
}

function checkState(op: string, param: Tensor, t: Tensor, name: string): void {
  checkTensor(op, t, name);
  checkDType(op, t, 'float32', name);
  if (!shapesEqual(t.shape, param.shape)) fail(op, `${name} must have the parameter's shape ${fmtShape(param.shape)}, got ${fmtShape(t.shape)}`);
}

function checkHyper(op: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!Number.isFinite(v)) fail(op, `${k} must be a finite number, got ${v}`);
  }
}

/**
 * torch.optim.SGD for one parameter, in place. With momentum ≠ 0 the momentum buffer is returned: pass
 * `null` on the first step (a buffer is created and set to the first gradient, undampened, as PyTorch
 * does) and the returned buffer on every later step. Without momentum it returns null.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, opts: SgdOptions): Tensor | null {
  const op = 'sgdUpdate';
  checkTensor(op, param, 'param');
  checkDType(op, param, 'float32', 'param');
  checkState(op, param, grad, 'grad');
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0, l1 = 0 } = opts;
  checkHyper(op, { lr, momentum, dampening, weightDecay, l1 });
  if (lr < 0 || momentum < 0 || weightDecay < 0 || l1 < 0) fail(op, `lr, momentum, weightDecay and l1 must be ≥ 0, got ${lr}, ${momentum}, ${weightDecay}, ${l1}`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) fail(op, `nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD), got momentum ${momentum}, dampening ${dampening}`);
  if (momentum === 0 && momentumBuf) fail(op, 'a momentum buffer was passed but momentum is 0');
  let buf: Tensor | null = null;
  const first = momentum !== 0 && momentumBuf === null;
  if (momentum !== 0) {
    if (momentumBuf) checkState(op, param, momentumBuf, 'momentum buffer');
    // keep(): the buffer is optimizer state and must outlive any tidy() the step runs in.
    buf = momentumBuf ?? keep(zeros(param.shape));
  }
  runKernelMulti(op, buf ? [grad, param, buf] : [grad, param], { lr, momentum, dampening, nesterov, weightDecay, l1, first });
  return buf;
}

/** torch.optim.Adam (decoupled: false) or AdamW (decoupled: true) for one parameter, in place. */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, opts: AdamOptions): void {
  const op = 'adamUpdate';
  checkTensor(op, param, 'param');
  checkDType(op, param, 'float32', 'param');
  checkState(op, param, grad, 'grad');
  checkState(op, param, m, 'first moment m');
  checkState(op, param, v, 'second moment v');
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false, step, l1 = 0 } = opts;
  checkHyper(op, { lr, beta1, beta2, eps, weightDecay, l1, step });
  if (!Number.isInteger(step) || step < 1) fail(op, `step counts from 1, got ${step}`);
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) fail(op, `betas must lie in [0, 1), got ${beta1}, ${beta2}`);
  if (lr < 0 || eps < 0 || weightDecay < 0 || l1 < 0) fail(op, `lr, eps, weightDecay and l1 must be ≥ 0, got ${lr}, ${eps}, ${weightDecay}, ${l1}`);
  runKernelMulti(op, [grad, param, m, v], { lr, beta1, beta2, eps, weightDecay, decoupled, step, l1 });
}

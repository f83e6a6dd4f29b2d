/**
 * `BatchNorm2d` as torch.nn.BatchNorm2d: parameters `weight` (γ) and `bias` (β), buffers
 * `running_mean`, `running_var` and `num_batches_tracked` (an int32 scalar). The running statistics
 * are updated in place by the batch-norm op; the batch counter is advanced on the host and written
 * to its tensor only when someone looks at the buffers (state dict), so a training step costs no
 * extra dispatch for it.
 */
import { full } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchNorm } from './functional.js';
import { Module } from './module.js';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  /** Learnable γ and β (default true). */
  affine?: boolean;
  /** Initial γ (default 1; the NR paper's VGGs use 0.5). */
  gamma?: number;
}

export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  private pendingBatches = 0;

  constructor(numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) fail('BatchNorm2d', `numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    this.registerParameter('weight', affine ? full([numFeatures], opts.gamma ?? 1) : null);
    this.registerParameter('bias', affine ? full([numFeatures], 0) : null);
    this.registerBuffer('running_mean', full([numFeatures], 0));
    this.registerBuffer('running_var', full([numFeatures], 1));
    this.registerBuffer('num_batches_tracked', full([], 0, { dtype: 'int32' }));
  }

  get weight(): Tensor | null {
    return this.paramOrNull('weight');
  }
  get bias(): Tensor | null {
    return this.paramOrNull('bias');
  }
  get runningMean(): Tensor {
    return this.buffer('running_mean');
  }
  get runningVar(): Tensor {
    return this.buffer('running_var');
  }

  /** `relu`: ReLU applied in the same kernel (Sequential fuses a BatchNorm2d followed by a ReLU this way). */
  forward(x: Tensor, opts: { relu?: boolean } = {}): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      fail('BatchNorm2d', `expected input [N, ${this.numFeatures}, H, W], got ${fmtShape(x.shape)}`);
    }
    if (this.training) this.pendingBatches++;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
      relu: opts.relu ?? false,
    });
  }

  protected override syncBuffers(): void {
    if (this.pendingBatches === 0) return;
    const k = this.pendingBatches;
    this.pendingBatches = 0;
    const next = noGrad(() => tidy(() => add(this.buffer('num_batches_tracked'), k)));
    this.registerBuffer('num_batches_tracked', next);
  }

  protected override afterLoad(name: string): void {
    if (name === 'num_batches_tracked') this.pendingBatches = 0;
  }

  override toString(): string {
    return `BatchNorm2d(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum})`;
  }
}

/** `Linear` as torch.nn.Linear: y = x·Wᵀ + b with `weight` [out, in] and optional `bias` [out]. */
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, matmul } from './functional.js';
import { defaultWeightAndBias } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  /** Initializers instead of PyTorch's default (the NR classifier is N(0, 0.01²), bias 0). */
  init?: { weight: (shape: readonly number[]) => Tensor; bias?: (shape: readonly number[]) => Tensor };
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [n, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) fail('Linear', `${n} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const hasBias = opts.bias ?? true;
    if (opts.init) {
      this.registerParameter('weight', opts.init.weight([outFeatures, inFeatures]));
      if (hasBias && !opts.init.bias) fail('Linear', 'init.bias is required when init.weight is given and bias is on');
      this.registerParameter('bias', hasBias ? opts.init.bias!([outFeatures]) : null);
    } else {
      const d = defaultWeightAndBias([outFeatures, inFeatures], hasBias);
      this.registerParameter('weight', d.weight);
      this.registerParameter('bias', d.bias);
    }
  }

  get weight(): Tensor {
    return this.param('weight');
  }
  get bias(): Tensor | null {
    return this.paramOrNull('bias');
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) fail('Linear', `expected input [N, ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    const y = matmul(x, this.weight, { transB: true });
    const b = this.bias;
    return b ? add(y, b) : y;
  }

  override toString(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}, bias=${this.bias !== null})`;
  }
}

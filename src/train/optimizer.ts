/**
 * A small compatibility face over `nn.SGD` for callers that want the trainer's optimizer in one line
 * (bench/nr.ts, web/session.ts): SGD over live parameter handles, the plugin's per-parameter extras
 * (NR's l1 on batch-norm scales) fused into each update, gradients dropped after the step. The update
 * itself is nn.SGD's (one fused `sgdUpdate` dispatch per parameter); the trainer uses nn.SGD directly.
 */
import type { ParamRef } from '../nn/module.js';
import { SGD, type UpdateExtras } from '../nn/optim.js';

export interface SgdConfig {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export class TrainerSGD {
  steps = 0;
  readonly sgd: SGD;

  constructor(params: ParamRef[], cfg: SgdConfig, extras?: UpdateExtras) {
    this.sgd = new SGD(params, { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay, nesterov: cfg.nesterov });
    if (extras) this.sgd.extras = extras;
  }

  get lr(): number {
    return this.sgd.paramGroups[0].lr;
  }
  set lr(v: number) {
    for (const g of this.sgd.paramGroups) g.lr = v;
  }

  /** Update every parameter that has a gradient, then drop the gradients. */
  step(): void {
    this.sgd.step();
    this.sgd.zeroGrad();
    this.steps++;
  }

  dispose(): void {
    this.sgd.dispose();
  }
}

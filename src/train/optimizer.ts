/**
 * The trainer's view of an optimizer: SGD with momentum over the model's live parameter handles (they
 * follow `loadStateDict` and surgery), one fused update dispatch per parameter (`sgdUpdate`, in place),
 * with per-parameter extras from the plugin (NR's l1 on batch-norm scales). Its state is the momentum
 * buffers, saved in checkpoints as `@optim/<param>/momentum_buffer`.
 */
import type { ParamRef } from '../nn/module.js';
import { sgdUpdate } from '../ops/optim.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SgdConfig {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export class TrainerSGD {
  lr: number;
  steps = 0;
  private readonly buffers = new Map<string, Tensor>();

  constructor(private readonly params: ParamRef[], private readonly cfg: SgdConfig, private readonly extras?: (name: string) => { l1?: number } | undefined) {
    this.lr = cfg.lr;
  }

  /** Update every parameter that has a gradient, then drop the gradients. */
  step(): void {
    for (const p of this.params) {
      const t = p.get();
      const g = t.grad;
      if (!g) continue;
      const l1 = this.extras?.(p.name)?.l1 ?? 0;
      const buf = sgdUpdate(t, g, this.buffers.get(p.name) ?? null, { lr: this.lr, momentum: this.cfg.momentum, weightDecay: this.cfg.weightDecay, nesterov: this.cfg.nesterov, l1 });
      if (buf) this.buffers.set(p.name, buf);
      t.grad = null;
    }
    this.steps++;
  }

  /** Slots for the checkpoint: [param name, slot name, tensor]. */
  state(): [string, string, Tensor][] {
    return [...this.buffers].map(([n, t]) => [n, 'momentum_buffer', t]);
  }

  /** Install saved momentum buffers (the optimizer takes ownership). */
  loadState(slots: Map<string, Map<string, Tensor>>, file: string): void {
    const names = new Set(this.params.map((p) => p.name));
    for (const [name, m] of slots) {
      if (!names.has(name)) fail('checkpoint', `${file}: optimizer state for unknown parameter '${name}'`);
      const buf = m.get('momentum_buffer');
      if (!buf || m.size !== 1) fail('checkpoint', `${file}: optimizer state of '${name}' must be exactly one momentum_buffer, got ${[...m.keys()].join(', ')}`);
      const p = this.params.find((q) => q.name === name)!.get();
      if (buf.shape.join() !== p.shape.join()) fail('checkpoint', `${file}: momentum buffer of '${name}' has shape [${buf.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
      this.buffers.get(name)?.dispose();
      this.buffers.set(name, buf);
    }
  }

  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}

/**
 * Epoch-based learning-rate schedules computed exactly as torch.optim.lr_scheduler (1.13) does:
 * recursively from each group's current lr (the "chainable" form), so the doubles match PyTorch's
 * bit for bit rather than only the closed form. Construction performs PyTorch's initial step
 * (epoch 0); call `step()` once at the end of every epoch.
 *
 * Neural Rejuvenation moves milestones during its monitoring phase (`shiftMilestones`, docs/method.md §10)
 * and hands the schedule a fresh optimizer after surgery (`rebind`).
 */
import { fail } from '../core/errors.js';
import type { Optimizer } from './optim.js';

type AnyOptimizer = Optimizer<{ lr: number }>;

export interface SchedulerState {
  kind: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLrs: number[];
  [k: string]: unknown;
}

export abstract class LRScheduler {
  lastEpoch = 0;
  baseLrs: number[];
  protected optimizer: AnyOptimizer;

  protected constructor(readonly kind: string, optimizer: AnyOptimizer) {
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** New lrs for `lastEpoch` from the groups' current ones. */
  protected abstract nextLrs(): number[];
  protected abstract extraState(): Record<string, unknown>;
  protected abstract loadExtra(s: SchedulerState): void;

  /** Advance one epoch and write the new lrs into the optimizer. */
  step(): void {
    this.lastEpoch++;
    const lrs = this.nextLrs();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]));
  }

  /** The lrs the optimizer uses now. */
  lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Attach a new optimizer (NR's fresh one after surgery); its lrs become the base lrs. */
  rebind(optimizer: AnyOptimizer): void {
    if (optimizer.paramGroups.length !== this.baseLrs.length) {
      fail(this.kind, `new optimizer has ${optimizer.paramGroups.length} parameter groups, the schedule ${this.baseLrs.length}`);
    }
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerState {
    return { kind: this.kind, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLrs: this.lastLr(), ...this.extraState() };
  }

  /** Restore the schedule and write its current lrs into the optimizer. */
  loadStateDict(s: SchedulerState): void {
    if (s?.kind !== this.kind) fail(`${this.kind}.loadStateDict`, `state is for '${s?.kind}', this is '${this.kind}'`);
    const n = this.optimizer.paramGroups.length;
    if (s.baseLrs.length !== n || s.lastLrs.length !== n) fail(`${this.kind}.loadStateDict`, `state has ${s.baseLrs.length} groups, optimizer ${n}`);
    if (!Number.isInteger(s.lastEpoch) || s.lastEpoch < 0) fail(`${this.kind}.loadStateDict`, `lastEpoch must be an integer ≥ 0, got ${s.lastEpoch}`);
    this.lastEpoch = s.lastEpoch;
    this.baseLrs = [...s.baseLrs];
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = s.lastLrs[i]));
    this.loadExtra(s);
  }
}

/** lr ← lr·γ at each milestone epoch (a repeated milestone decays once per repetition, as PyTorch's Counter). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { milestones: readonly number[]; gamma?: number }) {
    super('MultiStepLR', optimizer);
    for (const m of opts.milestones) if (!Number.isInteger(m) || m < 0) fail('MultiStepLR', `milestones must be integers ≥ 0, got ${m}`);
    this.milestones = [...opts.milestones];
    this.gamma = opts.gamma ?? 0.1;
    if (!Number.isFinite(this.gamma) || this.gamma <= 0) fail('MultiStepLR', `gamma must be a positive number, got ${this.gamma}`);
  }

  /** Move every milestone `n` epochs later (NR's monitoring epochs). */
  shiftMilestones(n: number): void {
    this.milestones = this.milestones.map((m) => m + n);
  }

  protected nextLrs(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    const lrs = this.lastLr();
    return hits === 0 ? lrs : lrs.map((lr) => lr * this.gamma ** hits);
  }
  protected extraState(): Record<string, unknown> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }
  protected loadExtra(s: SchedulerState): void {
    if (!Array.isArray(s.milestones)) fail('MultiStepLR.loadStateDict', 'state lacks milestones');
    this.milestones = [...(s.milestones as number[])];
  }
}

/** Cosine annealing from the base lr to `etaMin` over `tMax` epochs (then back up, as PyTorch). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, opts: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer);
    if (!Number.isInteger(opts.tMax) || opts.tMax < 1) fail('CosineAnnealingLR', `tMax must be a positive integer, got ${opts.tMax}`);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch, T = this.tMax, eta = this.etaMin;
    const lrs = this.lastLr();
    // Python's % is non-negative for a positive divisor.
    const mod = (((e - 1 - T) % (2 * T)) + 2 * T) % (2 * T);
    if (mod === 0) return lrs.map((lr, i) => lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - eta) + eta);
  }
  protected extraState(): Record<string, unknown> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
  protected loadExtra(s: SchedulerState): void {
    if (s.tMax !== this.tMax || s.etaMin !== this.etaMin) {
      fail('CosineAnnealingLR.loadStateDict', `state has tMax ${String(s.tMax)}, etaMin ${String(s.etaMin)}; this schedule ${this.tMax}, ${this.etaMin}`);
    }
  }
}

/**
 * The closed form of the two schedules above: the lr of (0-based) epoch `epoch` from the base lr, as
 * PyTorch's `_get_closed_form_lr` (the stateful classes reach the same values by their recurrences, up
 * to the last bits). A pure function, so a resumed run needs no scheduler state; the trainer uses it
 * (src/train/config.ts `lrAt` adds NR's shift of the milestones, docs/method.md §10).
 */
export function scheduledLr(s: { kind: 'multistep'; lr: number; milestones: readonly number[]; gamma: number } | { kind: 'cosine'; lr: number; tMax: number; etaMin?: number }, epoch: number): number {
  if (s.kind === 'cosine') {
    const eta = s.etaMin ?? 0;
    return eta + ((s.lr - eta) * (1 + Math.cos((Math.PI * epoch) / s.tMax))) / 2;
  }
  return s.lr * s.gamma ** s.milestones.filter((m) => m <= epoch).length;
}


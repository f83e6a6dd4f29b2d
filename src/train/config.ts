/** A training run's configuration (what `rejuv train` parses) and its learning-rate schedule. */
import { scheduledLr } from '../nn/schedule.js';

export interface TrainConfig {
  model: string;
  /** Width multiplier of the model's default widths. */
  width: number;
  dataset: string;
  dataDir?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** Epoch indices (0-based, as torch's MultiStepLR) where the LR is multiplied by `gamma`. */
  milestones: number[];
  gamma: number;
  schedule: 'multistep' | 'cosine';
  seed: number;
  out: string;
  resume: boolean;
  /** Replace a run already in `out` (without it, and without `resume`, such a folder is refused). */
  overwrite?: boolean;
  trainLimit?: number;
  testLimit?: number;
  /** A seeded random subset of N training images (`--train-subset`; see `subsetIndices` in src/data/rng.ts). */
  trainSubset?: number;
  /** Seed of that subset (`--subset-seed`; set only with `trainSubset`). */
  subsetSeed?: number;
  /** Explicit width of every conv-BN unit in topological order (`--widths`); replaces `width`'s defaults. */
  widths?: number[];
  /** Options of plugins (the NR flags), as parsed by the CLI's extension table. */
  plugin?: Record<string, unknown>;
}

export const DEFAULT_CONFIG: Omit<TrainConfig, 'model' | 'dataset' | 'out'> = {
  width: 1, epochs: 10, batchSize: 64, lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: false,
  milestones: [], gamma: 0.1, schedule: 'multistep', seed: 0, resume: false,
};

/**
 * Why `milestones` cannot be a multistep schedule of `epochs` epochs, or null: each must be a whole epoch
 * index in 1 … epochs − 1 (0 would lower the LR before training starts; ≥ epochs never takes effect), in
 * increasing order without repeats.
 */
export function milestoneProblem(milestones: readonly number[], epochs: number): string | null {
  const bad = milestones.find((m) => !Number.isInteger(m) || m < 1 || m >= epochs);
  if (bad !== undefined) return `each milestone must be a whole epoch in 1…${epochs - 1} (the LR changes at the start of that 0-based epoch of ${epochs}), got ${bad}`;
  const i = milestones.findIndex((m, k) => k > 0 && m <= milestones[k - 1]);
  if (i > 0) return `milestones must increase, got ${milestones[i - 1]} then ${milestones[i]} (${milestones.join(',')})`;
  return null;
}

/** Milestones at 50 % and 75 % of the run (the paper's CIFAR recipe), for when none are given. */
export const defaultMilestones = (epochs: number): number[] => [Math.floor(epochs * 0.5), Math.floor(epochs * 0.75)].filter((m, i, a) => m > 0 && a.indexOf(m) === i);

/**
 * LR of (0-based) epoch `epoch`. `shift` epochs were added by a plugin (NR's monitoring epochs,
 * docs/method.md §10): from `shift` on the nominal schedule restarts, i.e. epoch e uses the nominal LR of e − shift,
 * which is the same as moving every milestone by `shift` and running `epochs + shift` epochs.
 * A pure function of its arguments, so a resumed run needs no scheduler state.
 */
export function lrAt(cfg: Pick<TrainConfig, 'lr' | 'milestones' | 'gamma' | 'schedule' | 'epochs'>, epoch: number, shift = 0): number {
  const e = epoch >= shift ? epoch - shift : epoch;
  return cfg.schedule === 'cosine'
    ? scheduledLr({ kind: 'cosine', lr: cfg.lr, tMax: cfg.epochs }, e)
    : scheduledLr({ kind: 'multistep', lr: cfg.lr, milestones: cfg.milestones, gamma: cfg.gamma }, e);
}

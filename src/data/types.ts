import { subsetIndices } from './rng.js';

/**
 * What a dataset is once loaded: raw images (uint8 pixels as stored on disk, or float32 for generated
 * data), int32 labels and the per-channel normalization the loader applies. Kept as host arrays: a
 * batch is normalized and uploaded only when it is about to train.
 */
export interface ImageSet {
  /** e.g. 'mnist/train'. */
  readonly name: string;
  /** Where it came from (file paths or 'synthetic(seed=…)'), for error messages and `inspect`. */
  readonly source: string;
  /** N×C×H×W, row-major. uint8 pixels are scaled by 1/255 before normalization. */
  readonly images: Uint8Array | Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly numClasses: number;
}

export interface Dataset {
  readonly name: string;
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** Per-channel mean and std in [0, 1] pixel units (uint8) or raw units (float32). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** 'cifar': the paper's training augmentation (4-px zero-padded random crop + horizontal flip). */
  readonly augment: 'none' | 'cifar';
}

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The first `limit` samples (deterministic; both MNISTs and CIFAR are stored in no class order). */
export function subset(set: ImageSet, limit: number | undefined): ImageSet {
  if (limit === undefined || limit >= set.count) return set;
  if (!Number.isInteger(limit) || limit <= 0) throw new Error(`subset(${set.name}): limit must be a positive integer, got ${limit}`);
  const per = set.channels * set.height * set.width;
  return { ...set, name: `${set.name}[:${limit}]`, images: set.images.subarray(0, limit * per), labels: set.labels.subarray(0, limit), count: limit };
}

/** The images at `indices` (in that order), copied out of `set`. */
export function gather(set: ImageSet, indices: ArrayLike<number>, name: string): ImageSet {
  const per = set.channels * set.height * set.width;
  const images = set.images instanceof Uint8Array ? new Uint8Array(indices.length * per) : new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < set.count)) throw new Error(`gather(${set.name}): index ${i} out of range 0…${set.count - 1}`);
    images.set(set.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i];
  }
  return { ...set, name, images, labels, count: indices.length };
}

/** A seeded random subset of `n` samples (`subsetIndices`: same indices for the same count, n and seed). */
export function randomSubset(set: ImageSet, n: number, seed: number): ImageSet {
  return gather(set, subsetIndices(set.count, n, seed), `${set.name}[random ${n} of ${set.count}, seed ${seed}]`);
}

/**
 * Batches for one epoch: a seeded order (a pure function of seed and epoch, so a resumed run recreates
 * any epoch's order without saved state), normalization, and the paper's CIFAR augmentation. A batch is
 * prepared on the host as plain arrays; the trainer prepares batch i+1 while the device runs step i.
 *
 * Augmentation runs on the host: on this project's CPU-only WebGPU (lavapipe) the "device" is the same
 * two cores, so a crop/flip kernel would not free any time; it is a few µs per image here.
 */
import type { Dataset, ImageSet } from './types.js';
import { HostRng, permutation } from './rng.js';

export interface HostBatch {
  /** B×C×H×W, normalized. */
  x: Float32Array;
  y: Int32Array;
  shape: [number, number, number, number];
}

export interface EpochOptions {
  batchSize: number;
  /** Shuffle with this seed (training); omit for the stored order (evaluation). */
  seed?: number;
  epoch?: number;
  augment?: 'none' | 'cifar';
  /** Drop a final partial batch (default false). */
  dropLast?: boolean;
}

// Streams of the host RNG; distinct per purpose so adding one never shifts another.
const STREAM_SHUFFLE = 0x5348;
const STREAM_AUGMENT = 0x4147;

export class EpochBatches {
  readonly order: Uint32Array;
  readonly length: number;
  private readonly scale: number;

  constructor(readonly set: ImageSet, readonly norm: Pick<Dataset, 'mean' | 'std'>, readonly opts: EpochOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) throw new Error(`batches(${set.name}): batch size must be a positive integer, got ${opts.batchSize}`);
    if (norm.mean.length !== set.channels || norm.std.length !== set.channels) {
      throw new Error(`batches(${set.name}): normalization has ${norm.mean.length} means / ${norm.std.length} stds for ${set.channels} channels`);
    }
    const epoch = opts.epoch ?? 0;
    if (opts.seed === undefined) {
      this.order = new Uint32Array(set.count);
      for (let i = 0; i < set.count; i++) this.order[i] = i;
    } else {
      this.order = permutation(set.count, opts.seed, STREAM_SHUFFLE * 65536 + epoch);
    }
    this.length = opts.dropLast ? Math.floor(set.count / opts.batchSize) : Math.ceil(set.count / opts.batchSize);
    this.scale = set.images instanceof Uint8Array ? 1 / 255 : 1;
  }

  /** Batch i of this epoch (deterministic: the same batch every call). */
  prepare(i: number): HostBatch {
    const { set, opts } = this;
    const start = i * opts.batchSize;
    const b = Math.min(opts.batchSize, set.count - start);
    if (i < 0 || i >= this.length || b <= 0) throw new Error(`batches(${set.name}): batch ${i} out of range 0…${this.length - 1}`);
    const { channels: C, height: H, width: W } = set;
    const per = C * H * W;
    const x = new Float32Array(b * per);
    const y = new Int32Array(b);
    const rng = opts.augment === 'cifar' ? new HostRng(opts.seed ?? 0, STREAM_AUGMENT * 2 ** 32 + (opts.epoch ?? 0) * 65536 + i) : null;
    const mean = this.norm.mean, inv = this.norm.std.map((s) => 1 / s);
    for (let k = 0; k < b; k++) {
      const src = this.order[start + k];
      y[k] = set.labels[src];
      const img = set.images.subarray(src * per, (src + 1) * per);
      let dx = 0, dy = 0, flip = false;
      if (rng) {
        // RandomCrop(padding=4): offset of the crop window in the padded image, minus the padding.
        dy = rng.int(9) - 4;
        dx = rng.int(9) - 4;
        flip = rng.uniform() < 0.5;
      }
      for (let c = 0; c < C; c++) {
        // Zero padding is on raw pixels (as torchvision pads before ToTensor/Normalize).
        const pad = (0 - mean[c]) * inv[c];
        for (let h = 0; h < H; h++) {
          const sh = h + dy;
          for (let w = 0; w < W; w++) {
            const sw = (flip ? W - 1 - w : w) + dx;
            const o = k * per + (c * H + h) * W + w;
            x[o] = sh < 0 || sh >= H || sw < 0 || sw >= W ? pad : (img[(c * H + sh) * W + sw] * this.scale - mean[c]) * inv[c];
          }
        }
      }
    }
    return { x, y, shape: [b, C, H, W] };
  }
}

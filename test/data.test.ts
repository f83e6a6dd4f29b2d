import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EpochBatches, parseIdx, permutation, subsetIndices, syntheticDataset, upsampleBilinear } from '../src/data/index.js';
import { loadCifarDataset, loadDataset, loadIdxDataset } from '../src/data/files.js';
import { FASHION_DIR, HAVE_FASHION, fashionSkipNote } from './helpers/fashion.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function idx(dims: number[], data: ArrayLike<number>, typeByte = 8): Uint8Array {
  const b = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(b.buffer);
  b[2] = typeByte;
  b[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  b.set(Array.from(data), 4 + 4 * dims.length);
  return b;
}

function writeIdxDir(name: string, n: number, opts: { gz?: boolean; labels?: number[] } = {}): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const imgs = Array.from({ length: n * 4 * 5 }, (_, i) => (i * 7) % 256);
  const labels = opts.labels ?? Array.from({ length: n }, (_, i) => i % 10);
  const put = (f: string, b: Uint8Array) => writeFileSync(join(d, opts.gz ? `${f}.gz` : f), opts.gz ? gzipSync(b) : b);
  for (const split of ['train', 't10k']) {
    put(`${split}-images-idx3-ubyte`, idx([n, 4, 5], imgs));
    put(`${split}-labels-idx1-ubyte`, idx([labels.length], labels));
  }
  return d;
}

describe('IDX', () => {
  it('reads plain and gzipped directories identically', () => {
    const a = loadIdxDataset('mnist', writeIdxDir('plain', 6));
    const b = loadIdxDataset('fashion-mnist', writeIdxDir('gz', 6, { gz: true }));
    for (const d of [a, b]) {
      expect([d.train.count, d.train.channels, d.train.height, d.train.width]).toEqual([6, 1, 4, 5]);
      expect(Array.from(d.train.labels)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(d.train.images[3]).toBe(21);
    }
    expect(Array.from(a.test.images)).toEqual(Array.from(b.test.images));
  });
  it('names the file and the problem for bad data', () => {
    expect(() => parseIdx(idx([2], [1, 2], 0x0d), 'x.idx')).toThrow(/x\.idx: wrong magic number 0x00000d01/);
    expect(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0), 'y.idx')).toThrow(/y\.idx: wrong magic number 0x01020801/);
    expect(() => parseIdx(idx([3, 2, 2], [1, 2, 3]), 'z.idx')).toThrow(/z\.idx: truncated: dimensions \[3, 2, 2\] need 12 data bytes, the file has 3/);
    expect(() => parseIdx(idx([1], [1]).subarray(0, 6), 'h.idx')).toThrow(/h\.idx: truncated IDX header/);
    expect(() => parseIdx(idx([2, 2], [1, 2, 3, 4]), 'w.idx', 3)).toThrow(/w\.idx: wrong magic number 0x00000802: expected 3-dimensional images/);
    const bad = writeIdxDir('badlabel', 3, { labels: [0, 12, 1] });
    expect(() => loadIdxDataset('mnist', bad)).toThrow(/train-labels-idx1-ubyte: label out of range at index 1: 12 \(expected 0…9\)/);
    const mism = writeIdxDir('mismatch', 3, { labels: [0, 1] });
    expect(() => loadIdxDataset('mnist', mism)).toThrow(/train-labels-idx1-ubyte: image\/label count mismatch: 2 labels for 3 images/);
    const gz = writeIdxDir('cutgz', 3, { gz: true });
    const f = join(gz, 'train-images-idx3-ubyte.gz');
    writeFileSync(f, readFileSync(f).subarray(0, 20));
    expect(() => loadIdxDataset('mnist', gz)).toThrow(/train-images-idx3-ubyte\.gz: corrupt or truncated gzip/);
    expect(() => loadIdxDataset('mnist', join(dir, 'nowhere'))).toThrow(/none of train-images-idx3-ubyte/);
  });
  it('loads the embedded MNIST, with limits', () => {
    const m = loadDataset('mnist', { trainLimit: 100 });
    expect([m.train.count, m.test.count, m.train.height]).toEqual([100, 10000, 28]);
    expect(Array.from(m.train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]); // the well-known first labels
  });
  it.skipIf(!HAVE_FASHION)(`loads the system Fashion-MNIST, with limits${fashionSkipNote()}`, () => {
    const f = loadDataset('fashion-mnist', { trainLimit: 10, testLimit: 10 });
    expect([f.train.count, f.test.count]).toEqual([10, 10]);
    expect(Array.from(f.train.labels.subarray(0, 3))).toEqual([9, 0, 0]);
  });
});

describe('CIFAR binary', () => {
  const PIX = 3072;
  function cifarFile(name: string, labels: number[][], sub = 'c'): string {
    const d = join(dir, sub);
    mkdirSync(d, { recursive: true });
    const rec = labels[0].length + PIX;
    const b = new Uint8Array(labels.length * rec);
    labels.forEach((l, k) => {
      b.set(l, k * rec);
      for (let i = 0; i < PIX; i++) b[k * rec + l.length + i] = (k * 31 + i) % 256;
    });
    writeFileSync(join(d, name), b);
    return d;
  }
  it('reads CIFAR-10 and CIFAR-100 files in the exact format', () => {
    for (let i = 1; i <= 5; i++) cifarFile(`data_batch_${i}.bin`, [[i], [9]], 'c10');
    const d10 = cifarFile('test_batch.bin', [[3]], 'c10');
    const c10 = loadCifarDataset('cifar10', d10);
    expect([c10.train.count, c10.test.count, c10.train.channels, c10.train.height]).toEqual([10, 1, 3, 32]);
    expect(Array.from(c10.train.labels)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(c10.train.images[PIX + 5]).toBe((1 * 31 + 5) % 256); // record 1 of the first file, pixel 5 (CHW order kept)
    cifarFile('train.bin', [[4, 99], [19, 0]], 'c100');
    const d100 = cifarFile('test.bin', [[0, 42]], 'c100');
    const c100 = loadDataset('cifar100', { dataDir: d100 });
    expect(Array.from(c100.train.labels)).toEqual([99, 0]); // the fine label
    expect(c100.train.numClasses).toBe(100);
    expect(c100.augment).toBe('cifar');
  });
  it('rejects truncated files and bad labels with the file name', () => {
    const d = cifarFile('test.bin', [[0, 1]], 'c100bad');
    cifarFile('train.bin', [[0, 100]], 'c100bad');
    expect(() => loadCifarDataset('cifar100', d)).toThrow(/train\.bin: label out of range in record 0: 100 \(expected 0…99\)/);
    const t = join(d, 'train.bin');
    writeFileSync(t, new Uint8Array(3074 + 10));
    expect(() => loadCifarDataset('cifar100', d)).toThrow(/train\.bin: truncated or not cifar100 binary: 3084 bytes .* 10 bytes left over after 1 records/);
    expect(() => loadDataset('cifar10', {})).toThrow(/cifar10 needs --data-dir/);
    expect(() => loadCifarDataset('cifar10', d)).toThrow(/data_batch_1\.bin: missing cifar10 file/);
  });
});

describe('synthetic (docs/method.md §13.1)', () => {
  it('up-samples as PyTorch does (half-pixel centres)', () => {
    const up = upsampleBilinear(Float64Array.of(1, 2, 3, 4), 1, 2, 4);
    // torch.nn.functional.interpolate(t, size=4, mode='bilinear', align_corners=False)
    expect(Array.from(up)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });
  it('is deterministic per seed, differs across seeds and splits, and is learnable', () => {
    const a = syntheticDataset({ train: 400, test: 200 });
    const b = syntheticDataset({ train: 400, test: 200 });
    const c = syntheticDataset({ seed: 1, train: 50, test: 1 });
    // Byte comparisons: vitest's deep equality is slow on large typed arrays.
    const bytes = (x: Float32Array | Uint8Array | Int32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    expect(bytes(a.train.images).equals(bytes(b.train.images))).toBe(true);
    expect(bytes(a.train.labels).equals(bytes(b.train.labels))).toBe(true);
    expect(bytes(a.train.images.subarray(0, 50 * 768)).equals(bytes(c.train.images))).toBe(false);
    expect(bytes(a.train.images.subarray(0, 768)).equals(bytes(a.test.images.subarray(0, 768)))).toBe(false);
    expect([a.train.channels, a.train.height, a.train.width]).toEqual([3, 16, 16]);
    // Every class occurs, roughly uniformly.
    const counts = new Array(10).fill(0);
    for (const y of a.train.labels) counts[y]++;
    expect(Math.min(...counts)).toBeGreaterThan(20);
    // A prefix of a larger draw is the same data (limits generate less, not different, data).
    const big = syntheticDataset({ train: 450, test: 10 });
    expect(bytes(big.train.images.subarray(0, 400 * 768)).equals(bytes(a.train.images))).toBe(true);
    // Nearest class mean on train → clearly above chance on test: the classes carry signal.
    const per = 768, means = Array.from({ length: 10 }, () => new Float64Array(per));
    for (let k = 0; k < 400; k++) for (let i = 0; i < per; i++) means[a.train.labels[k]][i] += a.train.images[k * per + i] / counts[a.train.labels[k]];
    let ok = 0;
    for (let k = 0; k < 200; k++) {
      let best = -1, bestD = Infinity;
      for (let c = 0; c < 10; c++) {
        let d = 0;
        for (let i = 0; i < per; i++) d += (a.test.images[k * per + i] - means[c][i]) ** 2;
        if (d < bestD) [bestD, best] = [d, c];
      }
      if (best === a.test.labels[k]) ok++;
    }
    expect(ok / 200).toBeGreaterThan(0.3);
  });
});

describe('shuffling, batching, normalization, augmentation', () => {
  const set = { name: 't', source: 't', images: Uint8Array.from({ length: 7 * 2 * 3 * 3 }, (_, i) => i % 251), labels: Int32Array.from({ length: 7 }, (_, i) => i), count: 7, channels: 2, height: 3, width: 3, numClasses: 10 };
  const norm = { mean: [0.5, 0.25], std: [0.5, 2] };
  it('permutations are seeded per epoch and cover every sample once', () => {
    const p = permutation(1000, 3, 0);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(permutation(1000, 3, 0)).toEqual(p);
    expect(permutation(1000, 3, 1)).not.toEqual(p);
    expect(permutation(1000, 4, 0)).not.toEqual(p);
  });
  it('batches in order with a final partial batch, normalized', () => {
    const e = new EpochBatches(set, norm, { batchSize: 3 });
    expect(e.length).toBe(3);
    const last = e.prepare(2);
    expect(last.shape).toEqual([1, 2, 3, 3]);
    expect(Array.from(last.y)).toEqual([6]);
    const b0 = e.prepare(0);
    expect(b0.x[0]).toBeCloseTo((0 / 255 - 0.5) / 0.5, 6);
    expect(b0.x[9]).toBeCloseTo((9 / 255 - 0.25) / 2, 6);
    expect(new EpochBatches(set, norm, { batchSize: 3, dropLast: true }).length).toBe(2);
    const s = new EpochBatches(set, norm, { batchSize: 7, seed: 1, epoch: 0 });
    expect([...s.prepare(0).y].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => e.prepare(3)).toThrow(/batch 3 out of range/);
    expect(() => new EpochBatches(set, { mean: [0], std: [1] }, { batchSize: 2 })).toThrow(/1 means \/ 1 stds for 2 channels/);
  });
  it('CIFAR augmentation is a 4-px zero-padded crop plus optional flip of the source image', () => {
    const C = 3, H = 8, W = 8, n = 40, per = C * H * W;
    const img = { ...set, images: Uint8Array.from({ length: n * per }, (_, i) => 1 + (i * 13) % 250), labels: new Int32Array(n), count: n, channels: C, height: H, width: W };
    const nm = { mean: [0.1, 0.2, 0.3], std: [0.5, 0.5, 0.5] };
    const plain = new EpochBatches(img, nm, { batchSize: n, seed: 5, epoch: 2 }).prepare(0);
    const aug = new EpochBatches(img, nm, { batchSize: n, seed: 5, epoch: 2, augment: 'cifar' }).prepare(0);
    const again = new EpochBatches(img, nm, { batchSize: n, seed: 5, epoch: 2, augment: 'cifar' }).prepare(0);
    expect(aug.x).toEqual(again.x);
    let flips = 0, shifted = 0;
    for (let k = 0; k < n; k++) {
      const src = plain.x.subarray(k * per, (k + 1) * per), out = aug.x.subarray(k * per, (k + 1) * per);
      let found: [number, number, boolean] | null = null;
      for (let dy = -4; dy <= 4 && !found; dy++) for (let dx = -4; dx <= 4 && !found; dx++) for (const flip of [false, true]) {
        let ok = true;
        for (let c = 0; c < C && ok; c++) for (let h = 0; h < H && ok; h++) for (let w = 0; w < W && ok; w++) {
          const sh = h + dy, sw = (flip ? W - 1 - w : w) + dx;
          const want = sh < 0 || sh >= H || sw < 0 || sw >= W ? (0 - nm.mean[c]) / nm.std[c] : src[(c * H + sh) * W + sw];
          if (Math.abs(out[(c * H + h) * W + w] - want) > 1e-6) ok = false;
        }
        if (ok) { found = [dy, dx, flip]; break; }
      }
      expect(found, `image ${k} is no crop/flip of its source`).not.toBeNull();
      if (found![2]) flips++;
      if (found![0] !== 0 || found![1] !== 0) shifted++;
    }
    expect(flips).toBeGreaterThan(5);
    expect(flips).toBeLessThan(35);
    expect(shifted).toBeGreaterThan(25);
  });
});

describe('--train-subset: a seeded random subset of the training images', () => {
  const bytes = (x: Float32Array | Uint8Array | Int32Array | Uint32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  it('indices: deterministic, distinct, sorted, in range, seed-dependent, pinned', () => {
    const a = subsetIndices(60000, 10000, 0);
    expect(bytes(subsetIndices(60000, 10000, 0)).equals(bytes(a))).toBe(true);
    expect(a.length).toBe(10000);
    for (let i = 1; i < a.length; i++) expect(a[i] > a[i - 1]).toBe(true); // sorted and distinct
    expect(a[0] >= 0 && a[a.length - 1] < 60000).toBe(true);
    const b = subsetIndices(60000, 10000, 1);
    expect(bytes(b).equals(bytes(a))).toBe(false);
    // A smaller subset of the same seed is a subset of the larger one (both are prefixes of one permutation).
    const big = new Set(a);
    expect([...subsetIndices(60000, 500, 0)].every((i) => big.has(i))).toBe(true);
    // The documented shuffle, pinned (scripts/torch_twin.py reimplements it; test/torch-twin.test.ts compares all of it).
    expect(Array.from(a.subarray(0, 8))).toEqual([0, 4, 20, 28, 37, 41, 45, 49]);
    expect(Array.from(a.subarray(-3))).toEqual([59994, 59995, 59998]);
    expect(a.reduce((s, v) => s + v, 0)).toBe(300327669);
    expect(Array.from(b.subarray(0, 8))).toEqual([7, 16, 21, 28, 34, 37, 42, 43]);
    expect(Array.from(subsetIndices(1000, 5, 7))).toEqual([2, 480, 796, 843, 921]);
    // The whole set is every index once.
    expect(Array.from(subsetIndices(7, 7, 3))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => subsetIndices(100, 101, 0)).toThrow(/101 images requested, the training set has only 100/);
    expect(() => subsetIndices(100, 0, 0)).toThrow(/size must be a positive integer, got 0/);
  });
  it('loads the images and labels at those indices (MNIST), and rejects what cannot be', () => {
    const full = loadDataset('mnist');
    const s = loadDataset('mnist', { trainSubset: 300, subsetSeed: 5 });
    const idx = subsetIndices(60000, 300, 5);
    expect([s.train.count, s.test.count]).toEqual([300, 10000]);
    expect(s.train.name).toBe('mnist/train[random 300 of 60000, seed 5]');
    const per = 28 * 28;
    for (let k = 0; k < 300; k++) {
      expect(s.train.labels[k]).toBe(full.train.labels[idx[k]]);
      expect(bytes(s.train.images.subarray(k * per, (k + 1) * per)).equals(bytes(full.train.images.subarray(idx[k] * per, (idx[k] + 1) * per)))).toBe(true);
    }
    // subset seed defaults to 0
    expect(Array.from(loadDataset('mnist', { trainSubset: 20 }).train.labels)).toEqual(Array.from(subsetIndices(60000, 20, 0), (i) => full.train.labels[i]));
    expect(() => loadDataset('mnist', { trainSubset: 60001 })).toThrow(/--train-subset 60001: mnist\/train has only 60000 images/);
    expect(() => loadDataset('mnist', { trainSubset: 10, trainLimit: 100 })).toThrow(/--train-subset 10 and --train-limit 100 exclude each other/);
    expect(() => loadDataset('mnist', { trainSubset: -3 })).toThrow(/--train-subset: expected a positive integer, got -3/);
    expect(() => loadDataset('mnist', { trainSubset: 10, subsetSeed: 1.5 })).toThrow(/--subset-seed: expected a non-negative integer, got 1.5/);
  });
  it.skipIf(!HAVE_FASHION)(`uses the same indices for Fashion-MNIST as for MNIST${fashionSkipNote()}`, () => {
    const m = loadDataset('mnist', { trainSubset: 200, subsetSeed: 3 });
    const f = loadDataset('fashion-mnist', { trainSubset: 200, subsetSeed: 3 });
    const ff = loadIdxDataset('fashion-mnist', FASHION_DIR);
    const idx = subsetIndices(60000, 200, 3);
    expect(f.train.count).toBe(200);
    expect(Array.from(f.train.labels)).toEqual(Array.from(idx, (i) => ff.train.labels[i]));
    expect(f.train.name).toBe('fashion-mnist/train[random 200 of 60000, seed 3]');
    expect(m.train.name).toBe('mnist/train[random 200 of 60000, seed 3]');
  });
});

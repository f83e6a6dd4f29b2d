/**
 * The page's dataset: the MNIST subset that `scripts/web-data.mjs` cut into dist/web/data at build
 * time, fetched as IDX files and parsed by the library's own IDX reader (same checks as under Node).
 */
import { idxImageSet, type Dataset, type ImageSet } from '../src/data/index.js';

// MNIST's per-channel statistics, as src/data/files.ts uses for the embedded dataset.
const MNIST_NORM = { mean: [0.1307], std: [0.3081] };

async function fetchBytes(url: string): Promise<{ bytes: Uint8Array; file: string }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`data: GET ${url} answered ${res.status} ${res.statusText} (run \`npm run build\`, which writes dist/web/data)`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), file: url };
}

/** The first `count` items of a set (the files are already a prefix of MNIST's own order). */
function prefix(set: ImageSet, count: number): ImageSet {
  if (count >= set.count) return set;
  const item = set.channels * set.height * set.width;
  return { ...set, name: `${set.name}[:${count}]`, images: set.images.subarray(0, count * item), labels: set.labels.subarray(0, count), count };
}

let cache: Promise<{ train: ImageSet; test: ImageSet }> | null = null;

function loadAll(base: string): Promise<{ train: ImageSet; test: ImageSet }> {
  cache ??= (async () => {
    const [ti, tl, si, sl] = await Promise.all(
      ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => fetchBytes(`${base}${f}`)),
    );
    return { train: idxImageSet('mnist/train', ti, tl), test: idxImageSet('mnist/test', si, sl) };
  })();
  cache.catch(() => (cache = null));
  return cache;
}

export async function loadMnist(trainCount: number, testCount: number, base = 'data/'): Promise<Dataset> {
  const all = await loadAll(base);
  return { name: 'mnist', train: prefix(all.train, trainCount), test: prefix(all.test, testCount), ...MNIST_NORM, augment: 'none' };
}

export async function availableCounts(base = 'data/'): Promise<{ train: number; test: number }> {
  const all = await loadAll(base);
  return { train: all.train.count, test: all.test.count };
}

/** Datasets that need no file system (the browser-safe part); `files.ts` adds the Node loaders. */
export * from './types.js';
export { parseIdx, idxImageSet } from './idx.js';
export { cifarImageSet, cifarLayout, type CifarKind } from './cifar.js';
export { syntheticDataset, upsampleBilinear, type SyntheticOptions } from './synthetic.js';
export { EpochBatches, type HostBatch, type EpochOptions } from './loader.js';
export { HostRng, permutation, subsetIndices, STREAM_SUBSET } from './rng.js';

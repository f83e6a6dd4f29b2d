/**
 * CIFAR-10 / CIFAR-100 "binary version" records: CIFAR-10 is 1 label byte + 3072 image bytes (3×32×32,
 * channel-major, i.e. already CHW); CIFAR-100 is 1 coarse + 1 fine label byte + 3072 image bytes. We train
 * on the fine label (100 classes), as the paper does.
 */
import { RejuvError } from '../core/errors.js';
import type { ImageSet } from './types.js';

export type CifarKind = 'cifar10' | 'cifar100';
const PIXELS = 3 * 32 * 32;

export const cifarLayout = (kind: CifarKind) =>
  kind === 'cifar10' ? { labelBytes: 1, numClasses: 10, trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), testFiles: ['test_batch.bin'] }
    : { labelBytes: 2, numClasses: 100, trainFiles: ['train.bin'], testFiles: ['test.bin'] };

/** Parse the given files (concatenated in order) into one image set. */
export function cifarImageSet(kind: CifarKind, name: string, files: { bytes: Uint8Array; file: string }[]): ImageSet {
  const { labelBytes, numClasses } = cifarLayout(kind);
  const rec = labelBytes + PIXELS;
  let count = 0;
  for (const f of files) {
    if (f.bytes.length === 0) throw new RejuvError('dataset', `${f.file}: empty file`);
    if (f.bytes.length % rec !== 0) {
      throw new RejuvError('dataset', `${f.file}: truncated or not ${kind} binary: ${f.bytes.length} bytes is not a multiple of the ${rec}-byte record (${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + ${PIXELS} pixels); ${f.bytes.length % rec} bytes left over after ${Math.floor(f.bytes.length / rec)} records`);
    }
    count += f.bytes.length / rec;
  }
  const images = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  let k = 0;
  for (const f of files) {
    for (let off = 0; off < f.bytes.length; off += rec, k++) {
      const label = f.bytes[off + labelBytes - 1];
      if (label >= numClasses) throw new RejuvError('dataset', `${f.file}: label out of range in record ${off / rec}: ${label} (expected 0…${numClasses - 1})`);
      if (labelBytes === 2 && f.bytes[off] >= 20) throw new RejuvError('dataset', `${f.file}: coarse label out of range in record ${off / rec}: ${f.bytes[off]} (expected 0…19)`);
      labels[k] = label;
      images.set(f.bytes.subarray(off + labelBytes, off + rec), k * PIXELS);
    }
  }
  return { name, source: files.map((f) => f.file).join(', '), images, labels, count, channels: 3, height: 32, width: 32, numClasses };
}

/**
 * IDX files (the MNIST / Fashion-MNIST container): big-endian header `00 00 <type> <ndim>`, ndim
 * uint32 sizes, then the data. Only type 0x08 (unsigned byte) occurs in these datasets; anything else
 * is rejected with the file's name rather than misread.
 */
import { RejuvError } from '../core/errors.js';
import type { ImageSet } from './types.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const bad = (file: string, msg: string): never => {
  throw new RejuvError('dataset', `${file}: ${msg}`);
};

export function parseIdx(bytes: Uint8Array, file: string, wantDims?: number): IdxArray {
  if (bytes.length < 4) bad(file, `truncated IDX file: ${bytes.length} bytes, the header alone needs at least 4`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) bad(file, `wrong magic number ${hex}: not an IDX file (expected 0x0000080N)`);
  if (bytes[2] !== 0x08) bad(file, `wrong magic number ${hex}: data type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`);
  const ndim = bytes[3];
  if (wantDims !== undefined && ndim !== wantDims) {
    bad(file, `wrong magic number ${hex}: expected ${wantDims}-dimensional ${wantDims === 1 ? 'labels (0x00000801)' : 'images (0x00000803)'}, got ${ndim} dimensions`);
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) bad(file, `truncated IDX header: ${bytes.length} bytes, ${ndim} dimensions need ${header}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - header;
  if (have < n) bad(file, `truncated: dimensions [${dims.join(', ')}] need ${n} data bytes, the file has ${have}`);
  if (have > n) bad(file, `${have - n} unexpected bytes after the ${n} data bytes of dimensions [${dims.join(', ')}]`);
  return { dims, data: bytes.subarray(header) };
}

/** An image set from a pair of IDX files (images N×H×W, labels N), validated against each other. */
export function idxImageSet(
  name: string,
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
  numClasses = 10,
): ImageSet {
  const im = parseIdx(images.bytes, images.file, 3);
  const lb = parseIdx(labels.bytes, labels.file, 1);
  const [count, height, width] = im.dims;
  if (lb.dims[0] !== count) {
    bad(labels.file, `image/label count mismatch: ${lb.dims[0]} labels for ${count} images in ${images.file}`);
  }
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = lb.data[i];
    if (v >= numClasses) bad(labels.file, `label out of range at index ${i}: ${v} (expected 0…${numClasses - 1})`);
    y[i] = v;
  }
  return { name, source: `${images.file}, ${labels.file}`, images: im.data, labels: y, count, channels: 1, height, width, numClasses };
}

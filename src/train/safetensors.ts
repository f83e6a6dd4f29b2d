/**
 * The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON `{ "__metadata__": {string: string}, name: { dtype, shape,
 * data_offsets: [begin, end] } }` (offsets relative to the data section), then the data. Encoding and
 * a strict decoder, without file-system access; `checkpoint.ts` does the files.
 */
import { RejuvError } from '../core/errors.js';

export type SafeDType = 'F32' | 'I32' | 'F64' | 'I64' | 'U8';
const DTYPE_BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, F64: 8, I64: 8, U8: 1 };

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** Raw little-endian bytes (length = numel · dtype size). */
  bytes: Uint8Array;
}

export interface SafeFile {
  metadata: Record<string, string>;
  tensors: Map<string, SafeTensor>;
}

/** Headers above this are refused before parsing (the reference implementation uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;

export function fromTyped(a: Float32Array | Int32Array | Float64Array | Uint8Array, shape: number[]): SafeTensor {
  const dtype: SafeDType = a instanceof Float32Array ? 'F32' : a instanceof Int32Array ? 'I32' : a instanceof Float64Array ? 'F64' : 'U8';
  return { dtype, shape, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}

/** The values as a typed array (copied, so alignment never matters). */
export function toTyped(t: SafeTensor): Float32Array | Int32Array | Float64Array | Uint8Array {
  // A copy into a fresh buffer of exactly these bytes: `slice()` would not copy a Node Buffer.
  const b = new Uint8Array(t.bytes);
  switch (t.dtype) {
    case 'F32': return new Float32Array(b.buffer);
    case 'I32': return new Int32Array(b.buffer);
    case 'F64': return new Float64Array(b.buffer);
    case 'U8': return b;
    case 'I64': {
      const v = new DataView(b.buffer), out = new Int32Array(b.length / 8);
      for (let i = 0; i < out.length; i++) {
        const x = v.getBigInt64(8 * i, true);
        if (x > 2147483647n || x < -2147483648n) throw new RangeError(`I64 value ${x} does not fit int32`);
        out[i] = Number(x);
      }
      return out;
    }
  }
}

/** Serialize (tensors in the given order, 8-byte aligned data section). */
export function encodeSafetensors(file: SafeFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const [name, t] of file.tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data section starts 8-byte aligned (allowed by the format).
  const hb = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  hb.set(raw);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of file.tensors.values()) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return out;
}

/** Parse and validate: every problem names the file. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafeFile {
  const bad = (msg: string): never => {
    throw new RejuvError('checkpoint', `${file}: ${msg}`);
  };
  if (bytes.length < 8) bad(`truncated: ${bytes.length} bytes, not even the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) bad(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const n = Number(n64);
  if (n < 2) bad(`header length ${n} is too small for a JSON object`);
  if (8 + n > bytes.length) bad(`truncated: header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    bad(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const h = header as Record<string, unknown>;
  const dataLen = bytes.length - 8 - n;
  const metadata: Record<string, string> = {};
  if (h.__metadata__ !== undefined) {
    const m = h.__metadata__;
    if (!m || typeof m !== 'object' || Array.isArray(m)) bad('__metadata__ is not an object');
    for (const [k, v] of Object.entries(m as object)) {
      if (typeof v !== 'string') bad(`__metadata__.${k} is a ${typeof v}, the format allows only strings`);
      metadata[k] = v as string;
    }
  }
  const entries: [string, SafeTensor, number, number][] = [];
  for (const [name, e] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const t = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') bad(`tensor '${name}': entry is not an object`);
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPE_BYTES)) bad(`tensor '${name}': unsupported dtype ${JSON.stringify(t.dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
    const dtype = t.dtype as SafeDType;
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`tensor '${name}': shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    const shape = t.shape as number[];
    const o = t.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || o.some((x) => !Number.isSafeInteger(x) || x < 0)) bad(`tensor '${name}': data_offsets ${JSON.stringify(o)} is not [begin, end]`);
    const [b, en] = o as number[];
    if (b > en) bad(`tensor '${name}': data_offsets [${b}, ${en}] has begin after end`);
    if (en > dataLen) bad(`tensor '${name}': data_offsets [${b}, ${en}] lie outside the ${dataLen}-byte data section (file truncated?)`);
    const want = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (en - b !== want) bad(`tensor '${name}': ${en - b} bytes for shape [${shape.join(', ')}] ${dtype}, expected ${want}`);
    entries.push([name, { dtype, shape, bytes: bytes.subarray(8 + n + b, 8 + n + en) }, b, en]);
  }
  // The data section must be covered exactly once, as the reference implementation demands.
  const sorted = [...entries].sort((x, y) => x[2] - y[2]);
  let at = 0;
  for (const [name, , b, en] of sorted) {
    if (b !== at) bad(`tensor '${name}': data_offsets start at ${b}, expected ${at} (${b < at ? 'overlap' : 'hole'} in the data section)`);
    at = en;
  }
  if (at !== dataLen) bad(`${dataLen - at} bytes after the last tensor's data (expected the data section to end at ${at})`);
  return { metadata, tensors: new Map(entries.map(([name, t]) => [name, t])) };
}

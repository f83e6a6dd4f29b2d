/** Shape arithmetic shared by every op and both backends. */
import { fail, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function checkShape(where: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) fail(where, `shape ${fmtShape(shape)} must hold non-negative integers`);
  }
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(where: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(where, `shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read as if it had `outShape` (0 on broadcast axes, aligned to the right). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/** Normalize axes (negative allowed), sorted and unique; `undefined` means all axes. */
export function normalizeAxes(where: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = new Set<number>();
  for (const a of list) {
    // A scalar accepts axis 0 or -1 (as in PyTorch) and has no axis to reduce: it maps to none.
    const r = Math.max(rank, 1);
    if (!Number.isInteger(a) || a < -r || a >= r) fail(where, `axis ${a} is out of range for rank ${rank}`);
    if (rank > 0) out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((x, y) => x - y);
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Sum a broadcast gradient back down to `shape` (the axes that were broadcast). */
export function reducedAxesForBroadcast(shape: Shape, outShape: Shape): number[] {
  const axes: number[] = [];
  const off = outShape.length - shape.length;
  for (let i = 0; i < outShape.length; i++) {
    if (i < off || (shape[i - off] === 1 && outShape[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Splitting a reduction into kept and reduced axes (shared by both backends). */
import { sizeOf, stridesOf } from './shape.js';
import { collapseAxes } from './elementwise.js';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';
export const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 };

export interface ReducePlan {
  outShape: number[];
  nOut: number;
  nRed: number;
  kShape: number[];
  kStrides: number[];
  rShape: number[];
  rStrides: number[];
}

/** `axes` sorted and unique; the output drops them (keepDim is a reshape at the op level). */
export function planReduce(shape: readonly number[], axes: readonly number[]): ReducePlan {
  const strides = stridesOf(shape);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const k = collapseAxes(kept.map((i) => shape[i]), [kept.map((i) => strides[i])]);
  const r = collapseAxes(axes.map((i) => shape[i]), [axes.map((i) => strides[i])]);
  const outShape = kept.map((i) => shape[i]);
  return { outShape, nOut: sizeOf(outShape), nRed: sizeOf(axes.map((i) => shape[i])), kShape: k.shape, kStrides: k.strides[0], rShape: r.shape, rStrides: r.strides[0] };
}

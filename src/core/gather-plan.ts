/** Viewing a gather / scatter-add along one axis as [outer, axisLen, inner] (shared by both backends). */
import { sizeOf } from './shape.js';

export interface GatherAttrs {
  axis: number;
}
export interface ScatterAddAttrs {
  axis: number;
  /** Length of the gathered axis in the result (the source tensor's length along `axis`). */
  axisLen: number;
}

export interface GatherPlan {
  outer: number;
  inner: number;
  nIdx: number;
}

export function planGather(shape: readonly number[], axis: number, nIdx: number): GatherPlan {
  return { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)), nIdx };
}

/** x.shape with `axis` replaced by the index tensor's shape. */
export function gatherShape(shape: readonly number[], axis: number, idxShape: readonly number[]): number[] {
  return [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
}

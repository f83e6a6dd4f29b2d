/**
 * The functional ops the layers call, in one place. Ops whose files exist are imported directly;
 * the ones still being written by the kernel work (issue 3) are looked up by name at call time, so
 * the module tree (and parameter counts, state dicts) works before them, and a call fails with a
 * message naming the missing op instead of a type error at build time. Each lookup is replaced by a
 * direct import as its op lands.
 */
import * as ops from '../ops/index.js';
import type { Pair } from '../kernels/conv-geom.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

export { conv2d } from '../ops/conv.js';
export { flatten, transpose, concat } from '../ops/shape.js';
export { add, mul, relu } from '../ops/elementwise.js';

export interface BatchNormOptions {
  training: boolean;
  momentum: number;
  eps: number;
}
export interface PoolOptions {
  kernelSize: Pair;
  stride?: Pair;
  padding?: Pair;
}

function op<F>(name: string): F {
  const f = (ops as unknown as Record<string, unknown>)[name];
  if (typeof f !== 'function') fail(`nn: rj.${name}`, `the op is not available (not exported from src/ops/index.ts yet)`);
  return f as F;
}

type BatchNormFn = (x: Tensor, rm: Tensor, rv: Tensor, w: Tensor | null, b: Tensor | null, o: BatchNormOptions) => Tensor;
type PoolFn = (x: Tensor, o: PoolOptions) => Tensor;

export const batchNorm: BatchNormFn = (x, rm, rv, w, b, o) => op<BatchNormFn>('batchNorm')(x, rm, rv, w, b, o);
export const maxPool2d: PoolFn = (x, o) => op<PoolFn>('maxPool2d')(x, o);
export const avgPool2d: PoolFn = (x, o) => op<PoolFn>('avgPool2d')(x, o);
export const adaptiveAvgPool2d = (x: Tensor, size: number): Tensor => op<(x: Tensor, s: number) => Tensor>('adaptiveAvgPool2d')(x, size);
export const dropout = (x: Tensor, p: number, o: { training: boolean; seed?: number }): Tensor =>
  op<(x: Tensor, p: number, o: { training: boolean; seed?: number }) => Tensor>('dropout')(x, p, o);
export const matmul = (a: Tensor, b: Tensor): Tensor => op<(a: Tensor, b: Tensor) => Tensor>('matmul')(a, b);

/**
 * Shapes of a batched matmul, shared by both backends. Operands arrive as stored (contiguous,
 * rank ≥ 2); `transA` / `transB` say the last two axes are read transposed, in place.
 * A batch index of the output maps to element offsets in A and B through strides that are 0 on
 * broadcast batch axes (torch.matmul semantics), so a broadcast operand is never materialized.
 */
import { fail, fmtShape } from './errors.js';
import { broadcastShapes, broadcastStrides, sizeOf } from './shape.js';
import { collapseAxes } from './elementwise.js';

export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  /** WebGPU only: force a kernel variant (default: by adapter class, `info().isSoftware`). */
  variant?: MatmulVariant;
}
export type MatmulVariant = 'texture' | 'subgroup' | 'register' | 'tiled';

export interface MatmulPlan {
  m: number;
  n: number;
  k: number;
  batch: number;
  outShape: number[];
  /** Collapsed output batch shape and the per-operand element strides over it. */
  bShape: number[];
  aStrides: number[];
  bStrides: number[];
}

export function planMatmul(op: string, aShape: readonly number[], bShape: readonly number[], transA: boolean, transB: boolean): MatmulPlan {
  if (aShape.length < 2 || bShape.length < 2) fail(op, `kernel operands must have rank ≥ 2, got ${fmtShape(aShape)} and ${fmtShape(bShape)}`);
  const [ar, ac] = aShape.slice(-2), [br, bc] = bShape.slice(-2);
  const m = transA ? ac : ar, ka = transA ? ar : ac;
  const kb = transB ? bc : br, n = transB ? br : bc;
  if (ka !== kb) {
    fail(op, `inner dimensions differ: A ${fmtShape(aShape)}${transA ? 'ᵀ' : ''} has K=${ka}, B ${fmtShape(bShape)}${transB ? 'ᵀ' : ''} has K=${kb}`);
  }
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batchShape = broadcastShapes(op, aBatch, bBatch);
  const sa = broadcastStrides(aBatch, batchShape).map((s) => s * ar * ac);
  const sb = broadcastStrides(bBatch, batchShape).map((s) => s * br * bc);
  const col = collapseAxes(batchShape, [sa, sb]);
  return { m, n, k: ka, batch: sizeOf(batchShape), outShape: [...batchShape, m, n], bShape: col.shape, aStrides: col.strides[0], bStrides: col.strides[1] };
}

/** Element offset of batch `i` (row-major over `shape`) under `strides`. */
export function batchOffset(i: number, shape: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    off += (i % shape[d]) * strides[d];
    i = Math.floor(i / shape[d]);
  }
  return off;
}

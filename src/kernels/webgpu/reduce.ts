/**
 * WebGPU reductions (sum, max, min, argmax, argmin) over any axes. Many outputs: one invocation per
 * output (reduce.wgsl). Few outputs with long reduced axes (a sum of 10⁶ elements, per-channel sums
 * over N·H·W): one invocation per output would leave the device idle and add serially, so a first
 * pass splits each output over `lanes` invocations (reduce_partial.wgsl) and a second pass folds the
 * partials (recursively, for sum/max/min; reduce_arg_combine.wgsl for the arg ops).
 */
import reduceSrc from '../../../shaders/reduce.wgsl';
import reduceArgCombineSrc from '../../../shaders/reduce_arg_combine.wgsl';
import reducePartialSrc from '../../../shaders/reduce_partial.wgsl';
import type { TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { planReduce, REDUCE_CODE, type ReducePlan, type ReduceOp } from '../../core/reduce-plan.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { gpuFill, groups256 } from './basic.js';
import { Uniforms } from './program.js';

/**
 * When to go multi-pass. Mutable so that tests can force either variant on any shape (and the
 * benchmark can compare them); the chunk size and thresholds are not part of any pipeline key.
 */
export const reduceTuning = {
  /** Elements each first-pass invocation folds (roughly): long enough to amortize the partial write. */
  chunk: 256,
  /** Multi-pass when the reduced length reaches this... */
  minRed: 1024,
  /** ...and there are fewer outputs than this (more outputs fill the device on their own). */
  maxOut: 16384,
};
export const MULTIPASS_CHUNK = reduceTuning.chunk;

export function useMultiPass(nOut: number, nRed: number): boolean {
  return nRed >= reduceTuning.minRed && nOut < reduceTuning.maxOut && nRed > 1;
}

function reduceInto(b: WebGPUBackend, x: TensorData, op: ReduceOp, p: ReducePlan): TensorData {
  const arg = op === 'argmax' || op === 'argmin';
  const dtypeOut = arg ? 'int32' : x.dtype;
  const o: TensorData = { shape: p.outShape, dtype: dtypeOut, storage: b.alloc(p.nOut, dtypeOut) };
  if (p.nOut === 0) return o;
  if (p.nRed === 0) {
    if (op !== 'sum') fail(op, 'reduction over an empty axis has no identity');
    gpuFill(b, o, 0);
    return o;
  }
  const T = x.dtype === 'int32' ? 'i32' : 'f32';
  const shapeU = (u: Uniforms) => u.vec8u(p.kShape).vec8u(p.kStrides).vec8u(p.rShape).vec8u(p.rStrides);
  if (!useMultiPass(p.nOut, p.nRed)) {
    b.run({
      key: `reduce/${op}/${x.dtype}`, file: 'reduce.wgsl', source: reduceSrc,
      defines: { T, TO: arg ? 'i32' : T, OP: REDUCE_CODE[op] },
      inputs: [x.storage], outputs: [o.storage],
      uniforms: shapeU(new Uniforms().u32(p.nOut).u32(p.nRed).u32(p.kShape.length).u32(p.rShape.length)),
      workgroups: groups256(p.nOut),
    });
    return o;
  }
  const lanes = Math.ceil(p.nRed / Math.max(2, reduceTuning.chunk)); // < nRed: the recursion ends
  const nPart = p.nOut * lanes;
  const part: TensorData = { shape: [p.nOut, lanes], dtype: x.dtype, storage: b.alloc(nPart, x.dtype) };
  const partArg = b.alloc(nPart, 'int32');
  b.run({
    key: `reduce_partial/${op}/${x.dtype}`, file: 'reduce_partial.wgsl', source: reducePartialSrc,
    defines: { T, OP: REDUCE_CODE[op] },
    inputs: [x.storage], outputs: [part.storage, partArg],
    uniforms: shapeU(new Uniforms().u32(p.nOut).u32(p.nRed).u32(p.kShape.length).u32(p.rShape.length).u32(lanes)),
    workgroups: groups256(nPart),
  });
  let result = o;
  if (arg) {
    b.run({
      key: `reduce_arg_combine/${op}/${x.dtype}`, file: 'reduce_arg_combine.wgsl', source: reduceArgCombineSrc,
      defines: { T, OP: REDUCE_CODE[op] },
      inputs: [part.storage, partArg], outputs: [o.storage],
      uniforms: new Uniforms().u32(p.nOut).u32(lanes), workgroups: groups256(p.nOut),
    });
  } else {
    // The partials form an [nOut, lanes] tensor: fold its last axis with the same machinery.
    b.release(o.storage);
    result = { ...reduceInto(b, part, op, planReduce(part.shape, [1])), shape: p.outShape };
  }
  // Safe to release before the work runs: the pool hands these buffers only to work recorded later.
  b.release(part.storage);
  b.release(partArg);
  return result;
}

webgpuKernels.register('reduce', (b, [x], a) =>
  reduceInto(b, x, a.op, planReduce(x.shape, a.axes)));

/** Helpers every op file uses: wrapping kernel outputs into tensors and checking inputs. */
import { runKernel } from '../tensor/dispatch.js';
import type { TensorData } from '../core/backend.js';
import type { DType } from '../core/dtype.js';
import { backend } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { KernelAttrs, KernelName } from '../core/kernels.js';

export type TensorLike = Tensor | number;

/** Wrap a kernel result as a new tensor made by `op`. */
export const wrap = (op: string, d: TensorData): Tensor => new Tensor(d, op);

/** Run a kernel and wrap its single output. */
export function run<K extends KernelName>(op: string, kernel: K, inputs: readonly Tensor[], attrs: KernelAttrs[K]): Tensor {
  return wrap(op, runKernel(kernel, inputs, attrs));
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  backend('scalar');
  // A fill dispatch carries the value in its uniforms; an upload would first submit everything
  // recorded so far (see WebGPUBackend.upload), once for every number operand of every op.
  const v = dtype === 'int32' ? Int32Array.of(value)[0] : value;
  return new Tensor(runKernel('fill', [], { shape: [], dtype, value: v }), 'scalar');
}

/** Numbers become scalar tensors of the other operand's dtype. */
export function asTensor(x: TensorLike, like?: Tensor): Tensor {
  return x instanceof Tensor ? x : scalar(x, like?.dtype ?? 'float32');
}

export function checkTensor(op: string, x: unknown, name = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) fail(op, `${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  // Named here rather than by `x.storage`, whose error can only name the op that made the tensor.
  if (x.isDisposed) fail(op, `${name} (tensor #${x.id} of shape ${fmtShape(x.shape)}, ${x.dtype}, made by ${x.op}) was used after dispose()`);
}

export function checkDType(op: string, x: Tensor, want: DType | DType[], name = 'input'): void {
  const ok = Array.isArray(want) ? want.includes(x.dtype) : x.dtype === want;
  if (!ok) fail(op, `${name} must be ${Array.isArray(want) ? want.join(' or ') : want}, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
}

export function checkSameDType(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) fail(op, `dtypes differ: ${a.dtype} ${fmtShape(a.shape)} vs ${b.dtype} ${fmtShape(b.shape)}`);
}

export function checkRank(op: string, x: Tensor, rank: number, name = 'input'): void {
  if (x.rank !== rank) fail(op, `${name} must have rank ${rank}, got shape ${fmtShape(x.shape)}`);
}

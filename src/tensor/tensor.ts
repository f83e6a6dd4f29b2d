/**
 * The Tensor: a shape, a dtype, a reference to backend storage, and (when it takes part in autograd)
 * the node that made it. Ops live in `src/ops`; this file holds only what every tensor is.
 */
import type { Storage, TensorData } from '../core/backend.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { backend, engine, keep, releaseStorage, retainStorage, setTensorCheck, trackTensor, untrackTensor } from './engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';

/** How a tensor was made, for reverse-mode autograd: its inputs and the vector-Jacobian product. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input given the output's gradient (null where an input needs none). */
  readonly backward: (grad: Tensor) => (Tensor | null)[];
}

export class Tensor implements TensorData {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The op that made this tensor (used in error messages). */
  readonly op: string;
  requiresGrad: boolean;
  node: GradNode | null = null;
  private _storage: Storage | null;
  private _grad: Tensor | null = null;

  constructor(data: TensorData, op: string, requiresGrad = false) {
    this.id = engine.nextId++;
    this.shape = Object.freeze([...data.shape]);
    this.dtype = data.dtype;
    this.op = op;
    this.requiresGrad = requiresGrad;
    this._storage = data.storage;
    retainStorage(data.storage);
    trackTensor(this);
  }

  get size(): number {
    return sizeOf(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this._storage === null;
  }

  /** The backend storage; throws a clear error on a disposed tensor. */
  get storage(): Storage {
    if (this._storage === null) {
      fail(this.op, `tensor #${this.id} of shape ${fmtShape(this.shape)} (${this.dtype}) was used after dispose()`);
    }
    return this._storage;
  }

  /** Accumulated gradient. Assigning replaces (and disposes) the previous one; `null` drops it. */
  get grad(): Tensor | null {
    return this._grad;
  }
  set grad(g: Tensor | null) {
    if (g === this._grad) return;
    if (g !== null) {
      if (g.dtype !== this.dtype || g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        fail('grad', `gradient of shape ${fmtShape(g.shape)} (${g.dtype}) does not match tensor ${fmtShape(this.shape)} (${this.dtype})`);
      }
      keep(g);
    }
    this._grad?.dispose();
    this._grad = g;
  }

  dispose(): void {
    if (this._storage === null) return;
    releaseStorage(this._storage);
    this._storage = null;
    this.node = null;
    untrackTensor(this);
  }

  /** Read the values back (flat, row-major). Flushes recorded work; the only thing that waits. */
  async toArray(): Promise<TypedArray> {
    const [a] = await backend().read([{ storage: this.storage, dtype: this.dtype, size: this.size }]);
    return a;
  }

  async item(): Promise<number> {
    if (this.size !== 1) fail('item', `expected a tensor with one element, got shape ${fmtShape(this.shape)}`);
    return (await this.toArray())[0];
  }

  /** Backpropagate from this tensor (see `backward` in autograd.ts). */
  backward(seed?: Tensor): void {
    if (!backwardFn) fail('backward', 'autograd is not loaded');
    backwardFn(this, seed);
  }

  toString(): string {
    return `Tensor(#${this.id}, ${fmtShape(this.shape)}, ${this.dtype}, op=${this.op}${this.isDisposed ? ', disposed' : ''})`;
  }
}

let backwardFn: ((root: Tensor, seed?: Tensor) => void) | null = null;
export function setBackward(fn: (root: Tensor, seed?: Tensor) => void): void {
  backwardFn = fn;
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
setTensorCheck(isTensor);

/** Read several tensors in one round trip (one readback per training step). */
export async function readAll(tensors: readonly Tensor[]): Promise<TypedArray[]> {
  return backend().read(tensors.map((t) => ({ storage: t.storage, dtype: t.dtype, size: t.size })));
}

/**
 * The Tensor: a shape, a dtype, a reference to backend storage, and (when it takes part in autograd)
 * the node that made it; then reverse-mode autograd in one sitting (`record`, `backward`). Ops live in
 * `src/ops`, each with its forward and its vector-Jacobian product side by side.
 */
import type { ReadOptions, Storage, TensorData } from '../core/backend.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { backend, engine, keep, noGrad, releaseStorage, retainStorage, TENSOR, trackTensor, untrackTensor } from './engine.js';
import { runKernel } from './dispatch.js';
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
  /** Brand the engine recognizes tensors by (tidy's result scan) without importing this class. */
  readonly [TENSOR] = true;
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

  /** Backpropagate from this tensor (see `backward` below). */
  backward(seed?: Tensor): void {
    backward(this, seed);
  }

  toString(): string {
    return `Tensor(#${this.id}, ${fmtShape(this.shape)}, ${this.dtype}, op=${this.op}${this.isDisposed ? ', disposed' : ''})`;
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** Read several tensors in one round trip (one readback per training step). */
export async function readAll(tensors: readonly Tensor[], opts?: ReadOptions): Promise<TypedArray[]> {
  return backend().read(tensors.map((t) => ({ storage: t.storage, dtype: t.dtype, size: t.size })), opts);
}

/* ------------------------------------------ reverse-mode autograd ------------------------------------------ */

// `record` attaches a node to an op's output when any input needs a gradient; `backward` walks the tape in
// reverse topological order, accumulating into `.grad` of leaves. Intermediate gradients are freed as soon as
// nothing downstream needs them.

type Backward = GradNode['backward'];

/** Attach the autograd node for `op` to `out` (no-op when grad is off or no input needs it). */
export function record(op: string, inputs: readonly Tensor[], out: Tensor, backward: Backward): Tensor {
  if (engine.gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

// The three kernels backward itself needs (the seed, a leaf's own copy, accumulation), called directly:
// the ops that wrap them sit a level up and record nodes, which backward must not.
const onesLike = (t: Tensor): Tensor => new Tensor(runKernel('fill', [], { shape: t.shape, dtype: t.dtype, value: 1 }), 'onesLike');
const copyOf = (t: Tensor): Tensor => new Tensor(runKernel('copy', [t], {}), 'copy');
const addSame = (a: Tensor, b: Tensor): Tensor => new Tensor(runKernel('binary', [a, b], { op: 'add', shape: a.shape }), 'add');

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const x = inputs[i];
      if (x.requiresGrad && !seen.has(x)) {
        seen.add(x);
        stack.push([x, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/** Backpropagate from `root` (a scalar, or any shape with an explicit seed gradient). */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) fail('backward', `tensor ${root} does not require grad (no input of its graph has requiresGrad)`);
  if (!seed && root.size !== 1) fail('backward', `implicit seed needs a scalar; got shape ${fmtShape(root.shape)} (pass a seed gradient)`);
  if (seed && (seed.shape.length !== root.shape.length || seed.shape.some((d, i) => d !== root.shape[i]))) {
    fail('backward', `seed shape ${fmtShape(seed.shape)} does not match output ${fmtShape(root.shape)}`);
  }
  noGrad(() => {
    const start = seed ?? onesLike(root);
    const grads = new Map<Tensor, Tensor>([[root, start]]);
    // How many map entries refer to each gradient tensor, so shared ones are freed only once unused.
    const holds = new Map<Tensor, number>([[start, 1]]);
    const hold = (g: Tensor) => holds.set(g, (holds.get(g) ?? 0) + 1);
    const release = (g: Tensor) => {
      const n = (holds.get(g) ?? 1) - 1;
      if (n > 0) holds.set(g, n);
      else {
        holds.delete(g);
        if (g !== seed) g.dispose();
      }
    };
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      // dispose() drops a tensor's node, so a disposed intermediate would pass for a leaf and silently
      // swallow its gradient (typically: backward() called outside the tidy that built the graph).
      if (t.isDisposed) {
        fail('backward', `${t} in the graph of ${root} was disposed before backward() reached it; call backward() inside the tidy() that built the graph (tidy disposes intermediates when it ends)`);
      }
      if (!t.node) {
        // A leaf: hand the gradient over, copying when something else still refers to it.
        const own = (holds.get(g) ?? 0) > 1 || g === seed ? copyOf(g) : (holds.delete(g), g);
        if (own === g) holds.delete(g);
        else release(g);
        t.grad = t.grad ? addSame(t.grad, own) : own;
        if (t.grad !== own) own.dispose();
        continue;
      }
      let inGrads: (Tensor | null)[];
      try {
        inGrads = t.node.backward(g);
      } catch (e) {
        const gone = t.node.inputs.find((x) => x.isDisposed);
        if (!gone) throw e;
        fail('backward', `${gone}, an input of ${t.node.op} in the graph of ${root}, was disposed before backward() reached it; call backward() inside the tidy() that built the graph (tidy disposes intermediates when it ends). Cause: ${(e as Error).message}`);
      }
      t.node.inputs.forEach((x, i) => {
        const gi = inGrads[i];
        if (!gi) return;
        if (!x.requiresGrad) {
          if (gi !== g && !holds.has(gi)) gi.dispose();
          return;
        }
        if (gi.shape.length !== x.shape.length || gi.shape.some((d, k) => d !== x.shape[k])) {
          fail(t.node!.op, `backward produced a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(x.shape)}`);
        }
        const prev = grads.get(x);
        if (prev) {
          const sum = addSame(prev, gi);
          grads.set(x, sum);
          hold(sum);
          release(prev);
          if (gi !== g && !holds.has(gi)) gi.dispose();
        } else {
          grads.set(x, gi);
          hold(gi);
        }
      });
      release(g);
    }
  });
}


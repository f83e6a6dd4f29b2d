/**
 * Reverse-mode autograd in one sitting. `record` attaches a node to an op's output when any input
 * needs a gradient; `backward` walks the tape in reverse topological order, accumulating into `.grad`
 * of leaves. Intermediate gradients are freed as soon as nothing downstream needs them.
 */
import { engine, noGrad } from './engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { setBackward, Tensor, type GradNode } from './tensor.js';

type Backward = GradNode['backward'];

/** Attach the autograd node for `op` to `out` (no-op when grad is off or no input needs it). */
export function record(op: string, inputs: readonly Tensor[], out: Tensor, backward: Backward): Tensor {
  if (engine.gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

// Set by src/ops at import time to avoid an import cycle (the ops use `record`).
let addFn: ((a: Tensor, b: Tensor) => Tensor) | null = null;
let onesLikeFn: ((t: Tensor) => Tensor) | null = null;
let copyFn: ((t: Tensor) => Tensor) | null = null;
export function setAutogradOps(ops: { add: typeof addFn; onesLike: typeof onesLikeFn; copy: typeof copyFn }): void {
  addFn = ops.add;
  onesLikeFn = ops.onesLike;
  copyFn = ops.copy;
}

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
    const start = seed ?? onesLikeFn!(root);
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
        const own = (holds.get(g) ?? 0) > 1 || g === seed ? copyFn!(g) : (holds.delete(g), g);
        if (own === g) holds.delete(g);
        else release(g);
        t.grad = t.grad ? addFn!(t.grad, own) : own;
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
          const sum = addFn!(prev, gi);
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

setBackward(backward);

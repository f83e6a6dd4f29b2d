/**
 * Central finite differences on the float64 reference backend (call inside withBackend('cpu64')):
 * compares autograd's gradient of a scalar function with (f(x + h) − f(x − h)) / 2h, element by element.
 */
import { expect } from 'vitest';
import * as rj from '../../src/index.js';

export interface FdInput { data: number[]; shape: number[] }

export async function checkGradients(what: string, inputs: FdInput[], f: (ts: rj.Tensor[]) => rj.Tensor, opts: { h?: number; rtol?: number; atol?: number } = {}): Promise<void> {
  const { h = 1e-6, rtol = 1e-5, atol = 1e-7 } = opts;
  const leaves = inputs.map((i) => rj.tensor(i.data, i.shape, { requiresGrad: true }));
  const out = f(leaves);
  out.backward();
  const analytic = await Promise.all(leaves.map(async (l) => Array.from(await l.grad!.toArray())));
  const evalAt = async (k: number, j: number, delta: number) => {
    const ts = inputs.map((inp, i) => {
      const d = [...inp.data];
      if (i === k) d[j] += delta;
      return rj.tensor(d, inp.shape);
    });
    const v = await rj.noGrad(() => f(ts)).item();
    ts.forEach((t) => t.dispose());
    return v;
  };
  for (let k = 0; k < inputs.length; k++) {
    for (let j = 0; j < inputs[k].data.length; j++) {
      const num = ((await evalAt(k, j, h)) - (await evalAt(k, j, -h))) / (2 * h);
      const a = analytic[k][j];
      if (!(Math.abs(a - num) <= atol + rtol * Math.abs(num))) {
        expect.fail(`${what}: d/d(input ${k})[${j}] autograd ${a}, finite difference ${num}`);
      }
    }
  }
  leaves.forEach((l) => l.dispose());
}

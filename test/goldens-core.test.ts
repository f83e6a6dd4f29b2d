/**
 * PyTorch goldens (test/goldens/core.json, from scripts/goldens/core.py): forward values and input
 * gradients for a random upstream gradient, on both backends.
 */
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';
import { expectAllClose } from './helpers/compare.js';
import { loadGolden } from './helpers/golden.js';

afterAll(() => destroyGpu());

interface Case {
  name: string;
  op: string;
  params: Record<string, any>;
  inputs: { shape: number[]; data: number[] }[];
  output: { shape: number[]; data: number[] };
  dy: number[];
  grads: (number[] | null)[];
}
const golden = loadGolden<{ torch: string; cases: Case[] }>('core.json');

type T = rj.Tensor;
const int = (v: number[], shape: number[]) => rj.tensor(v, shape, { dtype: 'int32' });

const OPS: Record<string, (xs: T[], p: Record<string, any>) => T> = {
  neg: ([x]) => rj.neg(x), abs: ([x]) => rj.abs(x), exp: ([x]) => rj.exp(x), log: ([x]) => rj.log(x),
  sqrt: ([x]) => rj.sqrt(x), rsqrt: ([x]) => rj.rsqrt(x), relu: ([x]) => rj.relu(x), sigmoid: ([x]) => rj.sigmoid(x),
  tanh: ([x]) => rj.tanh(x), square: ([x]) => rj.square(x), reciprocal: ([x]) => rj.reciprocal(x),
  add: ([a, b]) => rj.add(a, b), sub: ([a, b]) => rj.sub(a, b), mul: ([a, b]) => rj.mul(a, b), div: ([a, b]) => rj.div(a, b),
  pow: ([a, b]) => rj.pow(a, b), maximum: ([a, b]) => rj.maximum(a, b), minimum: ([a, b]) => rj.minimum(a, b),
  where: ([a, b], p) => rj.where(rj.tensor(p.cond), a, b),
  sum: ([x], p) => rj.sum(x, p.axes, { keepDim: p.keepDim }), mean: ([x], p) => rj.mean(x, p.axes),
  max: ([x], p) => rj.max(x, p.axes), min: ([x], p) => rj.min(x, p.axes),
  softmax: ([x], p) => rj.softmax(x, p.axis), logSoftmax: ([x], p) => rj.logSoftmax(x, p.axis),
  transpose: ([x], p) => rj.transpose(x, p.perm), slice: ([x], p) => rj.slice(x, p.begin, p.size),
  concat: (xs, p) => rj.concat(xs, p.axis), gather: ([x], p) => rj.gather(x, int(p.indices, p.indicesShape), p.axis),
  pad: ([x], p) => rj.pad(x, p.paddings, p.value), flatten: ([x]) => rj.flatten(x), expand: ([x], p) => rj.expand(x, p.shape),
  composite: ([x, w, b], p) => {
    const z = rj.logSoftmax(rj.tanh(rj.add(rj.mul(x, w), b)), 1);
    return rj.neg(rj.mean(rj.sum(rj.mul(rj.tensor(p.onehot, z.shape), z), 1)));
  },
};

it('covers every op of the fixture', () => {
  expect(golden.cases.length).toBeGreaterThan(30);
  for (const c of golden.cases) expect(OPS[c.op], c.op).toBeTypeOf('function');
});

describeEachBackend(`PyTorch ${golden.torch} goldens (core ops)`, () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const xs = c.inputs.map((i) => rj.tensor(i.data, i.shape, { requiresGrad: true }));
      const y = rj.tidy(() => {
        const out = OPS[c.op](xs, c.params);
        out.backward(rj.tensor(c.dy, out.shape));
        return out;
      });
      expect(y.shape).toEqual(c.output.shape);
      const [yv, ...gv] = await rj.readAll([y, ...xs.map((x) => x.grad ?? rj.zeros(x.shape))]);
      expectAllClose(`${c.name}: forward`, yv, c.output.data, 2e-5, 2e-6);
      c.grads.forEach((g, i) => {
        if (g) expectAllClose(`${c.name}: gradient of input ${i}`, gv[i], g, 2e-5, 2e-6);
      });
      xs.forEach((x) => { x.grad = null; x.dispose(); });
      y.dispose();
    });
  }
});

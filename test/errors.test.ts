/**
 * Bad input gets an error that names the op and the offending shapes/dtypes/values, on both backends.
 * Each case asserts the message text (substring).
 */
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';

afterAll(() => destroyGpu());

const i32 = (v: number[], shape?: number[]) => rj.tensor(v, shape, { dtype: 'int32' });

describeEachBackend('errors', (backend) => {
  it('wrong shapes', () => {
    const a = rj.zeros([2, 3]), b = rj.zeros([4]);
    expect(() => rj.add(a, b)).toThrow('add: shapes [2, 3] and [4] do not broadcast (axis 1: 3 vs 4)');
    expect(() => rj.where(rj.ones([2]), a, b)).toThrow('where: shapes [2] and [2, 3] do not broadcast');
    expect(() => rj.broadcastTo(a, [3, 3])).toThrow('broadcastTo: cannot broadcast [2,3] to [3,3]');
    expect(() => rj.concat([a, rj.zeros([3, 3])], 1)).toThrow('concat: input 1 has shape [3, 3], expected [2, -1] (any size on axis 1)');
    expect(() => rj.slice(a, [1, 1], [2, 1])).toThrow('slice: size 2 from 1 does not fit axis 0 of [2, 3]');
    expect(() => rj.slice(a, [0, 4])).toThrow('slice: begin 4 is out of range for axis 1 of [2, 3]');
    expect(() => rj.pad(a, [[1, -1]])).toThrow('pad: paddings must be non-negative integers, got [[1,-1]]');
    expect(() => rj.squeeze(a, 1)).toThrow('squeeze: axis 1 of [2, 3] has size 3, not 1');
    expect(() => rj.indexSelect(a, 0, i32([0, 1], [1, 2]))).toThrow('indexSelect: indices must be 1-D, got shape [1, 2]');
    expect(() => rj.zeros([2, 3]).backward()).toThrow('backward: tensor Tensor(#');
    const p = rj.zeros([2], { requiresGrad: true });
    expect(() => rj.mul(p, 2).backward()).toThrow('backward: implicit seed needs a scalar; got shape [2] (pass a seed gradient)');
    expect(() => rj.mul(p, 2).backward(rj.ones([3]))).toThrow('backward: seed shape [3] does not match output [2]');
    expect(() => (p.grad = rj.zeros([3]))).toThrow('grad: gradient of shape [3] (float32) does not match tensor [2] (float32)');
  });

  it('mismatched dtypes', () => {
    const f = rj.zeros([2]), n = i32([1, 2]);
    expect(() => rj.add(f, n)).toThrow('add: dtypes differ: float32 [2] vs int32 [2]');
    expect(() => rj.concat([f, n])).toThrow('concat: input 1 is int32 [2], input 0 is float32 [2]');
    expect(() => rj.gather(f, f)).toThrow('gather: indices must be int32, got float32 (shape [2])');
    expect(() => rj.where(n, f, f)).toThrow('where: condition must be float32 (0/1), got int32 [2]');
    expect(() => rj.exp(n)).toThrow('exp: not defined for int32 tensors');
    expect(() => rj.tensor([1.5], [1], { dtype: 'int32' })).toThrow('tensor: int32 tensor got non-integer value 1.5 at index 0');
    expect(() => rj.full([2], Infinity, { dtype: 'int32' })).toThrow('full: int32 fill value must be finite, got Infinity');
  });

  it('disposed tensors: the message names the op, the tensor and its shape', async () => {
    const t = rj.ones([2, 2]);
    const id = t.id;
    t.dispose();
    t.dispose(); // a second dispose is a no-op
    expect(t.isDisposed).toBe(true);
    expect(() => rj.exp(t)).toThrow(`exp: input (tensor #${id} of shape [2, 2], float32, made by full) was used after dispose()`);
    expect(() => rj.add(rj.ones([2, 2]), t)).toThrow(`add: second operand (tensor #${id} of shape [2, 2]`);
    expect(() => rj.concat([rj.ones([2, 2]), t])).toThrow(`concat: input 1 (tensor #${id}`);
    await expect(t.toArray()).rejects.toThrow(`full: tensor #${id} of shape [2, 2] (float32) was used after dispose()`);
  });

  it('backward through an intermediate that tidy already disposed', () => {
    const w = rj.ones([3], { requiresGrad: true });
    const loss = rj.tidy(() => rj.sum(rj.mul(rj.exp(w), 2)));
    expect(() => loss.backward()).toThrow('was disposed before backward() reached it; call backward() inside the tidy() that built the graph');
    expect(w.grad).toBe(null);
  });

  it('non-finite and negative seeds and offsets', () => {
    expect(() => rj.rand([2], { seed: NaN })).toThrow('rand: seed must be a finite non-negative integer, got NaN');
    expect(() => rj.randn([2], { seed: -1 })).toThrow('randn: seed must be a finite non-negative integer, got -1');
    expect(() => rj.rand([2], { seed: Infinity })).toThrow('rand: seed must be a finite non-negative integer, got Infinity');
    expect(() => rj.rand([2], { seed: 1.5 })).toThrow('rand: seed must be a finite non-negative integer, got 1.5');
    expect(() => rj.manualSeed(-3)).toThrow('manualSeed: seed must be a finite non-negative integer, got -3');
    expect(() => rj.rand([2], { seed: 1, offset: -4 })).toThrow('rand: offset must be a non-negative integer, got -4');
    expect(() => rj.randn([2], { std: NaN })).toThrow('randn: parameters must be finite, got 0, NaN');
  });

  it('bad reshape', () => {
    const x = rj.zeros([2, 3]);
    expect(() => rj.reshape(x, [4])).toThrow('reshape: cannot reshape [2, 3] (6 elements) to [4]');
    expect(() => rj.reshape(x, [4, -1])).toThrow('reshape: cannot infer -1 in [4, -1] for 6 elements');
    expect(() => rj.reshape(x, [-1, -1])).toThrow('reshape: only one dimension of [-1, -1] may be -1');
    expect(() => rj.reshape(x, [2.5, 2])).toThrow('reshape: shape [2.5, 2] must hold non-negative integers');
    expect(() => rj.tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values do not fill shape [2, 2] (4 elements)');
    expect(() => rj.tensor([[1, 2], [3]])).toThrow('tensor: ragged nested array: expected 2 items at depth 1, got 1');
  });

  it('bad axes', () => {
    const x = rj.zeros([2, 3]);
    expect(() => rj.sum(x, 2)).toThrow('sum: axis 2 is out of range for rank 2');
    expect(() => rj.max(x, [-3])).toThrow('max: axis -3 is out of range for rank 2');
    expect(() => rj.argmax(x, 1.5)).toThrow('argmax: axis 1.5 is out of range for rank 2');
    expect(() => rj.softmax(x, 4)).toThrow('softmax: axis 4 is out of range for rank 2');
    expect(() => rj.transpose(x, [0, 0])).toThrow('transpose: perm [0, 0] is not a permutation of the 2 axes of [2, 3]');
    expect(() => rj.transpose(x, [0, 2])).toThrow('transpose: axis 2 is out of range for rank 2');
    expect(() => rj.concat([x, x], 2)).toThrow('concat: axis 2 is out of range for rank 2');
    expect(() => rj.gather(x, i32([0]), -3)).toThrow('gather: axis -3 is out of range for rank 2');
    expect(() => rj.unsqueeze(x, 4)).toThrow('unsqueeze: axis 4 is out of range for rank 2 (+1)');
    expect(() => rj.flatten(x, 1, 0)).toThrow('flatten: startDim 1 comes after endDim 0 for [2, 3]');
    expect(() => rj.max(rj.zeros([2, 0]), 1)).toThrow('max: reduction over an empty axis has no identity');
  });

  it('out-of-range gather indices', async () => {
    const x = rj.tensor([1, 2, 3]);
    if (backend === 'cpu') {
      expect(() => rj.gather(x, i32([0, 3]))).toThrow('gather: index 3 at position 1 is out of range for axis 0 of size 3');
    } else {
      // A shader cannot throw: the out-of-range element is NaN, never another row's value.
      const v = await rj.gather(x, i32([2, 3, -1])).toArray();
      expect(v[0]).toBe(3);
      expect(Number.isNaN(v[1]) && Number.isNaN(v[2])).toBe(true);
    }
  });

  it('item and backend', async () => {
    await expect(rj.zeros([2]).item()).rejects.toThrow('item: expected a tensor with one element, got shape [2]');
    await expect(rj.init({ backend: 'tpu' as 'cpu' })).rejects.toThrow("init: backend must be 'webgpu' or 'cpu', got 'tpu'");
  });
});

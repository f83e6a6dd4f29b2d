/**
 * Reference kernels of the foundation: fill, random, copy, cast, unary, binary, where, strided copy.
 */
import type { TensorData } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import { fail } from '../../core/errors.js';
import { bitsToUniform, normalFromBits, philoxBits } from '../../core/random.js';
import { broadcastStrides, sizeOf, stridesOf } from '../../core/shape.js';
import { BINARY, jsBinaryI32, UNARY } from '../../core/elementwise.js';
import { cpuKernels } from './table.js';
import { dataOf, type CPUBackend } from './backend.js';
import { type StridedCopy } from '../../core/kernels.js';

function out(b: CPUBackend, shape: readonly number[], dtype: DType): TensorData {
  return { shape, dtype, storage: b.alloc(sizeOf(shape), dtype) };
}

/** Call fn(flatOut, offsets...) for every element of `shape`, with per-operand strides. */
export function forEachIndex(shape: readonly number[], strideSets: readonly (readonly number[])[], fn: (i: number, offs: number[]) => void): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = strideSets.map(() => 0);
  for (let i = 0; i < n; i++) {
    fn(i, offs);
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      for (let j = 0; j < offs.length; j++) offs[j] += strideSets[j][k];
      if (idx[k] < shape[k]) break;
      for (let j = 0; j < offs.length; j++) offs[j] -= strideSets[j][k] * shape[k];
      idx[k] = 0;
    }
  }
}

cpuKernels.register('fill', (b, _in, a) => {
  const o = out(b, a.shape, a.dtype);
  dataOf(o.storage).fill(a.value);
  return o;
});

cpuKernels.register('random', (b, _in, a) => {
  const o = out(b, a.shape, 'float32');
  const d = dataOf(o.storage);
  const bits = philoxBits(a.seed, a.offset, d.length);
  const fa = Math.fround(a.a), fb = Math.fround(a.b);
  for (let i = 0; i < d.length; i++) {
    d[i] = a.dist === 'normal' ? normalFromBits(bits[i], fa, fb) : Math.fround(fa + Math.fround(bitsToUniform(bits[i]) * Math.fround(fb - fa)));
  }
  return o;
});

cpuKernels.register('copy', (b, [x]) => {
  const o = out(b, x.shape, x.dtype);
  (dataOf(o.storage) as Float32Array).set(dataOf(x.storage) as Float32Array);
  return o;
});

cpuKernels.register('cast', (b, [x], a) => {
  const o = out(b, x.shape, a.dtype);
  const src = dataOf(x.storage), dst = dataOf(o.storage);
  for (let i = 0; i < src.length; i++) dst[i] = a.dtype === 'int32' ? Math.trunc(src[i]) : src[i];
  return o;
});

cpuKernels.register('unary', (b, [x], a) => {
  const def = UNARY[a.op];
  if (x.dtype === 'int32' && !def.i32) fail(a.op, `not defined for int32 tensors`);
  const o = out(b, x.shape, x.dtype);
  const src = dataOf(x.storage), dst = dataOf(o.storage);
  for (let i = 0; i < src.length; i++) dst[i] = def.js(src[i]);
  return o;
});

cpuKernels.register('binary', (b, [x, y], a) => {
  const def = BINARY[a.op];
  if (x.dtype === 'int32' && !def.i32) fail(a.op, `not defined for int32 tensors`);
  const f = x.dtype === 'int32' ? jsBinaryI32(a.op) : def.js;
  const o = out(b, a.shape, def.compare ? 'float32' : x.dtype);
  const xs = dataOf(x.storage), ys = dataOf(y.storage), d = dataOf(o.storage);
  forEachIndex(a.shape, [broadcastStrides(x.shape, a.shape), broadcastStrides(y.shape, a.shape)], (i, [ox, oy]) => {
    d[i] = f(xs[ox], ys[oy]);
  });
  return o;
});

cpuKernels.register('where', (b, [c, x, y], a) => {
  const o = out(b, a.shape, x.dtype);
  const cs = dataOf(c.storage), xs = dataOf(x.storage), ys = dataOf(y.storage), d = dataOf(o.storage);
  forEachIndex(a.shape, [broadcastStrides(c.shape, a.shape), broadcastStrides(x.shape, a.shape), broadcastStrides(y.shape, a.shape)], (i, [oc, ox, oy]) => {
    d[i] = cs[oc] !== 0 ? xs[ox] : ys[oy];
  });
  return o;
});

export function cpuStridedCopy(x: TensorData, o: TensorData, c: StridedCopy): void {
  const src = dataOf(x.storage), dst = dataOf(o.storage);
  forEachIndex(c.shape, [c.xStrides, c.outStrides], (_i, [ox, oo]) => {
    dst[c.outBase + oo] = src[c.xBase + ox];
  });
}

cpuKernels.register('stridedCopy', (b, [x], a) => {
  const o = out(b, a.outShape, x.dtype);
  if (a.init !== undefined) dataOf(o.storage).fill(a.init);
  cpuStridedCopy(x, o, a);
  return o;
});

export { stridesOf };

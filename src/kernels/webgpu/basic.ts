/**
 * WebGPU kernels of the foundation: fill, random, copy, cast, unary, binary, where, strided copy.
 */
import binarySrc from '../../../shaders/binary.wgsl';
import copyStridedSrc from '../../../shaders/copy_strided.wgsl';
import fillSrc from '../../../shaders/fill.wgsl';
import randomSrc from '../../../shaders/random.wgsl';
import unarySrc from '../../../shaders/unary.wgsl';
import whereSrc from '../../../shaders/where.wgsl';
import type { TensorData } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import { fail } from '../../core/errors.js';
import { splitSeed } from '../../core/random.js';
import { broadcastStrides, sizeOf, stridesOf } from '../../core/shape.js';
import { BINARY, collapseAxes, UNARY } from '../../core/elementwise.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { Uniforms } from './program.js';
import { type StridedCopy } from '../../core/kernels.js';

const wgsl = (d: DType) => (d === 'int32' ? 'i32' : 'f32');
export const groups256 = (n: number): [number] => [Math.ceil(n / 256)];


function out(b: WebGPUBackend, shape: readonly number[], dtype: DType): TensorData {
  return { shape, dtype, storage: b.alloc(sizeOf(shape), dtype) };
}

export function gpuFill(b: WebGPUBackend, o: TensorData, value: number): void {
  const n = sizeOf(o.shape);
  const bits = new DataView(new ArrayBuffer(4));
  if (o.dtype === 'int32') bits.setInt32(0, value, true);
  else bits.setFloat32(0, value, true);
  b.run({
    key: `fill/${o.dtype}`, file: 'fill.wgsl', source: fillSrc, defines: { T: wgsl(o.dtype) },
    inputs: [], outputs: [o.storage], uniforms: new Uniforms().u32(n).u32(bits.getUint32(0, true)), workgroups: groups256(n),
  });
}

/** Record a strided copy from x into out (both storages already allocated). */
export function gpuStridedCopy(b: WebGPUBackend, x: TensorData, o: TensorData, c: StridedCopy): void {
  const n = sizeOf(c.shape);
  if (n === 0) return;
  const col = collapseAxes(c.shape, [[...c.xStrides], [...c.outStrides]]);
  if (col.shape.length > 8) fail('copy', `rank ${col.shape.length} after collapsing exceeds 8`);
  b.run({
    key: `copy_strided/${x.dtype}`, file: 'copy_strided.wgsl', source: copyStridedSrc, defines: { T: wgsl(x.dtype) },
    inputs: [x.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(col.shape.length).u32(c.xBase).u32(c.outBase).vec8u(col.shape).vec8u(col.strides[0]).vec8u(col.strides[1]),
    workgroups: groups256(n),
  });
}

webgpuKernels.register('fill', (b, _in, a) => {
  const o = out(b, a.shape, a.dtype);
  gpuFill(b, o, a.value);
  return o;
});

webgpuKernels.register('random', (b, _in, a) => {
  const o = out(b, a.shape, 'float32');
  const n = sizeOf(a.shape);
  const [k0, k1] = splitSeed('random', a.seed);
  const normal = a.dist === 'normal' ? 1 : 0;
  b.run({
    key: `random/${a.dist}`, file: 'random.wgsl', source: randomSrc, defines: { NORMAL: normal },
    inputs: [b.normalTable()], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(k0).u32(k1).u32(a.offset >>> 0).u32(Math.floor(a.offset / 2 ** 32)).f32(a.a).f32(a.b),
    workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('copy', (b, [x]) => {
  const o = out(b, x.shape, x.dtype);
  b.copy(x.storage, o.storage, sizeOf(x.shape) * 4);
  return o;
});

webgpuKernels.register('cast', (b, [x], a) => {
  const o = out(b, x.shape, a.dtype);
  const n = sizeOf(x.shape);
  // float → int truncates toward zero (as PyTorch's .int()); WGSL's conversion does the same.
  b.run({
    key: `cast/${x.dtype}/${a.dtype}`, file: 'unary.wgsl', source: unarySrc, defines: { T: wgsl(x.dtype), TO: wgsl(a.dtype), EXPR: `${wgsl(a.dtype)}(v)` },
    inputs: [x.storage], outputs: [o.storage], uniforms: new Uniforms().u32(n), workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('unary', (b, [x], a) => {
  const def = UNARY[a.op];
  const expr = x.dtype === 'int32' ? def.i32 : def.f32;
  if (!expr) fail(a.op, `not defined for ${x.dtype} tensors`);
  const o = out(b, x.shape, x.dtype);
  const n = sizeOf(x.shape);
  b.run({
    key: `unary/${a.op}/${x.dtype}`, file: 'unary.wgsl', source: unarySrc, defines: { T: wgsl(x.dtype), TO: wgsl(x.dtype), EXPR: expr },
    inputs: [x.storage], outputs: [o.storage], uniforms: new Uniforms().u32(n), workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('binary', (b, [x, y], a) => {
  const def = BINARY[a.op];
  const expr = x.dtype === 'int32' ? def.i32 : def.f32;
  if (!expr) fail(a.op, `not defined for ${x.dtype} tensors`);
  const dtypeOut: DType = def.compare ? 'float32' : x.dtype;
  const o = out(b, a.shape, dtypeOut);
  const n = sizeOf(a.shape);
  const col = collapseAxes(a.shape, [broadcastStrides(x.shape, a.shape), broadcastStrides(y.shape, a.shape)]);
  const same = col.shape.length <= 1 && sizeOf(x.shape) === n && sizeOf(y.shape) === n;
  b.run({
    key: `binary/${a.op}/${x.dtype}/${same ? 0 : 1}`, file: 'binary.wgsl', source: binarySrc,
    defines: { T: wgsl(x.dtype), TO: wgsl(dtypeOut), EXPR: expr, BROADCAST: same ? 0 : 1 },
    inputs: [x.storage, y.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(col.shape.length).vec8u(col.shape).vec8u(col.strides[0]).vec8u(col.strides[1]),
    workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('where', (b, [c, x, y], a) => {
  const o = out(b, a.shape, x.dtype);
  const n = sizeOf(a.shape);
  const col = collapseAxes(a.shape, [broadcastStrides(c.shape, a.shape), broadcastStrides(x.shape, a.shape), broadcastStrides(y.shape, a.shape)]);
  b.run({
    key: `where/${x.dtype}`, file: 'where.wgsl', source: whereSrc, defines: { T: wgsl(x.dtype) },
    inputs: [c.storage, x.storage, y.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(col.shape.length).vec8u(col.shape).vec8u(col.strides[0]).vec8u(col.strides[1]).vec8u(col.strides[2]),
    workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('stridedCopy', (b, [x], a) => {
  const o = out(b, a.outShape, x.dtype);
  if (a.init !== undefined) gpuFill(b, o, a.init);
  gpuStridedCopy(b, x, o, a);
  return o;
});

export { stridesOf };

/**
 * WebGPU gather along an axis and its deterministic backward, scatter-add: a counting sort of the
 * indices into segments (index_sort.wgsl), then one invocation per gradient element summing its
 * segment in index order (segment_sum.wgsl).
 */
import gatherSrc from '../../../shaders/gather.wgsl';
import indexSortSrc from '../../../shaders/index_sort.wgsl';
import segmentSumSrc from '../../../shaders/segment_sum.wgsl';
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { gatherShape, planGather } from '../../core/gather-plan.js';
import { webgpuKernels } from './table.js';
import { gpuFill, groups256 } from './basic.js';
import { Uniforms } from './program.js';

/** Bits written for an out-of-range index: a quiet NaN, or -2^31 for int32. */
const POISON = { float32: 0x7fc00000, int32: 0x80000000 };

webgpuKernels.register('gather', (b, [x, idx], a) => {
  const nIdx = sizeOf(idx.shape);
  const shape = gatherShape(x.shape, a.axis, idx.shape);
  const o: TensorData = { shape, dtype: x.dtype, storage: b.alloc(sizeOf(shape), x.dtype) };
  const p = planGather(x.shape, a.axis, nIdx);
  const n = p.outer * nIdx * p.inner;
  if (n === 0) return o;
  const T = x.dtype === 'int32' ? 'i32' : 'f32';
  b.run({
    key: `gather/${x.dtype}`, file: 'gather.wgsl', source: gatherSrc, defines: { T },
    inputs: [x.storage, idx.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(p.inner).u32(nIdx).u32(x.shape[a.axis]).u32(POISON[x.dtype]),
    workgroups: groups256(n),
  });
  return o;
});

webgpuKernels.register('scatterAdd', (b, [g, idx], a) => {
  const nIdx = sizeOf(idx.shape);
  const shape = [...g.shape.slice(0, a.axis), a.axisLen, ...g.shape.slice(a.axis + idx.shape.length)];
  const o: TensorData = { shape, dtype: g.dtype, storage: b.alloc(sizeOf(shape), g.dtype) };
  const p = planGather(shape, a.axis, nIdx);
  const n = sizeOf(shape);
  if (n === 0) return o;
  if (nIdx === 0 || p.inner === 0) {
    gpuFill(b, o, 0);
    return o;
  }
  const csr = b.alloc(a.axisLen + 1 + nIdx, 'int32');
  b.run({
    key: 'index_sort', file: 'index_sort.wgsl', source: indexSortSrc,
    inputs: [idx.storage], outputs: [csr], uniforms: new Uniforms().u32(nIdx).u32(a.axisLen), workgroups: groups256(a.axisLen),
  });
  const T = g.dtype === 'int32' ? 'i32' : 'f32';
  b.run({
    key: `segment_sum/${g.dtype}`, file: 'segment_sum.wgsl', source: segmentSumSrc, defines: { T },
    inputs: [g.storage, csr], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(p.inner).u32(nIdx).u32(a.axisLen),
    workgroups: groups256(n),
  });
  // Safe before the dispatches run: the pool hands this buffer out again only to work recorded later.
  b.release(csr);
  return o;
});

/**
 * WebGPU 2-D pooling (max, average, adaptive average): forward with argmax indices, backward as a
 * deterministic gather over the windows containing each input element (shaders/pool2d*.wgsl).
 */
import poolSrc from '../../../shaders/pool2d.wgsl';
import poolBwdSrc from '../../../shaders/pool2d_backward.wgsl';
import poolBwdMax2Src from '../../../shaders/pool2d_backward_max2.wgsl';
import poolMax2Src from '../../../shaders/pool2d_max2.wgsl';
import poolBwdGlobalSrc from '../../../shaders/pool2d_backward_global.wgsl';
import type { TensorData } from '../../core/backend.js';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import { groups256 } from './basic.js';
import { Uniforms } from './program.js';
import { type PoolMode, type Pool2dAttrs } from '../../core/kernels.js';

export const POOL_CODE: Record<PoolMode, number> = { max: 0, avg: 1, adaptive: 2 };


function poolUniforms(total: number, h: number, w: number, a: Pool2dAttrs): Uniforms {
  return new Uniforms().u32(total).i32(h).i32(w).i32(a.outH).i32(a.outW).i32(a.kh).i32(a.kw).i32(a.sh).i32(a.sw).i32(a.ph).i32(a.pw).u32(a.countIncludePad ? 1 : 0);
}

/** 2×2 windows of stride 2 without padding that tile an H × W input exactly: pool2d_max2.wgsl and its backward. */
const isMax2 = (a: Pool2dAttrs, h: number, w: number): boolean =>
  a.kh === 2 && a.kw === 2 && a.sh === 2 && a.sw === 2 && a.ph === 0 && a.pw === 0 && h === 2 * a.outH && w === 2 * a.outW;

/** Input [x]; outputs [y] (and [y, argmax] for max pooling, int32 flat indices h·W + w per plane). */
webgpuKernels.register('pool2d', (b, [x], a) => {
  const [n, c, h, w] = x.shape;
  const shape = [n, c, a.outH, a.outW];
  const total = sizeOf(shape);
  const y: TensorData = { shape, dtype: 'float32', storage: b.alloc(total, 'float32') };
  const max = a.mode === 'max';
  const idx: TensorData = { shape, dtype: 'int32', storage: b.alloc(max ? total : 1, 'int32') };
  if (max && isMax2(a, h, w)) {
    b.run({
      key: 'pool2d_max2', file: 'pool2d_max2.wgsl', source: poolMax2Src,
      inputs: [x.storage], outputs: [y.storage, idx.storage], uniforms: new Uniforms().u32(n * c * a.outH).u32(a.outH).u32(a.outW), workgroups: [Math.ceil((n * c * a.outH) / 64)],
    });
    return [y, idx];
  }
  b.run({
    key: `pool2d/${a.mode}`, file: 'pool2d.wgsl', source: poolSrc, defines: { MODE: POOL_CODE[a.mode] },
    inputs: [x.storage], outputs: [y.storage, idx.storage], uniforms: poolUniforms(total, h, w, a), workgroups: groups256(total),
  });
  if (max) return [y, idx];
  b.release(idx.storage); // scratch: average modes never write it
  return [y];
});

/** Inputs [dy, argmax?] (argmax for max pooling), attrs + the input shape; output dx. */
webgpuKernels.register('pool2dBackward', (b, [dy, idx], a) => {
  const [, , h, w] = a.inShape;
  const total = sizeOf(a.inShape);
  const dx: TensorData = { shape: a.inShape, dtype: 'float32', storage: b.alloc(total, 'float32') };
  if (a.mode === 'max' && isMax2(a, h, w)) {
    const windows = sizeOf(dy.shape);
    b.run({
      key: 'pool2d_backward_max2', file: 'pool2d_backward_max2.wgsl', source: poolBwdMax2Src,
      inputs: [dy.storage, idx!.storage], outputs: [dx.storage], uniforms: new Uniforms().u32(windows / a.outW).u32(a.outH).u32(a.outW), workgroups: [Math.ceil(windows / a.outW / 64)],
    });
    return dx;
  }
  if (a.mode === 'adaptive' && a.outH === 1 && a.outW === 1) {
    const planes = sizeOf(dy.shape);
    b.run({
      key: 'pool2d_backward_global', file: 'pool2d_backward_global.wgsl', source: poolBwdGlobalSrc,
      inputs: [dy.storage], outputs: [dx.storage], uniforms: new Uniforms().u32(planes).u32(h * w), workgroups: [Math.ceil(planes / 64)],
    });
    return dx;
  }
  // The general kernel. Windows that tile the input exactly take its one-lookup path (see the
  // shader); adaptive windows are then sh × sw with sh = H / OH (mean over exactly that many).
  const adaptiveTiles = a.mode === 'adaptive' && h % a.outH === 0 && w % a.outW === 0;
  const fullWindows = a.outH * a.sh <= h && a.outW * a.sw <= w;
  const tiled = adaptiveTiles || (a.mode !== 'adaptive' && a.kh === a.sh && a.kw === a.sw && a.ph === 0 && a.pw === 0 && fullWindows);
  const geom = adaptiveTiles ? { ...a, kh: h / a.outH, sh: h / a.outH, kw: w / a.outW, sw: w / a.outW, ph: 0, pw: 0 } : a;
  b.run({
    key: `pool2d_backward/${a.mode}${tiled ? '/tiled' : ''}`, file: 'pool2d_backward.wgsl', source: poolBwdSrc, defines: { MODE: POOL_CODE[a.mode], TILED: tiled ? 1 : 0 },
    inputs: [dy.storage, (idx ?? dy).storage], outputs: [dx.storage], uniforms: poolUniforms(total, h, w, geom), workgroups: groups256(total),
  });
  return dx;
});

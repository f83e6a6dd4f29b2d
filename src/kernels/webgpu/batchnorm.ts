/**
 * WebGPU batch-norm kernels: per-channel statistics (+ running update), the normalizing map, and the
 * backward pass as one per-channel reduction plus one elementwise kernel.
 * Tensors are [N, C, ...spatial] contiguous, seen as [n, c, hw].
 */
import applySrc from '../../../shaders/bn_apply.wgsl';
import bwdApplySrc from '../../../shaders/bn_backward_apply.wgsl';
import bwdReduceSrc from '../../../shaders/bn_backward_reduce.wgsl';
import statsSrc from '../../../shaders/bn_stats.wgsl';
import type { TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { Uniforms } from './program.js';
import { bnDims } from '../../core/kernels.js';



// Workgroup size of the per-channel reductions. Tree steps cost one barrier each, which CPU adapters
// emulate slowly, so they get fewer invocations per channel. Tests force each size on any adapter.
let forcedWG: number | null = null;
export function setBnReduceWorkgroup(size: 64 | 256 | null): void {
  forcedWG = size;
}
const reduceWG = (b: WebGPUBackend): number => forcedWG ?? (b.info().isSoftware ? 64 : 256);

// The kernels load four elements at a time when a channel's plane is a multiple of 4 long (all four
// then share one channel).
const vecWidth = (hw: number): 1 | 4 => (hw % 4 === 0 ? 4 : 1);
const vecDefines = (v: 1 | 4) => ({ V: v, VT: v === 4 ? 'vec4<f32>' : 'f32' });
// The elementwise kernels run one invocation per (n, c) plane (see bn_apply.wgsl).
const planeGroups = (n: number, c: number): [number] => [Math.ceil((n * c) / 64)];
// The reductions add a load's elements up at the end (HSUM, of `v`), and take whole planes per
// invocation with the CPU adapters' workgroup of 64, a strided walk with the GPUs' 256 (the tests
// force each size, so both run everywhere).
const reduceDefines = (wg: number, v: 1 | 4) => ({
  WG: wg, BY_PLANE: wg === 64 ? 1 : 0, ...vecDefines(v), HSUM: v === 4 ? 'v.x + v.y + v.z + v.w' : 'v', FIRST: v === 4 ? 'v.x' : 'v',
});

function channels(b: WebGPUBackend, op: string, c: number): number {
  if (c > b.device.limits.maxComputeWorkgroupsPerDimension) fail(op, `${c} channels exceed the ${b.device.limits.maxComputeWorkgroupsPerDimension} workgroups of one dispatch dimension`);
  return c;
}

webgpuKernels.register('bnStats', (b, [x, rm, rv], a) => {
  const { n, c, hw, m } = bnDims(x.shape);
  const mean: TensorData = { shape: [2, c], dtype: 'float32', storage: b.alloc(2 * c, 'float32') };
  const invstd: TensorData = { shape: [c], dtype: 'float32', storage: b.alloc(c, 'float32') };
  const update = rm !== undefined;
  // Without running statistics the writable bindings still need distinct buffers: scratch ones.
  const rms = update ? rm.storage : b.alloc(c, 'float32');
  const rvs = update ? rv.storage : b.alloc(c, 'float32');
  const wg = reduceWG(b), v = vecWidth(hw);
  b.run({
    key: `bn_stats/${wg}/${v}`, file: 'bn_stats.wgsl', source: statsSrc, defines: reduceDefines(wg, v),
    inputs: [x.storage], outputs: [mean.storage, invstd.storage, rms, rvs],
    uniforms: new Uniforms().u32(n).u32(c).u32(hw).u32(m).f32(a.eps).f32(a.momentum).f32(1 - a.momentum).f32(m / Math.max(m - 1, 1)).u32(update ? 1 : 0),
    workgroups: [channels(b, 'batchNorm', c)],
  });
  if (!update) {
    b.release(rms);
    b.release(rvs);
  }
  return [mean, invstd];
});

webgpuKernels.register('bnApply', (b, [x, mean, stat, w, bias], a) => {
  const { n, c, hw } = bnDims(x.shape);
  const total = sizeOf(x.shape);
  const y: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(total, 'float32') };
  const v = vecWidth(hw);
  b.run({
    key: `bn_apply/${v}`, file: 'bn_apply.wgsl', source: applySrc, defines: vecDefines(v),
    inputs: [x.storage, mean.storage, stat.storage, a.affine ? w.storage : stat.storage, a.affine ? bias.storage : mean.storage], outputs: [y.storage],
    uniforms: new Uniforms().u32(n * c).u32(c).u32(hw).u32(a.fromVar ? 1 : 0).u32(a.affine ? 1 : 0).u32(a.relu ? 1 : 0).f32(a.eps),
    workgroups: planeGroups(n, c),
  });
  return y;
});

webgpuKernels.register('bnBackwardReduce', (b, [x, dy, mean, stat, y], a) => {
  const { n, c, hw, m } = bnDims(x.shape);
  const gsum: TensorData = { shape: [c], dtype: 'float32', storage: b.alloc(c, 'float32') };
  const gdot: TensorData = { shape: [c], dtype: 'float32', storage: b.alloc(c, 'float32') };
  const wg = reduceWG(b), v = vecWidth(hw);
  b.run({
    key: `bn_backward_reduce/${wg}/${v}`, file: 'bn_backward_reduce.wgsl', source: bwdReduceSrc, defines: reduceDefines(wg, v),
    inputs: [x.storage, dy.storage, mean.storage, stat.storage, (a.relu ? y : dy).storage], outputs: [gsum.storage, gdot.storage],
    uniforms: new Uniforms().u32(n).u32(c).u32(hw).u32(m).u32(a.fromVar ? 1 : 0).u32(a.relu ? 1 : 0).f32(a.eps),
    workgroups: [channels(b, 'batchNorm backward', c)],
  });
  return [gsum, gdot];
});

webgpuKernels.register('bnBackwardApply', (b, inputs, a) => {
  const [x, dy, mean, stat] = inputs;
  const rest = inputs.slice(4);
  const w = a.affine ? rest.shift()! : stat;
  // Eval mode needs no reductions; `mean` fills their (unread) bindings.
  const [gsum, gdot] = a.training ? [rest.shift()!, rest.shift()!] : [mean, mean];
  const y = a.relu ? rest.shift()! : dy;
  const { n, c, hw, m } = bnDims(x.shape);
  const total = sizeOf(x.shape);
  const dx: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(total, 'float32') };
  const v = vecWidth(hw);
  b.run({
    key: `bn_backward_apply/${v}`, file: 'bn_backward_apply.wgsl', source: bwdApplySrc, defines: vecDefines(v),
    inputs: [x.storage, dy.storage, mean.storage, stat.storage, w.storage, gsum.storage, gdot.storage, y.storage], outputs: [dx.storage],
    uniforms: new Uniforms().u32(n * c).u32(c).u32(hw).u32(m).u32(a.fromVar ? 1 : 0).u32(a.affine ? 1 : 0).u32(a.training ? 1 : 0).u32(a.relu ? 1 : 0).f32(a.eps),
    workgroups: planeGroups(n, c),
  });
  return dx;
});

/**
 * Shape ops: transpose/permute, slice, concat, gather/indexSelect, pad, flatten, squeeze/unsqueeze,
 * expand. Forward and backward side by side. Data movement goes through the generic strided copy
 * (shaders/copy_strided.wgsl) except gather, which has its own kernels (gather.wgsl, and the
 * deterministic scatter-add of its backward).
 */
import type { ConcatAttrs } from '../core/concat-plan.js';
import type { GatherAttrs, ScatterAddAttrs } from '../core/gather-plan.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import { normalizeAxes, sizeOf, stridesOf } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { reshape } from './creation.js';
import { broadcastTo } from './reduce.js';
import { checkDType, checkTensor, run } from './util.js';

/** One axis, negative counting from the end; `rank` may be extended by `extra` (unsqueeze). */
function axisOf(op: string, axis: number, rank: number, extra = 0): number {
  const r = rank + extra;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) fail(op, `axis ${axis} is out of range for rank ${rank}${extra ? ` (+${extra})` : ''}`);
  return axis < 0 ? axis + r : axis;
}

// --- transpose / permute -------------------------------------------------------------------------

/** Reorder axes: out.shape[i] = x.shape[perm[i]]; default reverses them. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor('transpose', x);
  const p = perm ? perm.map((a) => axisOf('transpose', a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    fail('transpose', `perm ${fmtShape(perm ?? [])} is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
  }
  const shape = p.map((a) => x.shape[a]);
  const xs = stridesOf(x.shape);
  const out = run('transpose', 'stridedCopy', [x], {
    shape, xStrides: p.map((a) => xs[a]), xBase: 0, outStrides: stridesOf(shape), outBase: 0, outShape: shape,
  });
  return record('transpose', [x], out, (g) => {
    const inv = new Array<number>(p.length);
    p.forEach((a, i) => (inv[a] = i));
    return [transpose(g, inv)];
  });
}
export const permute = transpose;

// --- slice and pad (each other's backward) -------------------------------------------------------

/**
 * `slice(x, begin, size)`: begin per axis (negative counts from the end; missing axes start at 0),
 * size per axis (-1 or missing: to the end).
 */
export function slice(x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  checkTensor('slice', x);
  const b = typeof begin === 'number' ? [begin] : [...begin];
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : [...size];
  if (b.length > x.rank || s.length > x.rank) {
    fail('slice', `begin ${fmtShape(b)} / size ${fmtShape(s)} have more entries than the rank of ${fmtShape(x.shape)}`);
  }
  const start = x.shape.map((d, i) => {
    const v = b[i] ?? 0;
    const r = v < 0 ? v + d : v;
    if (!Number.isInteger(v) || r < 0 || r > d) fail('slice', `begin ${v} is out of range for axis ${i} of ${fmtShape(x.shape)}`);
    return r;
  });
  const len = x.shape.map((d, i) => {
    const v = s[i] ?? -1;
    const r = v === -1 ? d - start[i] : v;
    if (!Number.isInteger(r) || r < 0 || start[i] + r > d) {
      fail('slice', `size ${v} from ${start[i]} does not fit axis ${i} of ${fmtShape(x.shape)}`);
    }
    return r;
  });
  return sliceKernel(x, start, len);
}

/** `sliceTo(x, begin, end)`: Python-style [begin, end) per axis, negative indices from the end. */
export function sliceTo(x: Tensor, begin: readonly number[], end: readonly number[]): Tensor {
  checkTensor('sliceTo', x);
  if (begin.length > x.rank || end.length > x.rank) {
    fail('sliceTo', `begin ${fmtShape(begin)} / end ${fmtShape(end)} have more entries than the rank of ${fmtShape(x.shape)}`);
  }
  const norm = (v: number, d: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
  const start = x.shape.map((d, i) => norm(begin[i] ?? 0, d));
  const stop = x.shape.map((d, i) => norm(end[i] ?? d, d));
  for (const v of [...begin, ...end]) if (!Number.isInteger(v)) fail('sliceTo', `indices must be integers, got ${v}`);
  return sliceKernel(x, start, start.map((s, i) => Math.max(0, stop[i] - s)));
}

function sliceKernel(x: Tensor, start: number[], len: number[]): Tensor {
  const xs = stridesOf(x.shape);
  const out = run('slice', 'stridedCopy', [x], {
    shape: len, xStrides: xs, xBase: start.reduce((acc, v, i) => acc + v * xs[i], 0), outStrides: stridesOf(len), outBase: 0, outShape: len,
  });
  return record('slice', [x], out, (g) => [pad(g, x.shape.map((d, i) => [start[i], d - start[i] - len[i]] as [number, number]))]);
}

/** Pad each axis with [before, after] elements of `value` (missing axes: no padding). */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  checkTensor('pad', x);
  if (paddings.length > x.rank) fail('pad', `${paddings.length} paddings for a tensor of rank ${x.rank} ${fmtShape(x.shape)}`);
  const pads = x.shape.map((_, i) => paddings[i] ?? [0, 0]);
  for (const [bf, af] of pads) {
    if (!Number.isInteger(bf) || !Number.isInteger(af) || bf < 0 || af < 0) {
      fail('pad', `paddings must be non-negative integers, got ${JSON.stringify(paddings)}`);
    }
  }
  if (!Number.isFinite(value) && x.dtype === 'int32') fail('pad', `int32 pad value must be finite, got ${value}`);
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const os = stridesOf(shape);
  const out = run('pad', 'stridedCopy', [x], {
    shape: x.shape, xStrides: stridesOf(x.shape), xBase: 0, outStrides: os, outBase: pads.reduce((acc, p, i) => acc + p[0] * os[i], 0),
    outShape: shape, init: value,
  });
  return record('pad', [x], out, (g) => [sliceKernel(g, pads.map((p) => p[0]), [...x.shape])]);
}

// --- concat --------------------------------------------------------------------------------------

/** Join tensors along `axis`; all other axes must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!xs || xs.length === 0) fail('concat', 'needs at least one tensor');
  xs.forEach((x, i) => checkTensor('concat', x, `input ${i}`));
  const first = xs[0];
  const ax = axisOf('concat', axis, first.rank);
  xs.forEach((x, i) => {
    if (x.dtype !== first.dtype) fail('concat', `input ${i} is ${x.dtype} ${fmtShape(x.shape)}, input 0 is ${first.dtype} ${fmtShape(first.shape)}`);
    if (x.rank !== first.rank || x.shape.some((d, k) => k !== ax && d !== first.shape[k])) {
      fail('concat', `input ${i} has shape ${fmtShape(x.shape)}, expected ${fmtShape(first.shape.map((d, k) => (k === ax ? -1 : d)))} (any size on axis ${ax})`);
    }
  });
  const outShape = first.shape.map((d, k) => (k === ax ? xs.reduce((acc, x) => acc + x.shape[ax], 0) : d));
  const attrs: ConcatAttrs = { axis: ax, outShape };
  const out = run('concat', 'concat', xs, attrs);
  return record('concat', xs, out, (g) => {
    let at = 0;
    return xs.map((x) => {
      const begin = x.shape.map((_, k) => (k === ax ? at : 0));
      at += x.shape[ax];
      return x.requiresGrad ? sliceKernel(g, begin, [...x.shape]) : null;
    });
  });
}

// --- gather / indexSelect ------------------------------------------------------------------------

/**
 * Pick entries along `axis` by int32 `indices` (any shape): the result has x's shape with `axis`
 * replaced by indices' shape (tfjs `gather`). Indices must lie in [0, x.shape[axis]): the reference
 * backend throws otherwise; WebGPU cannot raise from a shader and writes NaN (int32: -2^31) there.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  checkTensor('gather', x);
  checkTensor('gather', indices, 'indices');
  checkDType('gather', indices, 'int32', 'indices');
  if (x.rank === 0) fail('gather', `cannot gather from a scalar ${fmtShape(x.shape)}`);
  const ax = axisOf('gather', axis, x.rank);
  if (x.shape[ax] === 0 && indices.size > 0) fail('gather', `axis ${ax} of ${fmtShape(x.shape)} is empty`);
  const attrs: GatherAttrs = { axis: ax };
  const out = run('gather', 'gather', [x, indices], attrs);
  // indices are listed as an input (with no gradient) so that the graph holds on to them.
  return record('gather', [x, indices], out, (g) => [scatterAdd(g, indices, ax, x.shape[ax]), null]);
}

/** PyTorch's index_select: gather with a 1-D index tensor. */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  checkTensor('indexSelect', indices, 'indices');
  if (indices.rank !== 1) fail('indexSelect', `indices must be 1-D, got shape ${fmtShape(indices.shape)}`);
  return gather(x, indices, axis);
}

/**
 * The adjoint of gather: out has g's shape with the index axes folded back to one axis of `axisLen`,
 * out[.., a, ..] = Σ over j with indices[j] = a of g[.., j, ..], summed in increasing j (deterministic).
 */
export function scatterAdd(g: Tensor, indices: Tensor, axis: number, axisLen: number): Tensor {
  checkTensor('scatterAdd', g);
  checkTensor('scatterAdd', indices, 'indices');
  checkDType('scatterAdd', indices, 'int32', 'indices');
  const r = indices.rank;
  if (!Number.isInteger(axis) || axis < 0 || axis + r > g.rank) fail('scatterAdd', `axis ${axis} with ${r}-D indices does not fit ${fmtShape(g.shape)}`);
  if (g.shape.slice(axis, axis + r).some((d, k) => d !== indices.shape[k])) {
    fail('scatterAdd', `g ${fmtShape(g.shape)} does not hold indices ${fmtShape(indices.shape)} at axis ${axis}`);
  }
  if (!Number.isInteger(axisLen) || axisLen < 0) fail('scatterAdd', `axisLen must be a non-negative integer, got ${axisLen}`);
  const attrs: ScatterAddAttrs = { axis, axisLen };
  const out = run('scatterAdd', 'scatterAdd', [g, indices], attrs);
  return record('scatterAdd', [g, indices], out, (gg) => [gather(gg, indices, axis), null]);
}

// --- views: flatten, squeeze, unsqueeze, expand ---------------------------------------------------

/** Merge axes startDim..endDim (inclusive) into one. */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  checkTensor('flatten', x);
  if (x.rank === 0) return reshape(x, [1]);
  const s = axisOf('flatten', startDim, x.rank), e = axisOf('flatten', endDim, x.rank);
  if (s > e) fail('flatten', `startDim ${startDim} comes after endDim ${endDim} for ${fmtShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Drop size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor('squeeze', x);
  const ax = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axes, x.rank);
  for (const a of ax) if (x.shape[a] !== 1) fail('squeeze', `axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => !ax.includes(i)));
}

/** Insert a size-1 axis at `axis` (of the result; negative counts from its end). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', x);
  const a = axisOf('unsqueeze', axis, x.rank, 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** PyTorch's expand: broadcast to `shape`, where -1 keeps an axis (materialized, differentiable). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', x);
  const off = shape.length - x.rank;
  if (off < 0) fail('expand', `cannot expand ${fmtShape(x.shape)} to fewer axes ${fmtShape(shape)}`);
  return broadcastTo(x, shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d)));
}

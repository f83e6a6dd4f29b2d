/**
 * The device side of Neural Rejuvenation as plain functions over tensors: the all-layer γ statistics
 * (monitoring, docs/method.md §3.5) and the two surgery kernels (gather of survived blocks, masked
 * initialization of the widened tensors, §7.5). No autograd: these run outside the tape.
 */
import { runKernel, runKernelMulti } from '../tensor/dispatch.js';
import { fail, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../ops/creation.js';
import type { MaskedInitAttrs } from '../core/kernels.js';

export const LIVE_THRES = 1e-2;
export const ALL_DEAD_THRES = 1e-3;

/** What the γ-statistics kernel needs to know about the layers, in topological order. */
export interface GammaLayout {
  /** Channels (γ length) per layer. */
  lengths: readonly number[];
  /** Fixed layers never die (method §3.2). */
  fixed: readonly boolean[];
  /** Producer layers whose outputs form each layer's input; [] = the image or a residual stream (always alive). */
  deps: readonly (readonly number[])[];
}

/** The kernel's layer table: five words per layer (offset, length, fixed, depStart, depCount), then the dep lists. */
export function packLayout(layout: GammaLayout): Int32Array {
  const L = layout.lengths.length;
  if (layout.fixed.length !== L || layout.deps.length !== L) {
    fail('nrGammaStats', `layout arrays differ in length: lengths ${L}, fixed ${layout.fixed.length}, deps ${layout.deps.length}`);
  }
  const words: number[] = [];
  const depWords: number[] = [];
  let off = 0;
  for (let l = 0; l < L; l++) {
    for (const d of layout.deps[l]) {
      if (!(d >= 0 && d < l)) fail('nrGammaStats', `layer ${l} depends on layer ${d}; producers must come earlier (topological order)`);
    }
    words.push(off, layout.lengths[l], layout.fixed[l] ? 1 : 0, 5 * L + depWords.length, layout.deps[l].length);
    depWords.push(...layout.deps[l]);
    off += layout.lengths[l];
  }
  return Int32Array.from([...words, ...depWords]);
}

export interface GammaStats {
  /** 1 = alive, 0 = dead, per channel of the concatenated γ (stays on device). */
  mask: Tensor;
  /** Per-layer max |γ|. */
  maxes: Tensor;
  /** Per-layer alive count (float32, exact). The only thing the monitor reads back each step. */
  counts: Tensor;
}

/** Dead-neuron statistics of every layer in one dispatch. `info` is `packLayout(layout)` on device. */
export function gammaStats(gammas: readonly Tensor[], info: Tensor, layout: GammaLayout): GammaStats {
  if (gammas.length !== layout.lengths.length) fail('nrGammaStats', `expected ${layout.lengths.length} γ tensors, got ${gammas.length}`);
  gammas.forEach((g, l) => {
    if (g.dtype !== 'float32' || g.size !== layout.lengths[l]) {
      fail('nrGammaStats', `layer ${l}: expected a float32 γ of ${layout.lengths[l]} channels, got ${fmtShape(g.shape)} (${g.dtype})`);
    }
  });
  if (info.dtype !== 'int32') fail('nrGammaStats', `layer table must be int32, got ${info.dtype}`);
  const [mask, maxes, counts, packed] = runKernelMulti('nrGammaStats', [info, ...gammas], {
    layers: gammas.length, liveThres: LIVE_THRES, allDeadThres: ALL_DEAD_THRES,
  });
  new Tensor(packed, 'nrGammaStats').dispose();
  return { mask: new Tensor(mask, 'nrGammaStats'), maxes: new Tensor(maxes, 'nrGammaStats'), counts: new Tensor(counts, 'nrGammaStats') };
}

/** Upload an index list as an int32 tensor. */
export const indexTensor = (idx: readonly number[]): Tensor => tensor(Int32Array.from(idx), [idx.length], { dtype: 'int32' });

/**
 * out[i, j, ...] = x[rows[i], cols[j], ...] with x viewed as [m0, m1, inner]; the result has `outShape`
 * (rows.length · cols.length · inner elements). A vector is gathered as [C, 1, 1] with cols = [0].
 */
export function gatherSurvived(x: Tensor, view: readonly [number, number, number], rows: Tensor, cols: Tensor, outShape: readonly number[]): Tensor {
  const [m0, m1, inner] = view;
  if (x.dtype !== 'float32' || x.size !== m0 * m1 * inner) fail('nrGather', `x ${fmtShape(x.shape)} (${x.dtype}) does not match the float32 view ${fmtShape(view)}`);
  if (rows.dtype !== 'int32' || cols.dtype !== 'int32') fail('nrGather', `indices must be int32, got ${rows.dtype} and ${cols.dtype}`);
  if (sizeOf(outShape) !== rows.size * cols.size * inner) {
    fail('nrGather', `output shape ${fmtShape(outShape)} does not hold ${rows.size}×${cols.size}×${inner} elements`);
  }
  return new Tensor(runKernel('nrGather', [x, rows, cols], { m1, inner, outShape }), 'nrGather');
}

/** The kernel's attributes, with the output viewed as `view` and `offset` defaulting to 0. */
export type MaskedInitSpec = Omit<MaskedInitAttrs, 'shape' | 'offset'> & { view: MaskedInitAttrs['shape']; offset?: number };

/** The widened tensor: survived block from `src`, the other three blocks constant or N(0, value²). */
export function maskedInit(src: Tensor, s: MaskedInitSpec): Tensor {
  const [rows, cols, inner] = s.view;
  if (s.a > rows || s.b > cols) fail('nrMaskedInit', `survived block ${s.a}×${s.b} exceeds the new shape ${rows}×${cols}`);
  if (src.size !== s.a * s.b * inner) fail('nrMaskedInit', `src ${fmtShape(src.shape)} should hold ${s.a}×${s.b}×${inner} elements`);
  if (sizeOf(s.outShape) !== rows * cols * inner) fail('nrMaskedInit', `output shape ${fmtShape(s.outShape)} does not match the view ${fmtShape(s.view)}`);
  for (const [name, blk] of [['sr', s.sr], ['rs', s.rs], ['rr', s.rr]] as const) {
    if (!Number.isFinite(blk.value) || (blk.random && blk.value < 0)) fail('nrMaskedInit', `block ${name}: invalid value ${blk.value}`);
  }
  return new Tensor(runKernel('nrMaskedInit', [src], {
    shape: [rows, cols, inner], a: s.a, b: s.b, sr: s.sr, rs: s.rs, rr: s.rr, seed: s.seed, offset: s.offset ?? 0, outShape: s.outShape,
  }), 'nrMaskedInit');
}

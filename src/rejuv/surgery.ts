/**
 * Dead neuron rejuvenation: model surgery (docs/method.md §7; the widths: §6). The new model comes from the same family with
 * explicit widths; every tensor of it is then built on device from the old one: the survived block
 * gathered by index, the rest written by the masked initialization kernel (He normal fan-out for the
 * R→R block, zero cross blocks, γ 0.5 / β 0 / running stats 0, 1 for new neurons, N(0, 0.01²) for
 * new classifier columns). Channels are ordered [S | R]; after a concatenation the consumer's
 * weights are laid out in the concatenation's physical order by one more gather (see `Layout`).
 */
import type { ConvBnUnit, ZooModel } from '../nn/graph.js';
import { copy, ones } from '../ops/creation.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { fail } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { sourceWidth, type ChannelGraph, type Source } from './channels.js';
import { gatherSurvived, indexTensor, maskedInit } from './ops.js';
import { rebuildModel, type ModelGraph } from './fromModel.js';
import { effectiveParams, planWidths, type ResourceMode, type WidthPlan } from './plan.js';

/**
 * The channels of a source after surgery. `survived`: old indices of the survived channels in [S]
 * order; `logicalOf[j]`: where physical channel j sits in the logical [S | R] order (identity except
 * after a concatenation, whose physical order is [S1 R1 | S2 R2 ...]); `split`: the source has its
 * own rejuvenated channels (false only for the image, which is never expanded).
 */
export interface Layout {
  survived: number[];
  newWidth: number;
  logicalOf: number[];
  split: boolean;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const isIdentity = (p: readonly number[]): boolean => p.every((v, i) => v === i);

export function layoutOf(src: Source, masks: readonly (readonly boolean[])[], oldW: readonly number[], newW: readonly number[]): Layout {
  switch (src.kind) {
    case 'image': return { survived: range(src.channels), newWidth: src.channels, logicalOf: range(src.channels), split: false };
    case 'unit': {
      const survived = range(oldW[src.unit]).filter((c) => masks[src.unit][c]);
      return { survived, newWidth: newW[src.unit], logicalOf: range(newW[src.unit]), split: true };
    }
    case 'add': {
      // The residual stream never loses a channel: all old channels survive, the growth is R.
      const c = sourceWidth(src, oldW), n = sourceWidth(src, newW);
      return { survived: range(c), newWidth: n, logicalOf: range(n), split: true };
    }
    case 'concat': {
      const parts = src.inputs.map((p) => layoutOf(p, masks, oldW, newW));
      const A = parts.reduce((s, p) => s + p.survived.length, 0);
      const survived: number[] = [], logicalOf: number[] = [];
      let oldOff = 0, sOff = 0, rOff = 0;
      for (const [k, p] of parts.entries()) {
        const a = p.survived.length;
        survived.push(...p.survived.map((c) => c + oldOff));
        for (const l of p.logicalOf) logicalOf.push(l < a ? sOff + l : A + rOff + (l - a));
        oldOff += sourceWidth(src.inputs[k], oldW);
        sOff += a;
        rOff += p.newWidth - a;
      }
      return { survived, newWidth: logicalOf.length, logicalOf, split: parts.some((p) => p.split) };
    }
  }
}

export interface SurgeryOptions {
  mode?: ResourceMode;
  integerRate?: boolean;
  /** Seed of the counter-based generator for the new weights. */
  seed?: number;
  /** Scheme A: make the split convs block-diagonal (`installSchemeA`: cross blocks neither act nor learn). */
  masks?: boolean;
}

export interface Split {
  /** Survived output neurons per unit (A_out) and survived input channels (A_in). */
  aOut: number[];
  aIn: number[];
  splitIn: boolean[];
  /** Physical → logical input-channel order per unit, where a concatenation makes it non-identity. */
  inPerm: (number[] | null)[];
  /** Classifier: 1 for survived input columns, 0 for rejuvenated, in physical order. */
  classifierS: number[];
}

export interface SurgeryResult {
  model: ZooModel;
  plan: WidthPlan;
  split: Split;
  /** Conv parameters of the new model (dense) and with the zero cross blocks removed (Scheme A). */
  denseParams: number;
  effectiveParams: number;
}

/** Column permutation into the physical order, when a concatenation needs one. */
function toPhysical(t: Tensor, rows: number, lay: Layout, inner: number, outShape: readonly number[]): Tensor {
  if (isIdentity(lay.logicalOf)) return t;
  return gatherSurvived(t, [rows, lay.newWidth, inner], indexTensor(range(rows)), indexTensor(lay.logicalOf), outShape);
}

/**
 * Rejuvenate `model` given the per-unit alive masks (from the γ statistics kernel). Returns a new model
 * (the caller disposes the old one) in training mode.
 */
export function rejuvenateModel(model: ZooModel, mg: ModelGraph, masks: readonly (readonly boolean[])[], opts: SurgeryOptions = {}): SurgeryResult {
  const g: ChannelGraph = mg.graph;
  if (masks.length !== g.units.length) fail('nr.rejuvenate', `expected ${g.units.length} masks, got ${masks.length}`);
  const alive = masks.map((m) => m.filter(Boolean).length);
  const planned = planWidths(g, alive, { mode: opts.mode, integerRate: opts.integerRate });
  const oldW = g.units.map((u) => u.out);
  const widths: Record<string, number> = {};
  g.units.forEach((u, l) => (widths[u.name] = planned.widths[l]));
  const zero = g.units.filter((_, l) => planned.widths[l] === 0).map((u) => u.name);
  let next: ZooModel;
  try {
    next = rebuildModel(model, widths);
  } catch (e) {
    if (zero.length) fail('nr.rejuvenate', `units ${zero.join(', ')} would get width 0 (a whole-dead layer), which only a DenseNet layer can be (it is deleted, docs/method.md §7.4): ${(e as Error).message}`);
    throw e;
  }
  // A whole-dead DenseNet layer is deleted with both its units (the other one feeds or is fed only
  // by it): from here on a deleted unit has width 0 and no survived channel, so its consumers'
  // layouts drop it, and the new model's units are matched by name.
  const newByName = new Map(next.convBnUnits().map((u) => [u.name, u] as const));
  const kept = g.units.map((u) => newByName.has(u.name));
  const newW = planned.widths.map((w, l) => (kept[l] ? w : 0));
  masks = masks.map((m, l) => (kept[l] ? m : m.map(() => false)));
  const plan: WidthPlan = { ...planned, widths: newW };
  const seed = opts.seed ?? 0;
  // Per old unit (0 for deleted ones), for the effective parameter count.
  const aOutAll = g.units.map(() => 0), aInAll = g.units.map(() => 0), splitInAll = g.units.map(() => false);
  const split: Split = { aOut: [], aIn: [], splitIn: [], inPerm: [], classifierS: [] };

  noGrad(() => {
    tidy(() => {
      g.units.forEach((u, l) => {
        if (!kept[l]) return;
        const old: ConvBnUnit = mg.units[l];
        const lay = layoutOf(u.input, masks, oldW, newW);
        const sOut = range(oldW[l]).filter((c) => masks[l][c]);
        const A = sOut.length, C = newW[l], Cin = lay.newWidth, a = lay.survived.length;
        const [kh, kw] = old.conv.kernelSize, k = kh * kw;
        if (sourceWidth(u.input, newW) !== Cin) fail('nr.rejuvenate', `unit ${u.name}: layout width ${Cin} ≠ graph width ${sourceWidth(u.input, newW)}`);
        split.aOut.push(A);
        split.aIn.push(a);
        split.splitIn.push(lay.split);
        [aOutAll[l], aInAll[l], splitInAll[l]] = [A, a, lay.split];
        split.inPerm.push(isIdentity(lay.logicalOf) ? null : lay.logicalOf);
        const rows = indexTensor(sOut);
        const gathered = gatherSurvived(old.conv.weight, [oldW[l], old.conv.inChannels, k], rows, indexTensor(lay.survived), [A, a, k]);
        const std = Math.sqrt(2 / (k * C));
        const he = { random: true, value: std }, zero = { random: false, value: 0 };
        const w = maskedInit(gathered, {
          view: [C, Cin, k], a: A, b: a, seed, offset: (l + 1) * 2 ** 28, outShape: [C, Cin, kh, kw],
          sr: lay.split ? zero : he, rs: zero, rr: he,
        });
        const { conv, bn } = newByName.get(u.name)!;
        // Installed directly (no state-dict copy): the module takes the tensor out of this tidy scope.
        conv.registerParameter('weight', toPhysical(w, C, lay, k, [C, Cin, kh, kw]));
        if (old.conv.bias) fail('nr.rejuvenate', `unit ${u.name}: NR-conv units have no conv bias (docs/method.md §1.2)`);
        const vec = (t: Tensor | null, fresh: number, name: string) => {
          if (!t) fail('nr.rejuvenate', `unit ${u.name}: batch norm has no ${name}`);
          const s = gatherSurvived(t, [oldW[l], 1, 1], rows, indexTensor([0]), [A]);
          return maskedInit(s, { view: [C, 1, 1], a: A, b: 1, seed, sr: { random: false, value: fresh }, rs: zero, rr: zero, outShape: [C] });
        };
        bn.registerParameter('weight', vec(old.bn.weight, 0.5, 'γ'));
        bn.registerParameter('bias', vec(old.bn.bias, 0, 'β'));
        bn.registerBuffer('running_mean', vec(old.bn.runningMean, 0, 'running_mean'));
        bn.registerBuffer('running_var', vec(old.bn.runningVar, 1, 'running_var'));
      });
      // Classifier: survived columns copied, rejuvenated columns N(0, 0.01²), bias copied.
      const lay = layoutOf(g.classifier, masks, oldW, newW);
      const cls = model.classifier, K = cls.weight.shape[0], a = lay.survived.length;
      const gathered = gatherSurvived(cls.weight, [K, cls.weight.shape[1], 1], indexTensor(range(K)), indexTensor(lay.survived), [K, a, 1]);
      const zero = { random: false, value: 0 };
      const w = maskedInit(gathered, { view: [K, lay.newWidth, 1], a: K, b: a, seed, offset: 2 ** 27, sr: zero, rr: zero, rs: { random: true, value: 0.01 }, outShape: [K, lay.newWidth] });
      next.classifier.registerParameter('weight', toPhysical(w, K, lay, 1, [K, lay.newWidth]));
      if (cls.bias) next.classifier.registerParameter('bias', copy(cls.bias));
      split.classifierS = lay.logicalOf.map((l) => (l < a ? 1 : 0));
    });
  });
  if (opts.masks) installSchemeA(next, split);
  const denseParams = g.units.reduce((s, u, l) => s + newW[l] * sourceWidth(u.input, newW) * u.kernel, 0);
  const eff = effectiveParams(g, aOutAll, newW, aInAll, splitInAll);
  next.train();
  return { model: next, plan, split, denseParams, effectiveParams: eff };
}

/**
 * Scheme A: every conv whose input is split computes only its S→S and R→R blocks. Where both sides of
 * the split are contiguous channel ranges ([S | R] in and out, every layer but those after a DenseNet
 * concatenation) and non-empty, the conv runs block-diagonal (`Conv2d.blocks`: two smaller convs, no
 * mask); elsewhere it gets the mask of `installMasks`. Rebuilt from the split alone, so a checkpoint
 * needs neither. Both leave the cross weights at exactly zero: they never act and get zero gradients.
 */
export function installSchemeA(model: ZooModel, split: Split): void {
  const blocks = model.convBnUnits().map((u, l) => {
    const [C, Cin] = u.conv.weight.shape, A = split.aOut[l], a = split.aIn[l];
    // A side with nothing in it: one block cannot tile it.
    if (!split.splitIn[l] || split.inPerm[l] || A === 0 || A === C || a === 0 || a === Cin) return null;
    return [{ ci0: 0, ci: a, co0: 0, co: A }, { ci0: a, ci: Cin - a, co0: A, co: C - A }];
  });
  installMasks(model, split, (l) => blocks[l] === null);
  model.convBnUnits().forEach((u, l) => {
    if (blocks[l]) u.conv.blocks = blocks[l];
  });
}

/**
 * Block-diagonal weight masks (1 on S→S and R→R, 0 on the cross blocks), installed on every conv
 * whose input is split and for which `masked` says so (default: all): Scheme B's split of the weight,
 * and Scheme A's where blocks do not apply.
 */
export function installMasks(model: ZooModel, split: Split, masked: (unit: number) => boolean = () => true): void {
  const units = model.convBnUnits();
  if (units.length !== split.aOut.length) fail('nr.masks', `model has ${units.length} units, the split describes ${split.aOut.length}`);
  units.forEach((u, l) => {
    u.conv.blocks = null;
    if (!split.splitIn[l] || !masked(l)) {
      u.conv.weightMask = null;
      return;
    }
    const [C, Cin, kh, kw] = u.conv.weight.shape, k = kh * kw, A = split.aOut[l], a = split.aIn[l];
    const zero = { random: false, value: 0 };
    u.conv.weightMask = noGrad(() => tidy(() => {
      const m = maskedInit(ones([A, a, k]), { view: [C, Cin, k], a: A, b: a, seed: 0, sr: zero, rs: zero, rr: { random: false, value: 1 }, outShape: [C, Cin, kh, kw] });
      const perm = split.inPerm[l];
      return perm ? gatherSurvived(m, [C, Cin, k], indexTensor(range(C)), indexTensor(perm), [C, Cin, kh, kw]) : m;
    }));
  });
}

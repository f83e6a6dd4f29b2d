/**
 * The split for deployment (issue 15 item 3). After NR surgery a Scheme A network is two independent
 * networks stored as one dense masked network: every unit's output channels are physically [S | R];
 * its cross blocks (S inputs → R outputs and R inputs → S outputs) start at zero and the mask keeps
 * them out of the forward pass and the gradient; BN, ReLU and pooling act per channel; a residual
 * addition only adds S to S and R to R (fixed units keep every channel, so the stream's S part is
 * its old width in every operand); a concatenation keeps each part's channels (physically
 * [S1 R1 | S2 R2 …], `Split.inPerm`); and the two heads apply the classifier to the S features and to
 * the R features, each with the shared bias. So the prediction z_S + z_R equals S(x) + R(x) for two
 * ordinary models of the same family: S with the survived widths A_l and R with the rejuvenated
 * widths C_l − A_l, each classifier holding its columns and the bias (S alone gives z_S, R alone z_R).
 * Their conv weights are exactly the effective parameters (S→S and R→R blocks; the stem's S and R
 * rows both read the whole image). Scheme B is refused: its cross-attention uses the cross blocks.
 *
 * This module is the in-memory split (no file system, so the browser bundle keeps it); the pair
 * folder on disk and `rejuv export --split` are in export-files.ts.
 */
import type { ModelDescription, ZooModel } from '../nn/graph.js';
import { modelFromDescription } from '../nn/models/index.js';
import { randn, tensor } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { fail } from '../core/errors.js';
import { readAll, type Tensor } from '../tensor/tensor.js';
import type { StepOutputs } from '../train/plugin.js';
import { channelGraphOf } from './fromModel.js';
import { correctCount, crossEntropyLoss, twoHeads } from './heads.js';
import type { Scheme } from './schemes.js';
import type { Split } from './surgery.js';

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const W = 'rejuv.split';

/** Which channels of the masked network each member's tensors take, unit by unit (physical indices). */
export interface UnitSplitIndex {
  /** The unit's conv state-dict path, and its BN's. */
  name: string;
  bnName: string;
  /** Output channels of S and of R ([S | R]: 0…A−1 and A…C−1). */
  outS: number[];
  outR: number[];
  /** Input channels each member's conv reads: both read every one when the input (the image) is not split. */
  inS: number[];
  inR: number[];
  /** Input width of the masked conv, kernel area and nominal output area (FLOPs). */
  cin: number;
  kernel: number;
  outArea: number;
}

export interface SplitIndex {
  units: UnitSplitIndex[];
  classifier: { path: string; inS: number[]; inR: number[]; features: number; classes: number; bias: boolean };
  /** The members' descriptions' widths (deleted DenseNet layers stay 0 in both). */
  widthsS: Record<string, number>;
  widthsR: Record<string, number>;
}

/** Physical input channels in S (logical index below `a`) and in R, given a unit's input permutation. */
function inputChannels(cin: number, a: number, split: boolean, perm: readonly number[] | null): { s: number[]; r: number[] } {
  if (!split) return { s: range(0, cin), r: range(0, cin) };
  const logical = perm ?? range(0, cin);
  if (logical.length !== cin) fail(W, `input permutation has ${logical.length} entries for a conv reading ${cin} channels`);
  return { s: range(0, cin).filter((j) => logical[j] < a), r: range(0, cin).filter((j) => logical[j] >= a) };
}

/**
 * The index lists of the split of `model` (rejuvenated, with the `split` its surgery returned or its
 * checkpoint stores). Fails, naming the unit, where a member would get a layer of width 0.
 */
export function splitIndex(model: ZooModel, split: Split): SplitIndex {
  const mg = channelGraphOf(model);
  const units = mg.units;
  const n = units.length;
  for (const k of ['aOut', 'aIn', 'splitIn', 'inPerm'] as const) {
    if (!Array.isArray(split[k]) || split[k].length !== n) fail(W, `${model.arch} has ${n} conv-BN units, the split's ${k} describes ${Array.isArray(split[k]) ? split[k].length : 'none'}`);
  }
  const out: UnitSplitIndex[] = units.map((u, l) => {
    const [C, cin, kh, kw] = u.conv.weight.shape;
    const A = split.aOut[l], a = split.aIn[l];
    if (!Number.isInteger(A) || A < 1 || A > C) fail(W, `unit ${u.name}: ${A} survived channels of ${C} (expected 1…${C})`);
    if (A === C) {
      fail(W, `unit ${u.name} has no rejuvenated channel (all ${C} are survived ones), so the R network would have a layer of width 0; this happens when ⌊A·r⌋ = A (a small A and an expansion rate below 1 + 1/A) and cannot be split into two ordinary networks`);
    }
    if (split.splitIn[l] && (!Number.isInteger(a) || a < 0 || a > cin)) fail(W, `unit ${u.name}: ${a} survived input channels of ${cin}`);
    const ins = inputChannels(cin, a, split.splitIn[l], split.inPerm[l]);
    return {
      name: u.name, bnName: u.bnName, outS: range(0, A), outR: range(A, C), inS: ins.s, inR: ins.r,
      cin, kernel: kh * kw, outArea: mg.graph.units[l].outArea ?? 1,
    };
  });
  const cls = model.classifier;
  const path = model.namedModules().find(([, m]) => m === cls)?.[0];
  if (path === undefined) fail(W, `${model.arch}'s classifier is not in its module tree`);
  const [K, F] = cls.weight.shape;
  const cs = split.classifierS;
  if (!Array.isArray(cs) || cs.length !== F) fail(W, `the classifier reads ${F} features, the split's classifierS marks ${Array.isArray(cs) ? cs.length : 'none'}`);
  const widths = model.describe().widths;
  const byName = new Map(out.map((u) => [u.name, u]));
  const widthsS: Record<string, number> = {}, widthsR: Record<string, number> = {};
  for (const [name, w] of Object.entries(widths)) {
    const u = byName.get(name);
    if (!u) {
      if (w !== 0) fail(W, `unit ${name} (width ${w}) is described but not built`);
      widthsS[name] = widthsR[name] = 0; // a deleted DenseNet layer stays deleted in both members
      continue;
    }
    widthsS[name] = u.outS.length;
    widthsR[name] = u.outR.length;
  }
  return {
    units: out,
    classifier: { path, inS: range(0, F).filter((j) => cs[j] === 1), inR: range(0, F).filter((j) => cs[j] !== 1), features: F, classes: K, bias: cls.bias !== null },
    widthsS, widthsR,
  };
}

/** Parameters (conv weights, BN γ and β, classifier) and multiply-adds per image at the nominal input size. */
export interface NetworkSize {
  conv: number;
  bn: number;
  classifier: number;
  total: number;
  /** Multiply-adds of the convs and the classifier for one image (BN, ReLU, pooling not counted). */
  flops: number;
}

export interface SplitSizes {
  /** The dense masked network as it runs (its zero cross blocks included). */
  masked: NetworkSize;
  s: NetworkSize;
  r: NetworkSize;
  /** S + R (the classifier bias is in both members, so it counts twice). */
  pair: NetworkSize;
}

/** Sizes of the masked network and of its split, from the index lists alone (no weights read). */
export function splitSizes(model: ZooModel, split: Split, index = splitIndex(model, split)): SplitSizes {
  const c = index.classifier, bias = c.bias ? c.classes : 0;
  const size = (rows: (u: UnitSplitIndex) => number, cols: (u: UnitSplitIndex) => number, feats: number): NetworkSize => {
    let conv = 0, bn = 0, flops = 0;
    for (const u of index.units) {
      const p = rows(u) * cols(u) * u.kernel;
      conv += p;
      bn += 2 * rows(u);
      flops += p * u.outArea;
    }
    const classifier = c.classes * feats + bias;
    return { conv, bn, classifier, total: conv + bn + classifier, flops: flops + c.classes * feats };
  };
  const masked = size((u) => u.outS.length + u.outR.length, (u) => u.cin, c.features);
  const s = size((u) => u.outS.length, (u) => u.inS.length, c.inS.length);
  const r = size((u) => u.outR.length, (u) => u.inR.length, c.inR.length);
  const pair = Object.fromEntries(Object.keys(s).map((k) => [k, s[k as keyof NetworkSize] + r[k as keyof NetworkSize]])) as unknown as NetworkSize;
  return { masked, s, r, pair };
}

/** Rows × columns × inner of a row-major [R, C, inner] array. */
function gather(src: ArrayLike<number>, cols: number, inner: number, rows: readonly number[], cs: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * cs.length * inner);
  let o = 0;
  for (const i of rows) {
    for (const j of cs) {
      const base = (i * cols + j) * inner;
      for (let t = 0; t < inner; t++) out[o++] = src[base + t];
    }
  }
  return out;
}

/** Largest |w| over the rows × columns block of a conv weight [C, Cin, k]. */
function blockMax(w: ArrayLike<number>, cin: number, k: number, rows: readonly number[], cs: readonly number[]): number {
  let m = 0;
  for (const i of rows) for (const j of cs) for (let t = 0; t < k; t++) m = Math.max(m, Math.abs(w[(i * cin + j) * k + t]));
  return m;
}

export interface SplitPair {
  /** The survived network (its logits are the S head's z_S) and the rejuvenated one (z_R). */
  s: ZooModel;
  r: ZooModel;
  index: SplitIndex;
  sizes: SplitSizes;
}

export interface SplitOptions {
  /** The scheme the network was trained with ('b' is refused). Default 'a'. */
  scheme?: Scheme;
}

/**
 * Split a rejuvenated Scheme A network into its S and R networks (new models in eval mode; `model`
 * is only read). Fails for Scheme B, and for any network whose cross blocks are not exactly zero.
 */
export async function splitNetwork(model: ZooModel, split: Split, opts: SplitOptions = {}): Promise<SplitPair> {
  if ((opts.scheme ?? 'a') === 'b') {
    fail(W, `a Scheme B network (cross-attention) cannot be split: it computes O = P + X ⊙ 2σ(P) with the cross blocks X, which train away from zero, so S and R are not independent; only Scheme A networks (cross connections removed) split`);
  }
  const index = splitIndex(model, split);
  const sd = model.stateDict();
  const keys = Object.keys(sd);
  const values = new Map(keys.map((k, i) => [k, i]));
  const data = await readAll(keys.map((k) => sd[k]));
  const get = (k: string): ArrayLike<number> => {
    const i = values.get(k);
    if (i === undefined) fail(W, `${model.arch} has no tensor '${k}'`);
    return data[i];
  };
  // Scheme A's cross blocks are zero from the surgery on (masked from forward and gradient; weight
  // decay keeps a zero at zero): anything else is not a network that splits.
  for (const u of index.units) {
    if (u.inS.length === u.cin && u.inR.length === u.cin) continue; // input not split (the image)
    const w = get(`${u.name}.weight`);
    const cross = Math.max(blockMax(w, u.cin, u.kernel, u.outS, u.inR), blockMax(w, u.cin, u.kernel, u.outR, u.inS));
    if (cross !== 0) fail(W, `unit ${u.name}: the cross blocks (S inputs → R outputs, R inputs → S outputs) are not zero (max |w| = ${cross.toExponential(3)}), so S and R are not independent networks: a Scheme B network (its cross-attention trains them) or not a Scheme A network after surgery`);
  }
  const desc = model.describe();
  const build = (side: 's' | 'r'): ZooModel => {
    const widths = side === 's' ? index.widthsS : index.widthsR;
    const m = modelFromDescription({ ...desc, widths } as ModelDescription);
    const expect = m.stateDict();
    const units = new Map<string, { u: UnitSplitIndex; part: 'conv' | 'bn' }>();
    for (const u of index.units) {
      units.set(`${u.name}.weight`, { u, part: 'conv' });
      for (const b of ['weight', 'bias', 'running_mean', 'running_var']) units.set(`${u.bnName}.${b}`, { u, part: 'bn' });
    }
    const c = index.classifier;
    const made: Record<string, Tensor> = {};
    try {
      for (const [k, t] of Object.entries(expect)) {
        const src = get(k);
        let v: Float32Array | Int32Array;
        const hit = units.get(k);
        if (hit) {
          const rows = side === 's' ? hit.u.outS : hit.u.outR;
          v = hit.part === 'conv'
            ? gather(src, hit.u.cin, hit.u.kernel, rows, side === 's' ? hit.u.inS : hit.u.inR)
            : gather(src, 1, 1, rows, [0]);
        } else if (k === `${c.path}.weight`) {
          v = gather(src, c.features, 1, range(0, c.classes), side === 's' ? c.inS : c.inR);
        } else if (k === `${c.path}.bias` || k.endsWith('.num_batches_tracked')) {
          // The two heads share the classifier bias: each member carries it. BN's counter is copied.
          v = src instanceof Int32Array ? Int32Array.from(src) : Float32Array.from(src);
        } else {
          fail(W, `${model.arch}: tensor '${k}' belongs to no NR unit and is not the classifier's, so the split does not know its channels`);
        }
        if (v.length !== t.size) fail(W, `${model.arch}: '${k}' of the ${side === 's' ? 'S' : 'R'} network has ${t.size} values, the split gives ${v.length} (unit widths do not match the channel lists)`);
        made[k] = tensor(v, t.shape, { dtype: t.dtype });
      }
      m.loadStateDict(made);
    } catch (e) {
      m.dispose();
      throw e;
    } finally {
      for (const t of Object.values(made)) t.dispose();
    }
    return m.eval();
  };
  const s = build('s');
  let r: ZooModel;
  try {
    r = build('r');
  } catch (e) {
    s.dispose();
    throw e;
  }
  return { s, r, index, sizes: splitSizes(model, split, index) };
}

/** The pair's prediction S(x) + R(x) (call inside tidy; R runs in S's mode). */
export function pairLogits(pair: { s: ZooModel; r: ZooModel }, x: Tensor): Tensor {
  if (pair.r.training !== pair.s.training) pair.r.train(pair.s.training);
  return add(pair.s.forward(x), pair.r.forward(x));
}

/** Loss and correct count of the pair's prediction, for `evaluateModel` (call inside tidy). */
export function pairForwardLoss(pair: { s: ZooModel; r: ZooModel }, x: Tensor, y: Tensor): StepOutputs {
  const z = pairLogits(pair, x);
  return { loss: crossEntropyLoss(z, y), correct: correctCount(z, y) };
}

/** The masked network's prediction z_S + z_R (what `rejuv eval` of the rejuvenated checkpoint computes). */
export function maskedLogits(model: ZooModel, split: Split, x: Tensor): Tensor {
  const { zS, zR } = twoHeads(model, x, split.classifierS);
  return add(zS, zR);
}

/**
 * Largest |masked − pair| logit over `images` random N(0, 1) images at the model's nominal input
 * size (eval mode), and the largest |logit|.
 */
export async function comparePair(model: ZooModel, split: Split, pair: SplitPair, images: number, seed = 0): Promise<{ images: number; maxAbsDiff: number; maxAbsLogit: number }> {
  const o = model.options;
  model.eval();
  pair.s.eval();
  const [a, b] = noGrad(() => tidy(() => {
    const x = randn([images, o.inChannels, o.inputSize, o.inputSize], { seed });
    return [maskedLogits(model, split, x), pairLogits(pair, x)];
  }));
  const [za, zb] = await readAll([a, b]);
  a.dispose();
  b.dispose();
  let d = 0, m = 0;
  za.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - zb[i]));
    m = Math.max(m, Math.abs(v));
  });
  return { images, maxAbsDiff: d, maxAbsLogit: m };
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** The sizes as a table: masked network, S, R, S + R (parameters and multiply-adds). */
export function formatSplitSizes(sizes: SplitSizes): string[] {
  const head = ['network', 'conv', 'BN', 'classifier', 'total params', 'mult-adds/image'];
  const row = (name: string, s: NetworkSize) => [name, fmtInt(s.conv), fmtInt(s.bn), fmtInt(s.classifier), fmtInt(s.total), fmtInt(s.flops)];
  const rows = [row('masked (dense)', sizes.masked), row('S', sizes.s), row('R', sizes.r), row('S + R', sizes.pair)];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)];
}

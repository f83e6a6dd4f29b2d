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
 * rows both read the whole image), plus, where a unit has no rejuvenated channel, R's one all-zero
 * channel (`SplitIndex.padded`). Scheme B is refused: its cross-attention uses the cross blocks.
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
import { crossEntropyLoss, twoHeads } from './heads.js';
import { correctCount } from '../train/step.js';
import type { Scheme } from './schemes.js';
import type { Source } from './channels.js';
import type { Split } from './surgery.js';

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const W = 'rejuv.split';

/** In an index list: a channel the member has but the masked network has not (all zero; see `padded`). */
export const ZERO = -1;

/** Which channels of the masked network each member's tensors take, unit by unit (physical indices). */
export interface UnitSplitIndex {
  /** The unit's conv state-dict path, and its BN's. */
  name: string;
  bnName: string;
  /** Output channels of S and of R ([S | R]: 0…A−1 and A…C−1; R is [ZERO] when the unit has no rejuvenated channel). */
  outS: number[];
  outR: number[];
  /** Input channels each member's conv reads (ZERO: a padded channel); both read every one when the input (the image) is not split. */
  inS: number[];
  inR: number[];
  /** Output and input widths of the masked conv, kernel area and nominal output area (FLOPs). */
  cout: number;
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
  /**
   * Units with no rejuvenated channel (⌊A·r⌋ = A: a small A and a rate below 1 + 1/A). An ordinary
   * model has no width-0 layer, so R keeps one channel there that is exactly zero (conv weights 0,
   * γ = β = 0) and is read with zero weights; `convParams` counts R's conv weights that touch one
   * (`classifierParams` its classifier's).
   */
  padded: { units: string[]; convParams: number; classifierParams: number };
}

/** A source's channels in each member, as physical channels of the masked network (or ZERO). */
interface Cols {
  s: number[];
  r: number[];
  /** Physical width in the masked network. */
  width: number;
  /** False for the image: both members read all of it. */
  split: boolean;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The index lists of the split of `model` (rejuvenated, with the `split` its surgery returned or its
 * checkpoint stores). Every unit's output is physically [S | R]; the lists follow the channel graph
 * (a residual addition keeps its operands' common layout, a concatenation lays its parts side by
 * side) and are checked against the split's own input counts and permutations.
 */
export function splitIndex(model: ZooModel, split: Split): SplitIndex {
  const mg = channelGraphOf(model);
  const units = mg.units;
  const n = units.length;
  for (const k of ['aOut', 'aIn', 'splitIn', 'inPerm'] as const) {
    if (!Array.isArray(split[k]) || split[k].length !== n) fail(W, `${model.arch} has ${n} conv-BN units, the split's ${k} describes ${Array.isArray(split[k]) ? split[k].length : 'none'}`);
  }
  const C = units.map((u) => u.conv.outChannels);
  units.forEach((u, l) => {
    const A = split.aOut[l];
    if (!Number.isInteger(A) || A < 1 || A > C[l]) fail(W, `unit ${u.name}: ${A} survived channels of ${C[l]} (expected 1…${C[l]})`);
  });
  const colsOf = (src: Source): Cols => {
    switch (src.kind) {
      case 'image': return { s: range(0, src.channels), r: range(0, src.channels), width: src.channels, split: false };
      case 'unit': {
        const l = src.unit, A = split.aOut[l];
        return { s: range(0, A), r: A < C[l] ? range(A, C[l]) : [ZERO], width: C[l], split: true };
      }
      case 'add': {
        // Residual operands must agree channel for channel, or S and R would mix in the sum.
        const parts = src.inputs.map(colsOf);
        const bad = parts.findIndex((p) => !same(p.s, parts[0].s) || !same(p.r, parts[0].r));
        if (bad > 0) fail(W, `a residual addition adds operands with different S/R layouts (${parts[0].s.length} and ${parts[bad].s.length} survived channels): S and R do not separate there`);
        return parts[0];
      }
      case 'concat': {
        const out: Cols = { s: [], r: [], width: 0, split: false };
        for (const p of src.inputs.map(colsOf)) {
          const shift = (j: number) => (j === ZERO ? ZERO : j + out.width);
          out.s.push(...p.s.map(shift));
          out.r.push(...p.r.map(shift));
          out.width += p.width;
          out.split ||= p.split;
        }
        return out;
      }
    }
  };
  const out: UnitSplitIndex[] = units.map((u, l) => {
    const [, cin, kh, kw] = u.conv.weight.shape;
    const cols = colsOf(mg.graph.units[l].input);
    if (cols.width !== cin) fail(W, `unit ${u.name}: its input carries ${cols.width} channels, the conv reads ${cin}`);
    // The surgery's own record of this input (survived count, [S1 R1 | S2 R2 …] order) must agree.
    if (cols.split !== Boolean(split.splitIn[l])) fail(W, `unit ${u.name}: the split says its input is ${split.splitIn[l] ? '' : 'not '}split, the channel graph says otherwise`);
    if (cols.split) {
      const logical = split.inPerm[l] ?? range(0, cin), a = split.aIn[l];
      const want = range(0, cin).filter((j) => logical[j] < a);
      if (logical.length !== cin || !same(cols.s, want)) fail(W, `unit ${u.name}: the split's survived inputs (${a} of ${cin}) are not the channels its producers' S parts give (${cols.s.length})`);
    }
    const A = split.aOut[l];
    return {
      name: u.name, bnName: u.bnName, outS: range(0, A), outR: A < C[l] ? range(A, C[l]) : [ZERO], inS: cols.s, inR: cols.r,
      cout: C[l], cin, kernel: kh * kw, outArea: mg.graph.units[l].outArea ?? 1,
    };
  });
  const cls = model.classifier;
  const path = model.namedModules().find(([, m]) => m === cls)?.[0];
  if (path === undefined) fail(W, `${model.arch}'s classifier is not in its module tree`);
  const [K, F] = cls.weight.shape;
  const head = colsOf(mg.graph.classifier);
  const cs = split.classifierS;
  if (head.width !== F) fail(W, `the classifier reads ${F} features, its input carries ${head.width}`);
  if (!Array.isArray(cs) || cs.length !== F || !same(head.s, range(0, F).filter((j) => cs[j] === 1))) fail(W, `the split's classifierS does not mark the survived features the last units give (${head.s.length} of ${F})`);
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
  const zeroIn = (xs: readonly number[]) => xs.filter((j) => j === ZERO).length;
  let padConv = 0;
  for (const u of out) {
    const rows = u.outR.length, cols = u.inR.length;
    padConv += (u.outR[0] === ZERO ? rows * cols : rows * zeroIn(u.inR)) * u.kernel;
  }
  return {
    units: out,
    classifier: { path, inS: head.s, inR: head.r, features: F, classes: K, bias: cls.bias !== null },
    widthsS, widthsR,
    padded: { units: out.filter((u) => u.outR[0] === ZERO).map((u) => u.name), convParams: padConv, classifierParams: K * zeroIn(head.r) },
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
  /** R's zero channels where a unit has no rejuvenated channel (see `SplitIndex.padded`). */
  padded: SplitIndex['padded'];
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
  const masked = size((u) => u.cout, (u) => u.cin, c.features);
  const s = size((u) => u.outS.length, (u) => u.inS.length, c.inS.length);
  const r = size((u) => u.outR.length, (u) => u.inR.length, c.inR.length);
  const pair = Object.fromEntries(Object.keys(s).map((k) => [k, s[k as keyof NetworkSize] + r[k as keyof NetworkSize]])) as unknown as NetworkSize;
  return { masked, s, r, pair, padded: index.padded };
}

/** Rows × columns × inner of a row-major [R, C, inner] array (a ZERO row or column gives zeros). */
function gather(src: ArrayLike<number>, cols: number, inner: number, rows: readonly number[], cs: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * cs.length * inner);
  let o = 0;
  for (const i of rows) {
    for (const j of cs) {
      if (i === ZERO || j === ZERO) {
        o += inner;
        continue;
      }
      const base = (i * cols + j) * inner;
      for (let t = 0; t < inner; t++) out[o++] = src[base + t];
    }
  }
  return out;
}

/** Largest |w| over the rows × columns block of a conv weight [C, Cin, k]. */
function blockMax(w: ArrayLike<number>, cin: number, k: number, rows: readonly number[], cs: readonly number[]): number {
  let m = 0;
  for (const i of rows) for (const j of cs) if (i !== ZERO && j !== ZERO) for (let t = 0; t < k; t++) m = Math.max(m, Math.abs(w[(i * cin + j) * k + t]));
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
    const units = new Map<string, { u: UnitSplitIndex; part: 'conv' | 'bn'; pad: number }>();
    for (const u of index.units) {
      units.set(`${u.name}.weight`, { u, part: 'conv', pad: 0 });
      // A padded channel is exactly zero after BN in either mode: γ = β = 0 (running variance 1).
      for (const b of ['weight', 'bias', 'running_mean', 'running_var']) units.set(`${u.bnName}.${b}`, { u, part: 'bn', pad: b === 'running_var' ? 1 : 0 });
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
            : rows[0] === ZERO ? new Float32Array(rows.length).fill(hit.pad) : gather(src, 1, 1, rows, [0]);
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
  const p = sizes.padded;
  return [
    fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt),
    ...(p.units.length ? [`R keeps one all-zero channel where a unit has no rejuvenated channel (${p.units.join(', ')}): ${fmtInt(p.convParams)} of its conv and ${fmtInt(p.classifierParams)} of its classifier parameters are those zeros`] : []),
  ];
}

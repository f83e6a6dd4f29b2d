/**
 * Geometry of a 2-D convolution (NCHW input, OIHW weight, groups = 1), shared by both backends and the
 * op: every kernel of the conv family (forward, input gradient, weight gradient) takes one of these.
 */
import { fail, fmtShape } from './errors.js';

export interface ConvGeom {
  n: number; ci: number; h: number; w: number;
  co: number; kh: number; kw: number;
  oh: number; ow: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Block-diagonal: only these blocks of the weight act (see `ConvBlock`); dense when absent. */
  blocks?: readonly ConvBlock[];
}

function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) fail(op, `${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

/** Validate shapes and options and derive the output size (PyTorch's formula). */
export function convGeom(op: string, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): ConvGeom {
  if (xShape.length !== 4) fail(op, `input must be NCHW (rank 4), got shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) fail(op, `weight must be OIHW (rank 4), got shape ${fmtShape(wShape)}`);
  const [n, ci, h, w] = xShape;
  const [co, wci, kh, kw] = wShape;
  if (wci !== ci) fail(op, `weight ${fmtShape(wShape)} expects ${wci} input channels, input ${fmtShape(xShape)} has ${ci} (groups = 1 only)`);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (oh <= 0 || ow <= 0 || kh <= 0 || kw <= 0) {
    fail(op, `kernel ${kh}×${kw} (dilation ${dh}×${dw}) does not fit input ${h}×${w} with padding ${ph}×${pw}: output would be ${oh}×${ow}`);
  }
  return { n, ci, h, w, co, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw };
}

export const outShapeOf = (g: ConvGeom): number[] => [g.n, g.co, g.oh, g.ow];

/** Multiply-adds of one pass (forward, dgrad and wgrad all do the same number): N·Co·OH·OW·Ci·KH·KW. */
export const convMacs = (g: ConvGeom): number => g.n * g.co * g.oh * g.ow * g.ci * g.kh * g.kw;

/**
 * One block of a block-diagonal convolution: output channels [co0, co0 + co) read input channels
 * [ci0, ci0 + ci) through the same block of the full OIHW weight; every other weight acts as zero and
 * gets a zero gradient. NR's Scheme A computes its S→S and R→R blocks this way (docs/method.md §8.2).
 */
export interface ConvBlock { ci0: number; ci: number; co0: number; co: number }

/**
 * A block as the kernels see it: the block's own geometry (ci, co are its channel counts) and where it
 * sits in the full tensors: input channels ci0.. of ciT, output channels co0.. of coT (the weight is
 * the full [coT, ciT, KH, KW] tensor).
 */
export interface ConvWindow { g: ConvGeom; ci0: number; ciT: number; co0: number; coT: number }

/** The whole convolution as one window (no blocks). */
export const fullWindow = (g: ConvGeom): ConvWindow => ({ g, ci0: 0, ciT: g.ci, co0: 0, coT: g.co });

/** The windows of `blocks` of the full convolution `g`, or the whole convolution where there are none. */
export function convWindows(g: ConvGeom, blocks: readonly ConvBlock[] | undefined): ConvWindow[] {
  if (!blocks) return [fullWindow(g)];
  return blocks.map((b) => ({ g: { ...g, ci: b.ci, co: b.co }, ci0: b.ci0, ciT: g.ci, co0: b.co0, coT: g.co }));
}

/**
 * Check that `blocks` are block-diagonal for `g`: non-empty, and both their input and their output
 * ranges tile the channels exactly, in the same order (so every output and every input-gradient
 * channel is written by exactly one block).
 */
export function checkBlocks(op: string, g: { ci: number; co: number }, blocks: readonly ConvBlock[]): void {
  if (blocks.length === 0) fail(op, 'blocks must be non-empty (omit them for a dense convolution)');
  let ci = 0, co = 0;
  for (const [i, b] of blocks.entries()) {
    if (![b.ci0, b.ci, b.co0, b.co].every((v) => Number.isInteger(v)) || b.ci < 1 || b.co < 1) {
      fail(op, `block ${i} ${JSON.stringify(b)} must have positive integer channel counts`);
    }
    if (b.ci0 !== ci || b.co0 !== co) {
      fail(op, `block ${i} ${JSON.stringify(b)} must start at input channel ${ci} and output channel ${co} (blocks tile the channels in order)`);
    }
    ci += b.ci;
    co += b.co;
  }
  if (ci !== g.ci || co !== g.co) fail(op, `blocks cover ${ci} input and ${co} output channels, the weight has ${g.ci} and ${g.co}`);
}

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

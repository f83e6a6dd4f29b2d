/**
 * conv2d through textures on CPU adapters with 8-lane subgroups (lavapipe), as GEMMs with
 * matmul_tex.wgsl's tile over operands staged in rgba32float textures. Why: on lavapipe a texel fetch
 * costs about 2 instructions per float, a storage load about 5 (see matmul_tex.wgsl).
 * - forward (conv2d_tex.wgsl): weights staged tap-major (conv2d_tex_wpack.wgsl), the input staged once
 *   in four column segments so that every tap is a texel offset (conv2d_tex_seg_pack.wgsl);
 * - input gradient of a stride-1 layer: the forward kernel on dy, weights rotated (`dgradAsConv`);
 * - weight gradient (conv2d_tex_wgrad.wgsl): the input staged the same way against dy staged
 *   transposed in the segments' pixel order (conv2d_tex_dypack.wgsl), summed over the output pixels.
 * Images go in chunks that fit the adapter's texture limits and a staging budget. Every kernel takes a
 * window (core/conv-geom.ts ConvWindow): one block of a block-diagonal conv reads and writes its
 * channels of the full tensors in place, so a block costs its own GEMM and no copies.
 */
import texSrc from '../../../shaders/conv2d_tex.wgsl';
import segPackSrc from '../../../shaders/conv2d_tex_seg_pack.wgsl';
import wpackSrc from '../../../shaders/conv2d_tex_wpack.wgsl';
import dypackSrc from '../../../shaders/conv2d_tex_dypack.wgsl';
import wgradSrc from '../../../shaders/conv2d_tex_wgrad.wgsl';
import wgradReduceSrc from '../../../shaders/conv2d_wgrad_reduce.wgsl';
import type { Storage, TensorData } from '../../core/backend.js';
import type { ConvGeom, ConvWindow } from '../../core/conv-geom.js';
import type { WebGPUBackend } from './backend.js';
import { TEX, texBlocks } from './matmul.js';
import { gpuFill, groups256 } from './basic.js';
import { Uniforms } from './program.js';
import { stageTexture } from './tex-stage.js';

const cdiv = (a: number, b: number) => Math.ceil(a / b);
const roundUp = (x: number, m: number) => cdiv(x, m) * m;
const MAX_WG = 65535;
/** Staged input per chunk at most this many bytes (the scratch texture is kept between calls). */
let stageBytes = 32 << 20;

/** Tests: shrink the staging budget so small inputs run in several chunks (null: the default). */
export function setTexConvStageBytes(bytes: number | null): void {
  stageBytes = bytes ?? 32 << 20;
}

/** Staged rows per input channel: the input rows that the vertical taps of every output row reach. */
const tapRows = (g: ConvGeom) => g.sh * (g.oh - 1) + (g.kh - 1) * g.dh + 1;

/**
 * Images per chunk: as many as the hard limits allow (`hard`, at least 1) and the staging budget
 * holds, at `texelsPerImage` staged input texels each; the budget is soft, one image always goes.
 */
function imagesPerChunk(g: ConvGeom, hard: number, texelsPerImage: number): number {
  return Math.max(1, Math.min(g.n, hard, Math.floor(stageBytes / (texelsPerImage * 16))));
}

interface TexConvPlan {
  /** Output channels per tile (TEX.TM, or 16 for layers of 16 or fewer), rows of the weight texture. */
  tm: number; op: number;
  c8: number; taps: number;
  /** Output quads per row (the segment length S), staged rows per channel. */
  w4: number; hp: number;
  /** Images per chunk. */
  nb: number;
}

/** The staging layout for `g`, or null where it does not fit this adapter's texture or dispatch limits. */
export function texConvPlan(b: WebGPUBackend, g: ConvGeom): TexConvPlan | null {
  const max = b.device.limits.maxTextureDimension2D;
  const tm = g.co <= 16 ? 16 : TEX.TM;
  const c8 = roundUp(g.ci, TEX.KS), taps = g.kh * g.kw, op = roundUp(g.co, tm);
  const w4 = cdiv(g.ow, 4), hp = tapRows(g), width = segmentTexels(g, w4);
  const perImage = c8 * hp; // staged rows
  // Hard limits: the texture extents and the workgroup grid, for one image at least.
  const hard = Math.min(Math.floor(max / perImage), Math.floor((MAX_WG * 8) / (g.oh * w4)));
  if (hard < 1 || width > max || (taps * c8) / 4 > max || op > max || op / tm > MAX_WG) return null;
  return { tm, op, c8, taps, w4, hp, nb: imagesPerChunk(g, hard, width * perImage) };
}

/**
 * Whether the texture path is worth its staging here. Measured on lavapipe (forward, texture vs
 * subgroup kernel, medians of 5): at N 32, 3×3 layers of 64→64 at 32², 128→128 at 16², 256→256 at 8²
 * 1.7–2.0× faster, 16→16 at 32² 1.5×, 32→32 at 32² 1.1×; at N 64, 16→16 at 16² 1.2× and 32→64 or
 * 64→64 at 4² 1.9×. 3→64 loses (input channels are padded to 8 along k); the input gradient (the
 * same kernel) measured alike.
 */
export function texConvPays(g: ConvGeom): boolean {
  const macs = g.n * g.co * g.ci * g.kh * g.kw * g.oh * g.ow;
  // 12+ rather than 16+ channels: NR's surgery leaves widths like 15, 31, 63 (⌊alive·r⌋), which pad
  // by one channel here instead of falling to the subgroup kernels (2–5 GFLOP/s in the profile of the
  // post-surgery step of vgg_mini at 1×28², N 64; that step's device time 557 → 504 ms, quiet machine).
  return g.co >= 12 && g.ci >= 12 && macs >= 1 << 22;
}

const blocks = new Map<number, Record<string, string | number>>();
let wgradBlocks: Record<string, string | number> | null = null;

/**
 * conv2d_tex_wgrad.wgsl's narrow body (≤ 16 output channels): lane rows m = r0 + lane + 8j (j < 4)
 * against 16 channels (4 quads q); step pixel p is A texel p / 4, component p % 4, and B row k + p,
 * loaded by lane p.
 */
function wgrad16Blocks(): Record<string, string | number> {
  const J = 4, Q = 4, xyzw = 'xyzw';
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const fmas: string[] = [];
  for (const p of range(8)) {
    for (const q of range(Q)) {
      fmas.push(`let s${p}_${q} = subgroupBroadcast(b${q}, ${p}u);`);
      for (const j of range(J)) fmas.push(`acc${j}_${q} = fma(vec4<f32>(a${j}_${p >> 2}.${xyzw[p & 3]}), s${p}_${q}, acc${j}_${q});`);
    }
  }
  return {
    TM: TEX.TM, KS: TEX.KS,
    APRE: range(J).map((j) => `let ap${j} = arow(r0 + lane + ${8 * j}u);`).join('\n  '),
    DECLS: range(J).flatMap((j) => range(Q).map((q) => `var acc${j}_${q} = vec4<f32>(0.0);`)).join('\n  '),
    LOADS: [
      ...range(J).flatMap((j) => range(2).map((t) => `let a${j}_${t} = textureLoad(ta, vec2<u32>(ap${j}.x + u.sw * (x4 + ${t}u), ap${j}.y + yy));`)),
      ...range(Q).map((q) => `let b${q} = textureLoad(tb, vec2<u32>(${q}u, k + lane));`),
    ].join('\n      '),
    FMAS: fmas.join('\n      '),
    STORES: range(J).flatMap((j) => range(Q).map((q) => `put(wid.z, r0 + lane + ${8 * j}u, ${4 * q}u, acc${j}_${q});`)).join('\n  '),
  };
}
let wgrad16: Record<string, string | number> | null = null;

/**
 * The padded multiply-adds of conv2d_tex.wgsl for `g` (its rows: output channels in tiles of 16 or 32;
 * its reduction: input channels in steps of 8), to compare ways of running a conv.
 */
export function texConvWork(g: ConvGeom): number {
  return g.n * g.oh * g.ow * g.kh * g.kw * roundUp(g.co, g.co <= 16 ? 16 : TEX.TM) * roundUp(g.ci, TEX.KS);
}

/** The padded multiply-adds of the weight gradient's GEMM for `g`: rows (input channel, tap) in tiles of 32, 16 or 32·k output channels. */
export function texWgradWork(g: ConvGeom): number {
  return g.n * g.oh * roundUp(g.ow, 8) * roundUp(g.ci * g.kh * g.kw, TEX.TM) * (g.co <= 16 ? 16 : roundUp(g.co, 32));
}

/** Staged texels per row for segments of `seg` output columns: what the taps of one quad reach. */
const segmentTexels = (g: ConvGeom, seg: number) => g.sw * (seg - 1) + g.dw * (g.kw - 1) + 1;

/**
 * Stages images n0 .. n0 + nb − 1 of x once for all horizontal taps, in four segments of `seg` output
 * columns (conv2d_tex_seg_pack.wgsl): the forward's and the weight gradient's layout. x has `ct`
 * channels, of which g.ci from `c0` are staged.
 */
function stageSegments(b: WebGPUBackend, x: TensorData, g: ConvGeom, n0: number, nb: number, c8: number, hp: number, seg: number, c0: number, ct: number): GPUTexture {
  const rows = nb * c8 * hp, len = segmentTexels(g, seg);
  return stageTexture(b, 'conv2d.x', len, rows, (out, stride) => b.run({
    key: 'conv2d_tex_seg_pack', file: 'conv2d_tex_seg_pack.wgsl', source: segPackSrc,
    inputs: [x.storage], outputs: [out],
    uniforms: new Uniforms()
      .u32(n0).u32(g.ci).u32(c8).u32(g.h)
      .u32(g.w).u32(seg).u32(len).u32(g.sw)
      .i32(g.ph).i32(g.pw).u32(hp).u32(rows)
      .u32(stride).u32(c0).u32(ct),
    workgroups: [cdiv(rows, 64)],
  }));
}

/**
 * The input gradient of a stride-1 conv as a forward conv of dy (channels swapped, taps rotated by
 * 180° in the weight staging, padding dh·(kh − 1) − ph), or null where that needs negative padding
 * or the layer is strided.
 */
export function dgradAsConv(g: ConvGeom): ConvGeom | null {
  const ph = g.dh * (g.kh - 1) - g.ph, pw = g.dw * (g.kw - 1) - g.pw;
  if (g.sh !== 1 || g.sw !== 1 || ph < 0 || pw < 0) return null;
  return { n: g.n, ci: g.co, h: g.oh, w: g.ow, co: g.ci, kh: g.kh, kw: g.kw, oh: g.h, ow: g.w, sh: 1, sw: 1, ph, pw, dh: g.dh, dw: g.dw };
}

/**
 * The window `win` of out = conv2d(x, w) + bias (the full layer's bias, or null). With `flipped` (the
 * layer's `dgradAsConv`): x is dy, w the layer's own weights, out is dx, and `p` is flipped's plan.
 */
export function runTexConv(b: WebGPUBackend, x: TensorData, w: TensorData, bias: Storage | null, o: TensorData, win: ConvWindow, p: TexConvPlan, flipped: ConvGeom | null = null): void {
  const flip = flipped !== null, g = flipped ?? win.g;
  // Channel windows of what is staged (x or dy) and of what is written (out or dx).
  const [in0, inT, out0, outT] = flip ? [win.co0, win.coT, win.ci0, win.ciT] : [win.ci0, win.ciT, win.co0, win.coT];
  // The kernel always adds a bias; zeros where there is none.
  const zeros = bias ? null : b.alloc(g.co, 'float32');
  if (zeros) gpuFill(b, { shape: [g.co], dtype: 'float32', storage: zeros }, 0);
  const wTexels = (p.taps * p.c8) / 4;
  const ta = stageTexture(b, 'conv2d.w', wTexels, p.op, (out, stride) => b.run({
    key: 'conv2d_tex_wpack', file: 'conv2d_tex_wpack.wgsl', source: wpackSrc,
    inputs: [w.storage], outputs: [out],
    uniforms: new Uniforms().u32(g.co).u32(g.ci).u32(p.c8).u32(p.taps).u32(wTexels).u32(wTexels * p.op).u32(flip ? 1 : 0).u32(stride)
      .u32(win.co0).u32(win.ci0).u32(win.ciT),
    workgroups: [cdiv(wTexels * p.op, 64)],
  }));
  if (!blocks.has(p.tm)) {
    blocks.set(p.tm, texBlocks({
      bLoad: (q) => `textureLoad(tb, vec2<u32>(bx, yc + ${q}u * u.hp))`,
      store: (i, _j, acc) => `put(n, r0 + ${i}u, y, x4, ok, ${acc});`,
      tm: p.tm,
    }));
  }
  for (let n0 = 0; n0 < g.n; n0 += p.nb) {
    const nb = Math.min(p.nb, g.n - n0);
    const tb = stageSegments(b, x, g, n0, nb, p.c8, p.hp, p.w4, in0, inT);
    const quads = nb * g.oh * p.w4;
    b.run({
      key: `conv2d_tex/tm${p.tm}`, file: 'conv2d_tex.wgsl', source: texSrc, defines: blocks.get(p.tm),
      inputs: [bias ?? zeros!], textures: [ta, tb], outputs: [o.storage],
      uniforms: new Uniforms()
        .u32(g.co).u32(p.c8).u32(p.taps).u32(g.kw)
        .u32(g.sh).u32(g.dh).u32(p.hp).u32(p.w4)
        .u32(g.oh).u32(g.ow).u32(quads).u32(n0)
        .u32(g.sw).u32(g.dw).u32(out0).u32(outT)
        .u32(bias ? out0 : 0),
      workgroups: [p.op / p.tm, cdiv(quads, 8), 1],
      flops: 2 * nb * g.co * g.ci * p.taps * g.oh * g.ow,
    });
  }
  if (zeros) b.release(zeros);
}

interface TexWgradPlan {
  /** Rows of the GEMM (input channel, tap), padded to the tile; output channels as quads. */
  m: number; mp: number; o4: number;
  /** Slices of each chunk's output rows (row tiles × column tiles × slices ≥ 16). */
  slices: number;
  c8: number; hp: number;
  /** Quads per staged row (even), pixels per dy row (4·w4). */
  w4: number; xp: number;
  nb: number;
}

/** The staging layout of the weight gradient for `g`, or null where it does not fit the adapter's limits. */
export function texWgradPlan(b: WebGPUBackend, g: ConvGeom): TexWgradPlan | null {
  const max = b.device.limits.maxTextureDimension2D;
  const c8 = roundUp(g.ci, TEX.KS), taps = g.kh * g.kw, m = g.ci * taps, mp = roundUp(m, TEX.TM), o4 = cdiv(g.co, 4);
  const w4 = roundUp(cdiv(g.ow, 4), 2), xp = 4 * w4, hp = tapRows(g);
  const xRows = c8 * hp, dyRows = g.oh * xp, width = segmentTexels(g, w4);
  const hard = Math.min(Math.floor(max / xRows), Math.floor(max / dyRows));
  if (hard < 1 || width > max || o4 > max || mp / TEX.TM > MAX_WG || cdiv(g.co, 32) > MAX_WG) return null;
  const nb = imagesPerChunk(g, hard, width * xRows);
  const tiles = (mp / TEX.TM) * cdiv(g.co, 32);
  // Enough workgroups for lavapipe's threads (2 here; 16 leaves slack for bigger machines), never a
  // slice without a row in a full chunk.
  const slices = Math.min(nb * g.oh, cdiv(16, tiles), MAX_WG);
  return { m, mp, o4, slices, c8, hp, w4, xp, nb };
}

/**
 * Whether the weight gradient's texture path pays. Measured on lavapipe (texture vs subgroup kernel,
 * 3×3 layers, medians of 7): at N 64, 64→64 at 32² 1.9×, 16→16 at 16² 1.2×, 16→32 and 32→32 at 8²
 * 1.15–1.2×, but 32→64 and 64→64 at 4² 0.8× (a row of 4 pixels is padded to 8); at N 32, 128→128 at
 * 16² 1.3–2.0×; 1×1 layers even. Hence rows of 7 pixels or more and a spatial kernel (below).
 */
export function texWgradPays(g: ConvGeom): boolean {
  // Rows of 7 (MNIST's 7² layers): with textureStore staging they lost (160 ms of texture work against
  // 150 ms on the subgroup kernel for vgg_mini at N 64); staged through a buffer (tex-stage.ts) they
  // win, conv2dWgrad of the two 7² layers 38 → 23 ms per step with staging (quiet machine, profile).
  // Few channels are fine here: the GEMM's rows are (input channel, tap) pairs, 9 for a 1-channel
  // 3×3 stem, while the subgroup kernel gives each lane its own input channel and 4 output channels
  // per lane of 8, idling most of them (vgg_mini's 1→16 stem at 28², N 64: 22 ms at 0.7 GFLOP/s
  // there, ~14 ms here with staging; the ×0.5 CIFAR case's 3→8 and 8→8 layers at 32², N 32:
  // conv2dWgrad 43 → 34 ms per step).
  const macs = g.n * g.co * g.ci * g.kh * g.kw * g.oh * g.ow;
  return g.co >= 8 && macs >= 1 << 22 && g.kh * g.kw > 1 && g.ow >= 7;
}

/**
 * The window's block of dw (OIHW) = Σ over pixels of the staged input times dy: per chunk of images,
 * slices of its output rows accumulate into partial sums (conv2d_tex_wgrad.wgsl), which
 * conv2d_wgrad_reduce.wgsl adds up.
 */
export function runTexWgrad(b: WebGPUBackend, dy: TensorData, x: TensorData, dw: TensorData, win: ConvWindow, p: TexWgradPlan): void {
  const g = win.g;
  wgradBlocks ??= {
    ...texBlocks({
      aLoad: (h, t) => `textureLoad(ta, vec2<u32>(ap${h}.x + u.sw * (x4 + ${t}u), ap${h}.y + yy))`,
      bLoad: (q) => `textureLoad(tb, vec2<u32>(q0, k + ${q}u))`,
      store: (i, _j, acc) => `put(wid.z, r0 + ${i}u, q0 * 4u, ${acc});`,
    }),
    // The texture offsets of this lane's A rows, once per workgroup.
    APRE: Array.from({ length: TEX.TM / 8 }, (_, h) => `let ap${h} = arow(r0 + ${8 * h}u + lane);`).join('\n  '),
  };
  const taps = g.kh * g.kw, cg4 = p.o4 * 4;
  const part = b.alloc(p.slices * taps * g.ci * cg4, 'float32');
  for (let n0 = 0; n0 < g.n; n0 += p.nb) {
    const nb = Math.min(p.nb, g.n - n0);
    const ta = stageSegments(b, x, g, n0, nb, p.c8, p.hp, p.w4, win.ci0, win.ciT);
    // Rows of a multiple of 4 (or 2) pixels load 4 (2) pixels at a time.
    const v = g.ow % 4 === 0 ? 4 : g.ow % 2 === 0 ? 2 : 1;
    const tb = stageTexture(b, 'conv2d.dy', p.o4, nb * g.oh * p.xp, (out, stride) => b.run({
      key: `conv2d_tex_dypack/v${v}`, file: 'conv2d_tex_dypack.wgsl', source: dypackSrc,
      defines: { V: v, VT: v === 1 ? 'f32' : `vec${v}<f32>`, AT: v === 1 ? 'v' : 'v[p]' },
      inputs: [dy.storage], outputs: [out],
      uniforms: new Uniforms().u32(n0).u32(g.co).u32(p.o4).u32(g.oh).u32(g.ow).u32(p.xp).u32(stride).u32(nb * g.oh).u32(win.co0).u32(win.coT),
      workgroups: [cdiv(p.o4 * nb * g.oh, 64)],
    }));
    // At most 16 output channels: the kernel whose lanes own rows (no half-empty 32-channel tile).
    const narrow = g.co <= 16;
    if (narrow) wgrad16 ??= wgrad16Blocks();
    b.run({
      key: narrow ? 'conv2d_tex_wgrad/narrow16' : 'conv2d_tex_wgrad', file: 'conv2d_tex_wgrad.wgsl', source: wgradSrc, defines: narrow ? wgrad16! : wgradBlocks,
      inputs: [], textures: [ta, tb], outputs: [part],
      uniforms: new Uniforms()
        .u32(p.m).u32(g.co).u32(taps).u32(g.kw)
        .u32(g.dh).u32(g.sh).u32(p.hp).u32(p.c8)
        .u32(g.oh).u32(p.w4).u32(nb * g.oh).u32(n0 > 0 ? 1 : 0)
        .u32(cdiv(nb * g.oh, p.slices)).u32(g.ci).u32(cg4).u32(g.sw)
        .u32(g.dw),
      workgroups: [p.mp / TEX.TM, narrow ? 1 : cdiv(g.co, 32), p.slices],
      flops: 2 * nb * g.co * g.ci * taps * g.oh * g.ow,
    });
  }
  runWgradReduce(b, part, dw, win, cg4, p.slices);
  b.release(part);
}

/**
 * Pass 2 of every weight gradient (conv2d_wgrad_reduce.wgsl): the slices of `part` ([slices][taps][ci]
 * [cg4], the window's own channel counts) added up into the window's block of dw.
 */
export function runWgradReduce(b: WebGPUBackend, part: Storage, dw: TensorData, win: ConvWindow, cg4: number, slices: number): void {
  const g = win.g, taps = g.kh * g.kw, total = g.co * g.ci * taps;
  b.run({
    key: 'conv2d_wgrad_reduce', file: 'conv2d_wgrad_reduce.wgsl', source: wgradReduceSrc,
    inputs: [part], outputs: [dw.storage],
    uniforms: new Uniforms().u32(total).u32(g.ci).u32(taps).u32(cg4).u32(slices).u32(win.co0).u32(win.ci0).u32(win.ciT),
    workgroups: groups256(total),
  });
}

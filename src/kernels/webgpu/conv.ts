/**
 * WebGPU conv2d kernels (forward, input gradient, weight gradient) as implicit GEMMs; see the headers
 * of shaders/conv2d_*.wgsl. Variants: for CPU adapters (lavapipe, SwiftShader: barriers are emulated
 * there and slow) register tiling without barriers, and on those with 8-lane subgroups (lavapipe)
 * forward and dgrad share weights across lanes by subgroupBroadcast (conv2d_sg.wgsl); workgroup-memory
 * tiling for GPUs. On lavapipe the forward pass, the stride-1 input gradient and the weight gradient
 * of layers big enough go through textures instead (conv-tex.ts, the 'texture' variant; the rest as
 * 'subgroup'). `setConvVariant` forces one (the tests run all of them on whatever adapter is present).
 * A block-diagonal conv (the `blocks` attribute: NR's Scheme A) runs block by block on the texture path
 * where that saves GEMM work, else as the whole conv on its weight with the cross blocks zeroed
 * (`blockPlans`).
 */
import dgradSrc from '../../../shaders/conv2d_dgrad.wgsl';
import fwdSrc from '../../../shaders/conv2d_fwd.wgsl';
import sgSrc from '../../../shaders/conv2d_sg.wgsl';
import wgradSrc from '../../../shaders/conv2d_wgrad.wgsl';
import wgradSgSrc from '../../../shaders/conv2d_wgrad_sg.wgsl';
import type { Storage, TensorData } from '../../core/backend.js';
import { fail } from '../../core/errors.js';
import { convWindows, fullWindow, type ConvBlock, type ConvGeom, type ConvWindow } from '../../core/conv-geom.js';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { gpuFill, gpuStridedCopy } from './basic.js';
import { dgradAsConv, runTexConv, runTexWgrad, runWgradReduce, texConvPays, texConvPlan, texConvWork, texWgradPays, texWgradPlan, texWgradWork } from './conv-tex.js';
import { hasSubgroups8 } from './matmul.js';
import { Uniforms } from './program.js';

export type ConvVariant = 'texture' | 'subgroup' | 'register' | 'tiled';
let forced: ConvVariant | null = null;

/**
 * Force a kernel variant (null: pick by adapter — texture where it pays, else subgroup, else register
 * on software adapters; tiled on GPUs). Forced 'texture' takes the texture path wherever it fits.
 */
export function setConvVariant(v: ConvVariant | null): void {
  forced = v;
}

/** Register variant: groups of 4 channels per invocation (2 = 8 channels × 4 pixels: measured faster on lavapipe). */
let registerGroups: 1 | 2 = 2;
export function setConvRegisterGroups(ng: 1 | 2): void {
  registerGroups = ng;
}

/** The variant conv2d uses on this backend now (forced, or chosen by adapter). */
export function variantFor(b: WebGPUBackend): ConvVariant {
  if ((forced === 'subgroup' || forced === 'texture') && !hasSubgroups8(b)) {
    fail('conv2d', `the '${forced}' variant needs the WebGPU 'subgroups' feature with 8-lane subgroups; this adapter (${b.info().description || b.info().vendor}) does not have them`);
  }
  return forced ?? (b.info().isSoftware ? (hasSubgroups8(b) ? 'texture' : 'register') : 'tiled');
}

/** The variant for kernels without a texture path (dgrad, wgrad, and forward where it does not fit). */
function gatherVariant(b: WebGPUBackend): Exclude<ConvVariant, 'texture'> {
  const v = variantFor(b);
  return v === 'texture' ? 'subgroup' : v;
}

/** Whether the adapter can run the subgroup variant (tests skip it elsewhere). */
export const convSubgroupsAvailable = (b: WebGPUBackend): boolean => hasSubgroups8(b);

const cdiv = (a: number, b: number) => Math.ceil(a / b);
/** Floating-point operations of one pass (forward, input or weight gradient) of the conv `g`. */
export const convFlops = (g: ConvGeom): number => 2 * g.n * g.co * g.ci * g.kh * g.kw * g.oh * g.ow;
const isFast1x1 = (g: ConvGeom) => g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;

function temp(b: WebGPUBackend, n: number): TensorData {
  return { shape: [n], dtype: 'float32', storage: b.alloc(n, 'float32') };
}

/**
 * Weights OIHW → [KH·KW][red][cg·4] with the `out` channel axis innermost and zero-padded to a multiple
 * of 4·ng, so a kernel reads 4 consecutive output channels as one vec4 (and ng groups without a bound test). `outIsO`: forward (vec4 over O)
 * vs dgrad (vec4 over I).
 */
function transposeWeights(b: WebGPUBackend, w: TensorData, g: ConvGeom, outIsO: boolean, ng: number): TensorData {
  const taps = g.kh * g.kw;
  const [red, outC] = outIsO ? [g.ci, g.co] : [g.co, g.ci];
  const c4 = paddedGroups(outC, ng) * 4;
  const t = temp(b, taps * red * c4);
  if (c4 !== outC) gpuFill(b, t, 0);
  // Source index (o, c, tap) → destination (tap, red, out).
  const outStrides = outIsO ? [1, c4, red * c4] : [c4, 1, red * c4];
  gpuStridedCopy(b, w, t, { shape: [g.co, g.ci, taps], xStrides: [g.ci * taps, taps, 1], xBase: 0, outStrides, outBase: 0 });
  return t;
}

/** Groups of 4 channels, rounded up to a multiple of the groups one invocation computes. */
const paddedGroups = (c: number, ng: number) => cdiv(cdiv(c, 4), ng) * ng;
const groupsFor = (v: ConvVariant) => (v === 'register' ? registerGroups : v === 'subgroup' ? 2 : 1);
/** conv2d_wgrad.wgsl has 1 or 2 groups of 4 input channels per invocation. */
const wgradGroups = (v: ConvVariant) => Math.min(groupsFor(v), 2);

/** Uniforms shared by conv2d_fwd.wgsl and conv2d_dgrad.wgsl (see their `U`). */
function gatherUniforms(cRed: number, cOut: number, src: [number, number], dst: [number, number], g: ConvGeom, pixels: number, ng: number): Uniforms {
  return new Uniforms()
    .u32(g.n).u32(cRed).u32(cOut).u32(paddedGroups(cOut, ng))
    .u32(src[0]).u32(src[1]).u32(dst[0]).u32(dst[1])
    .u32(g.kh).u32(g.kw).u32(g.sh).u32(g.sw)
    .i32(g.ph).i32(g.pw).u32(g.dh).u32(g.dw)
    .u32(pixels);
}

function gatherDispatch(v: ConvVariant, pixels: number, cOut: number, ng: number): [number, number, number] {
  if (v === 'tiled') return [cdiv(pixels, 64), 1, cdiv(cOut, 64)];
  return [cdiv(pixels, 256), 1, paddedGroups(cOut, ng) / ng];
}

const defines = (v: ConvVariant, fast: boolean, ng: number) => ({ TILED: v === 'tiled' ? 1 : 0, FAST1X1: fast ? 1 : 0, WG: v === 'tiled' ? 256 : 64, NG: ng });
const gatherKey = (name: string, v: ConvVariant, fast: boolean, ng: number) => `${name}/${v}/${fast ? '1x1' : 'k'}/ng${ng}`;

/**
 * conv2d_sg.wgsl: forward (bias = the bias or null) or dgrad. Weights must be transposed with ng = 2
 * (produced channels padded to 8); the shader adds a bias of c8 entries (zeros where there is none).
 */
function runSubgroup(b: WebGPUBackend, dgrad: boolean, src: TensorData, wt: TensorData, bias: TensorData | null, o: TensorData, g: ConvGeom): void {
  const [cRed, cOut] = dgrad ? [g.co, g.ci] : [g.ci, g.co];
  const [srcHW, dstHW]: [number, number][] = dgrad ? [[g.oh, g.ow], [g.h, g.w]] : [[g.h, g.w], [g.oh, g.ow]];
  const c8 = cdiv(cOut, 8) * 8;
  const bt = temp(b, c8);
  gpuFill(b, bt, 0);
  if (bias) b.copy(bias.storage, bt.storage, cOut * 4);
  const fast = isFast1x1(g);
  // dgrad: one dispatch per stride phase (see the shader's U); forward: one phase covering everything.
  const phases: [number, number, number, number][] = []; // py, px, grid height, grid width
  if (dgrad) {
    for (let py = 0; py < Math.min(g.sh, g.h); py++)
      for (let px = 0; px < Math.min(g.sw, g.w); px++) phases.push([py, px, cdiv(g.h - py, g.sh), cdiv(g.w - px, g.sw)]);
  } else phases.push([0, 0, g.oh, g.ow]);
  for (const [py, px, gh, gw] of phases) {
    const pixels = g.n * gh * gw;
    if (cdiv(pixels, 256) > 65535 || c8 / 8 > 65535) {
      fail('conv2d_sg.wgsl', `${pixels} pixels × ${cOut} channels need ${cdiv(pixels, 256)} × ${c8 / 8} workgroups, more than the adapter's 65535 per dimension`);
    }
    b.run({
      key: `conv2d_sg/${dgrad ? 'dgrad' : 'fwd'}/${fast ? '1x1' : 'k'}`, file: 'conv2d_sg.wgsl', source: sgSrc, defines: { DGRAD: dgrad ? 1 : 0, FAST1X1: fast ? 1 : 0 },
      inputs: [src.storage, wt.storage, bt.storage], outputs: [o.storage],
      uniforms: new Uniforms()
        .u32(g.n).u32(cRed).u32(cOut).u32(c8)
        .u32(srcHW[0]).u32(srcHW[1]).u32(dstHW[0]).u32(dstHW[1])
        .u32(g.kh).u32(g.kw).u32(g.sh).u32(g.sw)
        .i32(g.ph).i32(g.pw).u32(g.dh).u32(g.dw)
        .u32(pixels).u32(py).u32(px).u32(gw),
      workgroups: [c8 / 8, cdiv(pixels, 256), 1],
      flops: 2 * pixels * cOut * cRed * g.kh * g.kw / (dgrad ? g.sh * g.sw : 1),
    });
  }
  release(b, bt);
}

function checkGroups(file: string, wg: readonly number[]): void {
  if (wg[2] > 65535) fail(file, `${wg[2]} channel blocks exceed the adapter's 65535 workgroups per dimension`);
}

function release(b: WebGPUBackend, ...ts: TensorData[]): void {
  for (const t of ts) b.release(t.storage);
}

/* ------------------------------------------------ forward ------------------------------------------------ */

webgpuKernels.register('conv2d', (b, [x, w, bias], { geom, blocks }) => {
  const o: TensorData = { shape: [geom.n, geom.co, geom.oh, geom.ow], dtype: 'float32', storage: b.alloc(geom.n * geom.co * geom.oh * geom.ow, 'float32') };
  if (sizeOf(o.shape) === 0) return o;
  const dense = (wd: TensorData) => forwardDense(b, x, wd, bias ?? null, o, geom);
  if (!blocks) dense(w);
  else {
    const runs = blockPlans(geom, blocks, (g) => (variantFor(b) === 'texture' ? texConvPlan(b, g) : null), texConvWork);
    if (runs) for (const [win, plan] of runs) runTexConv(b, x, w, bias?.storage ?? null, o, win, plan);
    else denseOnBlocks(b, w, geom, blocks, dense);
  }
  return o;
});

/** The whole forward conv: the texture path where it pays, else the gather kernels. */
function forwardDense(b: WebGPUBackend, x: TensorData, w: TensorData, bias: TensorData | null, o: TensorData, g: ConvGeom): void {
  const plan = variantFor(b) === 'texture' ? texConvPlan(b, g) : null;
  if (plan && (forced === 'texture' || texConvPays(g))) runTexConv(b, x, w, bias?.storage ?? null, o, fullWindow(g), plan);
  else forwardGather(b, x, w, bias, o, g);
}

function forwardGather(b: WebGPUBackend, x: TensorData, w: TensorData, bias: TensorData | null, o: TensorData, g: ConvGeom): void {
  const pixels = g.n * g.oh * g.ow;
  const v = gatherVariant(b);
  const ng = groupsFor(v);
  const fast = isFast1x1(g);
  const wt = transposeWeights(b, w, g, true, ng);
  if (v === 'subgroup') {
    runSubgroup(b, false, x, wt, bias, o, g);
    release(b, wt);
    return;
  }
  // The shader always adds a bias of ceil(Co/4)·4 entries: zeros when there is none, padded otherwise.
  const c4 = cdiv(g.co, 4) * 4;
  let bt: TensorData | null = null;
  let biasStorage: Storage;
  if (bias && c4 === g.co) biasStorage = bias.storage;
  else {
    bt = temp(b, c4);
    gpuFill(b, bt, 0);
    if (bias) b.copy(bias.storage, bt.storage, g.co * 4);
    biasStorage = bt.storage;
  }
  const wg = gatherDispatch(v, pixels, g.co, ng);
  checkGroups('conv2d_fwd.wgsl', wg);
  b.run({
    key: gatherKey('conv2d_fwd', v, fast, ng), file: 'conv2d_fwd.wgsl', source: fwdSrc, defines: defines(v, fast, ng),
    inputs: [x.storage, wt.storage, biasStorage], outputs: [o.storage],
    uniforms: gatherUniforms(g.ci, g.co, [g.h, g.w], [g.oh, g.ow], g, pixels, ng), workgroups: wg, flops: convFlops(g),
  });
  release(b, wt, ...(bt ? [bt] : []));
}

/* ------------------------------------------------ block-diagonal convs ------------------------------------------------ */

export type BlockPolicy = 'auto' | 'blocks' | 'dense';
let blockPolicy: BlockPolicy = 'auto';
/**
 * Benchmarks and tests: 'blocks' runs every block on the texture path wherever they all fit it,
 * 'dense' every block-diagonal conv as the whole conv on the zeroed weight; 'auto' chooses by work.
 */
export function setConvBlockPolicy(p: BlockPolicy): void {
  blockPolicy = p;
}

/**
 * Run a pass of a block-diagonal conv block by block? Only on the texture path, whose kernels read and
 * write channel windows of the full tensors in place, so a block costs its own GEMM and nothing else;
 * and only where the blocks' padded GEMM work (`work`: tiles of 16 or 32 rows, channels in steps of 8)
 * is at most 0.85 of the whole conv's. Returns each block's window and plan, or null: then the pass
 * runs the whole conv on the weight with its cross blocks zeroed (`denseOnBlocks`), the same function.
 * Why these rules, measured on lavapipe (fwd + both gradients, N 64, NR's post-surgery vgg_mini shapes,
 * medians of 6, `runs`-style A/B against dense): blocks win 0.54–0.80× where the work ratio is
 * 0.5–0.7, lose 1.31× on 16 → 16 split 8/8 (ratio 1.0); on the gather kernels the windows must be
 * copied out and back, and that cost more than the blocks saved (post-surgery step 365–386 ms
 * against 217–223 ms dense).
 */
function blockPlans<P>(geom: ConvGeom, blocks: readonly ConvBlock[], planOf: (g: ConvGeom) => P | null, work: (g: ConvGeom) => number): [ConvWindow, P][] | null {
  if (blockPolicy === 'dense') return null;
  const wins = convWindows(geom, blocks);
  const plans = wins.map((win) => planOf(win.g));
  if (plans.some((p) => p === null)) return null;
  if (blockPolicy === 'auto' && wins.reduce((s, win) => s + work(win.g), 0) > 0.85 * work(geom)) return null;
  return wins.map((win, i) => [win, plans[i]!]);
}

/** Copy the blocks of an OIHW tensor into a zero-filled one of the same shape. */
function keepBlocks(b: WebGPUBackend, src: TensorData, dst: TensorData, geom: ConvGeom, blocks: readonly ConvBlock[]): void {
  const taps = geom.kh * geom.kw, s = [geom.ci * taps, taps, 1];
  gpuFill(b, dst, 0);
  for (const k of blocks) {
    const base = (k.co0 * geom.ci + k.ci0) * taps;
    gpuStridedCopy(b, src, dst, { shape: [k.co, k.ci, taps], xStrides: s, xBase: base, outStrides: s, outBase: base });
  }
}

/** Run `dense` on the weight with its cross blocks zeroed: the block-diagonal conv's exact function. */
function denseOnBlocks(b: WebGPUBackend, w: TensorData, geom: ConvGeom, blocks: readonly ConvBlock[], dense: (wz: TensorData) => void): void {
  const wz = temp(b, sizeOf(w.shape));
  keepBlocks(b, w, wz, geom, blocks);
  dense(wz);
  release(b, wz);
}

/* ------------------------------------------------ input gradient ------------------------------------------------ */

webgpuKernels.register('conv2dDgrad', (b, [dy, w], { geom, blocks }) => {
  const o: TensorData = { shape: [geom.n, geom.ci, geom.h, geom.w], dtype: 'float32', storage: b.alloc(geom.n * geom.ci * geom.h * geom.w, 'float32') };
  if (sizeOf(o.shape) === 0) return o;
  const dense = (wd: TensorData) => dgradDense(b, dy, wd, o, geom);
  if (!blocks) dense(w);
  else {
    // Stride 1 only: the input gradient as a forward conv of dy (channels swapped, taps rotated).
    const asConv = (g: ConvGeom) => dgradAsConv(g) ?? g;
    const planOf = (g: ConvGeom) => {
      const gd = variantFor(b) === 'texture' ? dgradAsConv(g) : null;
      const plan = gd ? texConvPlan(b, gd) : null;
      return gd && plan ? { gd, plan } : null;
    };
    const runs = blockPlans(geom, blocks, planOf, (g) => texConvWork(asConv(g)));
    if (runs) for (const [win, t] of runs) runTexConv(b, dy, w, null, o, win, t.plan, t.gd);
    else denseOnBlocks(b, w, geom, blocks, dense);
  }
  return o;
});

/** The whole input gradient: the texture path where it pays (stride 1), else the gather kernels. */
function dgradDense(b: WebGPUBackend, dy: TensorData, w: TensorData, o: TensorData, g: ConvGeom): void {
  const gd = variantFor(b) === 'texture' ? dgradAsConv(g) : null;
  const plan = gd ? texConvPlan(b, gd) : null;
  if (gd && plan && (forced === 'texture' || texConvPays(gd))) runTexConv(b, dy, w, null, o, fullWindow(g), plan, gd);
  else dgradGather(b, dy, w, o, g);
}

function dgradGather(b: WebGPUBackend, dy: TensorData, w: TensorData, o: TensorData, g: ConvGeom): void {
  const pixels = g.n * g.h * g.w;
  const v = gatherVariant(b);
  const ng = groupsFor(v);
  const fast = isFast1x1(g);
  const wt = transposeWeights(b, w, g, false, ng);
  if (v === 'subgroup') {
    runSubgroup(b, true, dy, wt, null, o, g);
    release(b, wt);
    return;
  }
  const wg = gatherDispatch(v, pixels, g.ci, ng);
  checkGroups('conv2d_dgrad.wgsl', wg);
  b.run({
    key: gatherKey('conv2d_dgrad', v, fast, ng), file: 'conv2d_dgrad.wgsl', source: dgradSrc, defines: defines(v, fast, ng),
    inputs: [dy.storage, wt.storage], outputs: [o.storage],
    uniforms: gatherUniforms(g.co, g.ci, [g.oh, g.ow], [g.h, g.w], g, pixels, ng), workgroups: wg, flops: convFlops(g),
  });
  release(b, wt);
}

/* ------------------------------------------------ weight gradient ------------------------------------------------ */

/**
 * How to slice the N·OH·OW reduction: enough slices that the first pass has work for a GPU's worth
 * of invocations, never slices smaller than one dy row (register) or 16 pixels (tiled).
 */
function wgradPlan(v: ConvVariant, g: ConvGeom): { tiles: number; cig: number; perSlice: number; slices: number; workgroups: number } {
  const taps = g.kh * g.kw, cg = cdiv(g.co, 4);
  if (v === 'subgroup') {
    // Tiles of 8 input × 32 output channels at one tap, one per subgroup of 8 lanes.
    const cig = cdiv(g.ci, 8);
    const tiles = cdiv(cg, 8) * cig * taps;
    const rows = g.n * g.oh;
    const want = Math.min(rows, Math.max(1, cdiv(16384, tiles * 8)));
    const perSlice = cdiv(rows, want);
    return { tiles, cig, perSlice, slices: cdiv(rows, perSlice), workgroups: cdiv(tiles, 8) };
  }
  if (v === 'register') {
    const cig = cdiv(g.ci, 4 * wgradGroups(v));
    const tiles = cg * cig * taps;
    const rows = g.n * g.oh;
    const want = Math.min(rows, Math.max(1, cdiv(16384, tiles)));
    const perSlice = cdiv(rows, want);
    return { tiles, cig, perSlice, slices: cdiv(rows, perSlice), workgroups: cdiv(tiles, 64) };
  }
  const cig = cdiv(g.ci, 64);
  const tiles = cdiv(cg, 16) * cig * taps;
  const pixels = g.n * g.oh * g.ow;
  const want = Math.min(cdiv(pixels, 16), Math.max(1, cdiv(65536, tiles * 256)));
  const perSlice = cdiv(cdiv(pixels, want), 16) * 16;
  return { tiles, cig, perSlice, slices: cdiv(pixels, perSlice), workgroups: tiles };
}

webgpuKernels.register('conv2dWgrad', (b, [dy, x], { geom, blocks }) => {
  const total = geom.co * geom.ci * geom.kh * geom.kw;
  const o: TensorData = { shape: [geom.co, geom.ci, geom.kh, geom.kw], dtype: 'float32', storage: b.alloc(total, 'float32') };
  if (total === 0) return o;
  if (geom.n * geom.oh * geom.ow === 0) {
    gpuFill(b, o, 0);
    return o;
  }
  if (!blocks) {
    wgradDense(b, dy, x, o, geom);
    return o;
  }
  const runs = blockPlans(geom, blocks, (g) => (variantFor(b) === 'texture' ? texWgradPlan(b, g) : null), texWgradWork);
  if (runs) {
    // Blocks write their own weights only: the rest is the exact zero gradient of weights that never act.
    gpuFill(b, o, 0);
    for (const [win, plan] of runs) runTexWgrad(b, dy, x, o, win, plan);
  } else {
    // The whole gradient, then only its blocks kept.
    const full = temp(b, total);
    wgradDense(b, dy, x, full, geom);
    keepBlocks(b, full, o, geom, blocks);
    release(b, full);
  }
  return o;
});

/** The whole weight gradient: the texture path where it pays, else the gather kernels. */
function wgradDense(b: WebGPUBackend, dy: TensorData, x: TensorData, o: TensorData, g: ConvGeom): void {
  const plan = variantFor(b) === 'texture' ? texWgradPlan(b, g) : null;
  if (plan && (forced === 'texture' || texWgradPays(g))) runTexWgrad(b, dy, x, o, fullWindow(g), plan);
  else wgradGather(b, dy, x, o, g);
}

/** The weight gradient of the whole conv `g` on the gather kernels (two passes: slices, then their sum). */
function wgradGather(b: WebGPUBackend, dy: TensorData, x: TensorData, o: TensorData, g: ConvGeom): void {
  const v = gatherVariant(b);
  const taps = g.kh * g.kw, cg = cdiv(g.co, 4);
  const p = wgradPlan(v, g);
  if (p.slices > 65535) fail('conv2d_wgrad.wgsl', `${p.slices} slices exceed 65535 workgroups per dimension`);
  const part = temp(b, p.slices * taps * g.ci * cg * 4);
  const uniforms = new Uniforms()
    .u32(g.n).u32(g.ci).u32(g.h).u32(g.w)
    .u32(g.co).u32(g.oh).u32(g.ow).u32(g.kh)
    .u32(g.kw).u32(g.sh).u32(g.sw).i32(g.ph)
    .i32(g.pw).u32(g.dh).u32(g.dw).u32(cg);
  if (v === 'subgroup') {
    b.run({
      key: 'conv2d_wgrad_sg', file: 'conv2d_wgrad_sg.wgsl', source: wgradSgSrc,
      inputs: [dy.storage, x.storage], outputs: [part.storage],
      uniforms: uniforms.u32(p.cig).u32(cdiv(cg, 8)).u32(p.tiles).u32(p.perSlice),
      workgroups: [p.workgroups, 1, p.slices], flops: convFlops(g),
    });
  } else {
    b.run({
      key: `conv2d_wgrad/${v}/ng${wgradGroups(v)}`, file: 'conv2d_wgrad.wgsl', source: wgradSrc, defines: { TILED: v === 'tiled' ? 1 : 0, WG: v === 'tiled' ? 256 : 64, NG: wgradGroups(v) },
      inputs: [dy.storage, x.storage], outputs: [part.storage],
      uniforms: uniforms.u32(p.cig).u32(p.tiles).u32(p.perSlice),
      workgroups: [p.workgroups, 1, p.slices], flops: convFlops(g),
    });
  }
  runWgradReduce(b, part.storage, o, fullWindow(g), cg * 4, p.slices);
  release(b, part);
}


/**
 * WebGPU matmul: kernel families chosen by adapter class. CPU adapters (lavapipe, SwiftShader) with
 * 8-lane subgroups get `matmul_tex.wgsl` for products big enough to pay for staging the operands in
 * textures (matmul_tex_pack.wgsl), and `matmul_sg.wgsl` below that (A values shared across lanes by
 * subgroupBroadcast); without subgroups they get `matmul_reg.wgsl` (register tiles; none of these
 * uses workgroup memory: barriers are emulated and slow there). GPUs get `matmul_tiled.wgsl`
 * (workgroup-memory tiles). `attrs.variant` forces one, so all are tested on any machine that can run
 * them. Transposed operands are read in place by all (the texture variant reads them while staging).
 */
import regSrc from '../../../shaders/matmul_reg.wgsl';
import sgSrc from '../../../shaders/matmul_sg.wgsl';
import tiledSrc from '../../../shaders/matmul_tiled.wgsl';
import texSrc from '../../../shaders/matmul_tex.wgsl';
import texPackSrc from '../../../shaders/matmul_tex_pack.wgsl';
import type { TensorData } from '../../core/backend.js';
import { fail, fmtShape } from '../../core/errors.js';
import { planMatmul, type MatmulAttrs, type MatmulPlan, type MatmulVariant } from '../../core/matmul-plan.js';
import { webgpuKernels } from './table.js';
import type { WebGPUBackend } from './backend.js';
import { gpuFill } from './basic.js';
import { Uniforms } from './program.js';
import { stageTexture } from './tex-stage.js';

const TILE = 64; // matmul_tiled.wgsl: 64×64 outputs per workgroup
const REG = 32; // matmul_reg.wgsl: 8×8 invocations × 4×4 outputs
const MAX_WG = 65535;

/** Whether this device can run matmul_sg.wgsl: the subgroups feature with subgroups of exactly 8. */
export function hasSubgroups8(b: WebGPUBackend): boolean {
  const info = b.device.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return b.device.features.has('subgroups') && info?.subgroupMinSize === 8 && info?.subgroupMaxSize === 8;
}

/** The variant used when none is forced (for `p`'s sizes, when given). */
export function defaultMatmulVariant(b: WebGPUBackend, p?: MatmulPlan): MatmulVariant {
  if (!b.info().isSoftware) return 'tiled';
  if (!hasSubgroups8(b)) return 'register';
  return p && texturePays(p) && textureFits(b, p) ? 'texture' : 'subgroup';
}

// matmul_tex.wgsl's tile: TM rows × 32·TNQ columns per subgroup, KS steps of k per loop iteration.
// Measured on lavapipe at 1024² (raw kernel, 10–16 interleaved rounds, idle): with read-only storage
// textures, tiles of 16..64 rows × 32 columns, steps of 8, all land within the noise (median
// 21–24 GFLOP/s against a median FMA ceiling of 37–41 in the same rounds); 8 rows are slower
// (B fetches go unamortized), 64 columns or steps of 16 no faster. Through `npm run bench`, 32 rows
// edged out 16 (ceiling ratio 0.52–0.58 vs 0.52–0.56 over three runs each): per 1024 FMA pairs
// they make 8 texture fetches instead of 12. LLVM's compile time grows with the tile (first
// dispatch 1.0 s at 16 rows, 2.1 s at 32, 5.6 s at 64), which rules out the bigger ones.
export const TEX = { TM: 32, TNQ: 1, KS: 8 } as const;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Staging both operands and padding to whole tiles costs more than the faster loop saves on small
 * products: measured on lavapipe (idle), the texture kernel wins from about 4 M multiply-adds
 * (256³: 3.6 vs 7.4 ms; 512³ with Aᵀ, staged by a kernel: 26 vs 36 ms), loses at 128×64 @ 64×128
 * (0.66 vs 0.48 ms) and at 100×300 @ 300×200 (2.0 vs 1.6 ms).
 */
function texturePays(p: MatmulPlan): boolean {
  return p.m >= TEX.TM && p.n >= 32 * TEX.TNQ && p.k >= 64 && p.m * p.n * p.k >= 1 << 22;
}

/** Staged operands: texture extents (in texels) and each operand's own batch count and batch strides. */
function textureLayout(p: MatmulPlan) {
  const mp = roundUp(p.m, TEX.TM), kp = roundUp(p.k, TEX.KS), np = roundUp(p.n, 32 * TEX.TNQ);
  // The plan's batch strides are in elements; in whole matrices they index the staged batches.
  const aStr = p.aStrides.map((s) => s / (p.m * p.k)), bStr = p.bStrides.map((s) => s / (p.k * p.n));
  const count = (str: number[]) => 1 + p.bShape.reduce((acc, d, i) => acc + (d - 1) * str[i], 0);
  const aBatches = count(aStr), bBatches = count(bStr);
  return { mp, kp, np, aStr, bStr, aBatches, bBatches, a: [kp / 4, aBatches * mp], b: [np / 4, bBatches * kp] };
}

function textureFits(b: WebGPUBackend, p: MatmulPlan): boolean {
  const max = b.device.limits.maxTextureDimension2D;
  const l = textureLayout(p);
  return [...l.a, ...l.b].every((d) => d <= max) && l.mp / TEX.TM <= MAX_WG && l.np / (32 * TEX.TNQ) <= MAX_WG;
}

/** How a texture-GEMM shader addresses its operands (see `texBlocks`). */
export interface TexGemm {
  /** The B texel of step q along k for column quad j. */
  bLoad(q: number, j: number): string;
  /** Stores row i's accumulator `acc` for column quad j. */
  store(i: number, j: number, acc: string): string;
  /** The A texel t (k + 4t .. +3) of the lane's row r0 + 8h + lane; default: texel (k / 4 + t, aRow + 8h). */
  aLoad?(h: number, t: number): string;
  /** Rows per tile (a multiple of 8); default TEX.TM. */
  tm?: number;
}

/**
 * The generated parts of a texture-GEMM shader (matmul_tex.wgsl, conv2d_tex.wgsl,
 * conv2d_tex_wgrad.wgsl): accumulators, fetches, the broadcast-FMA block and stores.
 */
export function texBlocks(g: TexGemm): Record<string, string | number> {
  const { TNQ, KS } = TEX;
  const TM = g.tm ?? TEX.TM;
  const aLoad = g.aLoad ?? ((h: number, t: number) => `textureLoad(ta, vec2<u32>(k / 4u + ${t}u, aRow + ${8 * h}u))`);
  const bLoad = g.bLoad, store = g.store;
  const decls: string[] = [], loads: string[] = [], fmas: string[] = [], stores: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TNQ; j++) decls.push(`var acc${i}_${j} = vec4<f32>(0.0);`);
  // This lane's A texels: rows aRow + 8h, k + 4t .. +3 (lane i of the subgroup holds row r0 + 8h + i).
  for (let h = 0; h < TM / 8; h++) for (let t = 0; t < KS / 4; t++) loads.push(`let a${h}_${t} = ${aLoad(h, t)};`);
  for (let q = 0; q < KS; q++) for (let j = 0; j < TNQ; j++) loads.push(`let b${q}_${j} = ${bLoad(q, j)};`);
  // Row i's accumulators take all KS steps at once, so each is loaded and stored once per iteration.
  for (let i = 0; i < TM; i++) {
    const h = i >> 3, lane = i & 7;
    for (let q = 0; q < KS; q++) fmas.push(`let s${q}_${i} = vec4<f32>(subgroupBroadcast(a${h}_${q >> 2}.${'xyzw'[q & 3]}, ${lane}u));`);
    for (let j = 0; j < TNQ; j++) {
      let e = `acc${i}_${j}`;
      for (let q = 0; q < KS; q++) e = `fma(s${q}_${i}, b${q}_${j}, ${e})`;
      fmas.push(`acc${i}_${j} = ${e};`);
    }
  }
  for (let i = 0; i < TM; i++) for (let j = 0; j < TNQ; j++) stores.push(store(i, j, `acc${i}_${j}`));
  const join = (x: string[], indent: string) => x.join(`\n${indent}`);
  return { TM, TNQ, KS, DECLS: join(decls, '  '), LOADS: join(loads, '    '), FMAS: join(fmas, '    '), STORES: join(stores, '  ') };
}
let texBlocksCache: Record<string, string | number> | null = null;

/**
 * Stage op(X) (rows × cols, strides rs / cs) of each of `batches` matrices into `slot`'s texture.
 * A row-major operand whose rows are whole texture rows (cols·4 bytes a multiple of 256) and that
 * needs no zero padding along k (its `kAxis`) is copied as is: padding rows or columns along M or N
 * then hold stale values, which only reach outputs past M × N, never stored.
 */
function stage(b: WebGPUBackend, slot: string, x: TensorData, rows: number, cols: number, rp: number, w: number, batches: number, rs: number, cs: number, kAxis: 'rows' | 'cols'): GPUTexture {
  const kPadded = kAxis === 'cols' ? cols !== w * 4 : rows !== rp;
  if (cs === 1 && (cols * 4) % 256 === 0 && !kPadded && batches <= 64) {
    const tex = b.scratchTexture(slot, w, batches * rp);
    for (let i = 0; i < batches; i++) b.copyToTexture(x.storage, i * rows * cols * 4, cols * 4, rows, tex, i * rp);
    return tex;
  }
  const texels = w * batches * rp;
  return stageTexture(b, slot, w, batches * rp, (out, stride) => b.run({
    key: 'matmul_tex_pack', file: 'matmul_tex_pack.wgsl', source: texPackSrc,
    inputs: [x.storage], outputs: [out],
    uniforms: new Uniforms().u32(rows).u32(cols).u32(rp).u32(w).u32(texels).u32(rs).u32(cs).u32(stride), workgroups: [Math.ceil(texels / 64)],
  }));
}

function dispatchTexture(b: WebGPUBackend, x: TensorData, y: TensorData, o: TensorData, p: MatmulPlan, a: MatmulAttrs): void {
  if (!hasSubgroups8(b)) fail('matmul', `the 'texture' variant needs the WebGPU 'subgroups' feature with 8-lane subgroups; this adapter (${b.info().description || b.info().vendor}) has ${b.device.features.has('subgroups') ? 'other subgroup sizes' : 'no subgroups'}`);
  const l = textureLayout(p);
  const { m, n, k } = p;
  // Stored A is [M, K] (rs = K, cs = 1) or, transposed, [K, M] (rs = 1, cs = M); B likewise.
  const ta = stage(b, 'matmul.a', x, m, k, l.mp, l.a[0], l.aBatches, a.transA ? 1 : k, a.transA ? m : 1, 'cols');
  const tb = stage(b, 'matmul.b', y, k, n, l.kp, l.b[0], l.bBatches, a.transB ? 1 : n, a.transB ? k : 1, 'rows');
  const groups: [number, number, number] = [l.mp / TEX.TM, l.np / (32 * TEX.TNQ), p.batch];
  check(groups, p);
  texBlocksCache ??= texBlocks({
    bLoad: (q, j) => `textureLoad(tb, vec2<u32>(q0 + ${8 * j}u, bRow + k + ${q}u))`,
    store: (i, j, acc) => `put(base, r0 + ${i}u, (q0 + ${8 * j}u) * 4u, ${acc});`,
  });
  b.run({
    key: 'matmul_tex', file: 'matmul_tex.wgsl', source: texSrc, defines: texBlocksCache,
    inputs: [], textures: [ta, tb], outputs: [o.storage],
    uniforms: new Uniforms().u32(m).u32(n).u32(l.mp).u32(l.kp).u32(p.bShape.length).vec8u(p.bShape).vec8u(l.aStr).vec8u(l.bStr),
    workgroups: groups, flops: 2 * p.batch * m * n * k,
  });
}

/**
 * matmul_sg.wgsl's inner block: 32 broadcasts and FMAs per step of 4 along k. Lane ids of
 * subgroupBroadcast must be constants, hence generated. Value op(A)[r0 + i, k + q] sits in lane i,
 * component q (non-transposed A) or in lane q + 4⌊i/4⌋, component i % 4 (transposed).
 */
function sgFmas(transA: boolean): string {
  const lines: string[] = [];
  for (let q = 0; q < 4; q++) {
    for (let i = 0; i < 8; i++) {
      const [lane, comp] = transA ? [q + 4 * (i >> 2), i & 3] : [i, q];
      lines.push(`acc${i} = fma(vec4<f32>(subgroupBroadcast(av[${comp}], ${lane}u)), bv[${q}], acc${i});`);
    }
  }
  return lines.join('\n    ');
}

/** matmul_sg.wgsl's loads: one vec4, or four clamped scalars with k past K read as 0. */
function sgLoads(vec: boolean): Record<string, string> {
  const load = (x: string) => (vec ? `return ${x}[i.x / 4u];` : `return select(vec4<f32>(0.0), vec4<f32>(${x}[i.x], ${x}[i.y], ${x}[i.z], ${x}[i.w]), ok);`);
  return { ELEM: vec ? 'vec4<f32>' : 'f32', VEC: String(vec), LOAD_A: load('a'), LOAD_B: load('b') };
}

/** WGSL snippets for the register kernel's loads: one vec4 per load, or four clamped scalars. */
function regLoads(vec: boolean): Record<string, string> {
  const load = (x: string) => (vec ? `return ${x}[i.x / 4u];` : `return vec4<f32>(${x}[i.x], ${x}[i.y], ${x}[i.z], ${x}[i.w]);`);
  const at = (x: string) => (vec ? `return ${x}[i / 4u][i % 4u];` : `return ${x}[i];`);
  return { ELEM: vec ? 'vec4<f32>' : 'f32', VEC: String(vec), LOAD_A: load('a'), LOAD_B: load('b'), AT_A: at('a'), AT_B: at('b') };
}

function uniforms(p: MatmulPlan): Uniforms {
  return new Uniforms().u32(p.m).u32(p.n).u32(p.k).u32(p.bShape.length).vec8u(p.bShape).vec8u(p.aStrides).vec8u(p.bStrides);
}

function dispatch(b: WebGPUBackend, x: TensorData, y: TensorData, o: TensorData, p: MatmulPlan, a: MatmulAttrs, variant: MatmulVariant): void {
  const trans = { TRANS_A: String(a.transA), TRANS_B: String(a.transB) };
  const tag = `${a.transA ? 't' : 'n'}${a.transB ? 't' : 'n'}`;
  let groups: [number, number, number];
  if (variant === 'texture') {
    dispatchTexture(b, x, y, o, p, a);
  } else if (variant === 'subgroup') {
    if (!hasSubgroups8(b)) fail('matmul', `the 'subgroup' variant needs the WebGPU 'subgroups' feature with 8-lane subgroups; this adapter (${b.info().description || b.info().vendor}) has ${b.device.features.has('subgroups') ? 'other subgroup sizes' : 'no subgroups'}`);
    const vec = p.m % 4 === 0 && p.n % 4 === 0 && p.k % 4 === 0;
    groups = [Math.ceil(p.m / 16), Math.ceil(p.n / 128), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_sg/${tag}/${vec ? 'vec4' : 'scalar'}`, file: 'matmul_sg.wgsl', source: sgSrc,
      defines: { ...trans, ...sgLoads(vec), FMAS: sgFmas(a.transA) },
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups, flops: 2 * p.batch * p.m * p.n * p.k,
    });
  } else if (variant === 'register') {
    // vec4 loads need every contiguous axis (and so every batch offset) to be a multiple of 4.
    const vec = p.m % 4 === 0 && p.n % 4 === 0 && p.k % 4 === 0;
    groups = [Math.ceil(p.n / REG), Math.ceil(p.m / REG), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_reg/${tag}/${vec ? 'vec4' : 'scalar'}`, file: 'matmul_reg.wgsl', source: regSrc,
      defines: { ...trans, ...regLoads(vec) },
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups, flops: 2 * p.batch * p.m * p.n * p.k,
    });
  } else {
    groups = [Math.ceil(p.n / TILE), Math.ceil(p.m / TILE), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_tiled/${tag}`, file: 'matmul_tiled.wgsl', source: tiledSrc, defines: trans,
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups, flops: 2 * p.batch * p.m * p.n * p.k,
    });
  }
}

function check(groups: number[], p: MatmulPlan): void {
  if (groups.some((g) => g > MAX_WG)) {
    fail('matmul', `M=${p.m}, N=${p.n}, batch=${p.batch} needs ${groups.join('×')} workgroups, past the ${MAX_WG} per dimension WebGPU allows (output ${fmtShape(p.outShape)})`);
  }
}

webgpuKernels.register('matmul', (b, [x, y], a) => {
  const p = planMatmul('matmul', x.shape, y.shape, a.transA, a.transB);
  const o: TensorData = { shape: p.outShape, dtype: x.dtype, storage: b.alloc(p.batch * p.m * p.n, x.dtype) };
  if (p.batch * p.m * p.n === 0) return o;
  if (p.k === 0) {
    gpuFill(b, o, 0); // an empty sum
    return o;
  }
  const variant = a.variant ?? defaultMatmulVariant(b, p);
  if (!['texture', 'subgroup', 'register', 'tiled'].includes(variant)) fail('matmul', `variant must be 'texture', 'subgroup', 'register' or 'tiled', got '${String(variant)}'`);
  dispatch(b, x, y, o, p, a, variant);
  return o;
});

/**
 * WebGPU matmul: kernel families chosen by adapter class. CPU adapters (lavapipe, SwiftShader) get
 * `matmul_sg.wgsl` when they have 8-lane subgroups (A values shared across lanes by subgroupBroadcast)
 * and `matmul_reg.wgsl` otherwise (register tiles; neither uses workgroup memory: barriers are
 * emulated and slow there); GPUs get `matmul_tiled.wgsl` (workgroup-memory tiles). `attrs.variant`
 * forces one, so all are tested on any machine that can run them. Transposed operands are read in
 * place by all.
 */
import regSrc from '../../../shaders/matmul_reg.wgsl';
import sgSrc from '../../../shaders/matmul_sg.wgsl';
import tiledSrc from '../../../shaders/matmul_tiled.wgsl';
import type { TensorData } from '../../tensor/backend.js';
import { fail, fmtShape } from '../../tensor/errors.js';
import { planMatmul, type MatmulAttrs, type MatmulPlan, type MatmulVariant } from '../matmul-plan.js';
import { registerKernel } from '../registry.js';
import type { WebGPUBackend } from './backend.js';
import { gpuFill } from './basic.js';
import { Uniforms } from './program.js';

const TILE = 64; // matmul_tiled.wgsl: 64×64 outputs per workgroup
const REG = 32; // matmul_reg.wgsl: 8×8 invocations × 4×4 outputs
const MAX_WG = 65535;

/** Whether this device can run matmul_sg.wgsl: the subgroups feature with subgroups of exactly 8. */
export function hasSubgroups8(b: WebGPUBackend): boolean {
  const info = b.device.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return b.device.features.has('subgroups') && info?.subgroupMinSize === 8 && info?.subgroupMaxSize === 8;
}

/** The variant used when none is forced. */
export function defaultMatmulVariant(b: WebGPUBackend): MatmulVariant {
  if (!b.info().isSoftware) return 'tiled';
  return hasSubgroups8(b) ? 'subgroup' : 'register';
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
  if (variant === 'subgroup') {
    if (!hasSubgroups8(b)) fail('matmul', `the 'subgroup' variant needs the WebGPU 'subgroups' feature with 8-lane subgroups; this adapter (${b.info().description || b.info().vendor}) has ${b.device.features.has('subgroups') ? 'other subgroup sizes' : 'no subgroups'}`);
    const vec = p.m % 4 === 0 && p.n % 4 === 0 && p.k % 4 === 0;
    groups = [Math.ceil(p.m / 16), Math.ceil(p.n / 128), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_sg/${tag}/${vec ? 'vec4' : 'scalar'}`, file: 'matmul_sg.wgsl', source: sgSrc,
      defines: { ...trans, ...sgLoads(vec), FMAS: sgFmas(a.transA) },
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups,
    });
  } else if (variant === 'register') {
    // vec4 loads need every contiguous axis (and so every batch offset) to be a multiple of 4.
    const vec = p.m % 4 === 0 && p.n % 4 === 0 && p.k % 4 === 0;
    groups = [Math.ceil(p.n / REG), Math.ceil(p.m / REG), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_reg/${tag}/${vec ? 'vec4' : 'scalar'}`, file: 'matmul_reg.wgsl', source: regSrc,
      defines: { ...trans, ...regLoads(vec) },
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups,
    });
  } else {
    groups = [Math.ceil(p.n / TILE), Math.ceil(p.m / TILE), p.batch];
    check(groups, p);
    b.run({
      key: `matmul_tiled/${tag}`, file: 'matmul_tiled.wgsl', source: tiledSrc, defines: trans,
      inputs: [x.storage, y.storage], outputs: [o.storage], uniforms: uniforms(p), workgroups: groups,
    });
  }
}

function check(groups: number[], p: MatmulPlan): void {
  if (groups.some((g) => g > MAX_WG)) {
    fail('matmul', `M=${p.m}, N=${p.n}, batch=${p.batch} needs ${groups.join('×')} workgroups, past the ${MAX_WG} per dimension WebGPU allows (output ${fmtShape(p.outShape)})`);
  }
}

registerKernel<WebGPUBackend, MatmulAttrs>('webgpu', 'matmul', (b, [x, y], a) => {
  const p = planMatmul('matmul', x.shape, y.shape, a.transA, a.transB);
  const o: TensorData = { shape: p.outShape, dtype: x.dtype, storage: b.alloc(p.batch * p.m * p.n, x.dtype) };
  if (p.batch * p.m * p.n === 0) return o;
  if (p.k === 0) {
    gpuFill(b, o, 0); // an empty sum
    return o;
  }
  const variant = a.variant ?? defaultMatmulVariant(b);
  if (!['subgroup', 'register', 'tiled'].includes(variant)) fail('matmul', `variant must be 'subgroup', 'register' or 'tiled', got '${String(variant)}'`);
  dispatch(b, x, y, o, p, a, variant);
  return o;
});

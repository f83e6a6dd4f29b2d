/**
 * WebGPU matmul: two kernel families chosen by adapter class. CPU adapters (lavapipe, SwiftShader)
 * get `matmul_reg.wgsl` (register tiles, no workgroup memory: their barriers are emulated and slow);
 * GPUs get `matmul_tiled.wgsl` (workgroup-memory tiles). `attrs.variant` forces one, so both are
 * tested on any machine. Transposed operands are read in place by both.
 */
import regSrc from '../../../shaders/matmul_reg.wgsl';
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
  if (variant === 'register') {
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
  const variant = a.variant ?? (b.info().isSoftware ? 'register' : 'tiled');
  if (variant !== 'register' && variant !== 'tiled') fail('matmul', `variant must be 'register' or 'tiled', got '${String(variant)}'`);
  dispatch(b, x, y, o, p, a, variant);
  return o;
});

/**
 * Program objects (after tfjs-backend-webgpu): a kernel dispatch is a `Program` — a cache key free of
 * concrete sizes, the shader source (assembled from a `.wgsl` file on a cache miss only), the buffers
 * it binds and the uniforms carrying sizes. Binding order is fixed: inputs (read-only storage) from 0,
 * then read textures (sampled or read-only storage, as the shader declares them), outputs (read_write
 * storage), and one uniform block.
 */
import indexLib from '../../../shaders/lib/index.wgsl';
import floatLib from '../../../shaders/lib/float.wgsl';
import poolWindow2Lib from '../../../shaders/lib/pool_window2.wgsl';
import dyRowsLib from '../../../shaders/lib/dy_rows.wgsl';
import randomLib from '../../../shaders/lib/random.wgsl';
import convGemmLib from '../../../shaders/lib/conv_gemm.wgsl';
import convPixelsLib from '../../../shaders/lib/conv_pixels.wgsl';
import bnCenterLib from '../../../shaders/lib/bn_center.wgsl';
import type { Storage } from '../../core/backend.js';

const LIBS: Record<string, string> = {
  'lib/index': indexLib, 'lib/random': randomLib, 'lib/conv_gemm': convGemmLib, 'lib/conv_pixels': convPixelsLib,
  'lib/bn_center': bnCenterLib, 'lib/float': floatLib, 'lib/pool_window2': poolWindow2Lib, 'lib/dy_rows': dyRowsLib,
};

export interface Program {
  /** Pipeline cache key: kernel + variant (dtype, op, tile shape). Never a concrete size. */
  readonly key: string;
  /** The `.wgsl` file name, for error messages. */
  readonly file: string;
  /** The WGSL text of that file. */
  readonly source: string;
  /** `{{NAME}}` substitutions in the source (part of the variant, so they must be reflected in `key`). */
  readonly defines?: Record<string, string | number>;
  readonly inputs: readonly Storage[];
  /**
   * Textures read with textureLoad (bound after the inputs): `texture_2d<f32>` or
   * `texture_storage_2d<rgba32float, read>` in the shader; backend-owned scratch, see `scratchTexture`.
   */
  readonly textures?: readonly GPUTexture[];
  readonly outputs: readonly Storage[];
  readonly uniforms: Uniforms;
  /** Floating-point operations of this dispatch (a multiply-add is 2), for the profiler's GFLOP/s. */
  readonly flops?: number;
  /** Workgroup counts; x beyond 65535 is folded into y by the backend (shaders use `flat_index`). */
  readonly workgroups: readonly [number, number?, number?];
}

export interface AssembledShader {
  code: string;
  /** Where each chunk of the assembled code came from, to map compile errors back to files. */
  /** Chunks of the assembled code: `lines` lines from `firstLine` on are `file` from its line `sourceLine` (1 when absent) on. */
  lineMap: { file: string; firstLine: number; lines: number; sourceLine?: number }[];
}

/**
 * Resolve `#include <lib/x>` lines and `{{NAME}}` defines. WGSL wants directives (`enable subgroups;`)
 * before everything else, so a file's directives are hoisted above the included libraries.
 */
export function assemble(file: string, source: string, defines: Record<string, string | number> = {}): AssembledShader {
  const lineMap: AssembledShader['lineMap'] = [];
  const parts: string[] = [];
  let line = 1;
  const push = (name: string, text: string, sourceLine = 1) => {
    const n = text.split('\n').length;
    lineMap.push({ file: name, firstLine: line, lines: n, sourceLine });
    parts.push(text);
    line += n;
  };
  const body = source.replace(/\{\{(\w+)\}\}/g, (m, k: string) => {
    if (!(k in defines)) throw new Error(`${file}: shader placeholder {{${k}}} has no value`);
    return String(defines[k]);
  });
  const own: string[] = [], libs: string[] = [], directives: [string, number][] = [];
  for (const [i, l] of body.split('\n').entries()) {
    const inc = /^\s*#include\s+<([\w/]+)>\s*$/.exec(l);
    if (inc) {
      if (LIBS[inc[1]] === undefined) throw new Error(`${file}: unknown include <${inc[1]}>`);
      if (!libs.includes(inc[1])) libs.push(inc[1]);
      own.push(`// (included ${inc[1]})`);
    } else if (/^\s*enable\s+[\w\s,]+;\s*$/.test(l)) {
      directives.push([l, i + 1]);
      own.push(`// (${l.trim()} hoisted to the top)`);
    } else own.push(l);
  }
  for (const [d, at] of directives) push(`shaders/${file}`, d, at);
  for (const lib of libs) push(`shaders/${lib}.wgsl`, LIBS[lib]);
  push(`shaders/${file}`, own.join('\n'));
  return { code: parts.join('\n'), lineMap };
}

/** Map a line of assembled code back to `file:line`. */
export function sourceLocation(shader: AssembledShader, line: number): string {
  for (const c of shader.lineMap) {
    if (line >= c.firstLine && line < c.firstLine + c.lines) return `${c.file}:${line - c.firstLine + (c.sourceLine ?? 1)}`;
  }
  return `<assembled>:${line}`;
}

/**
 * Uniform block builder. Fields are 4-byte scalars written in declaration order; `vec8u` writes an
 * `array<vec4<u32>, 2>` (rank ≤ 8 shapes/strides) aligned to 16 bytes, matching WGSL layout rules.
 */
export class Uniforms {
  private words: number[] = [];
  private kinds: ('u' | 'i' | 'f')[] = [];
  u32(v: number): this {
    this.words.push(v >>> 0);
    this.kinds.push('u');
    return this;
  }
  i32(v: number): this {
    this.words.push(v | 0);
    this.kinds.push('i');
    return this;
  }
  f32(v: number): this {
    this.words.push(v);
    this.kinds.push('f');
    return this;
  }
  /** Pad to a 16-byte boundary (WGSL aligns vec4 and arrays of vec4 to 16). */
  align16(): this {
    while (this.words.length % 4) this.u32(0);
    return this;
  }
  vec8u(values: readonly number[]): this {
    if (values.length > 8) throw new Error(`uniform array of rank ${values.length} exceeds 8`);
    this.align16();
    for (let i = 0; i < 8; i++) this.u32(values[i] ?? 1);
    return this;
  }
  get byteLength(): number {
    return Math.max(16, Math.ceil((this.words.length * 4) / 16) * 16);
  }
  writeTo(view: DataView, byteOffset: number): void {
    for (let i = 0; i < this.words.length; i++) {
      const k = this.kinds[i], o = byteOffset + i * 4;
      if (k === 'f') view.setFloat32(o, this.words[i], true);
      else if (k === 'i') view.setInt32(o, this.words[i], true);
      else view.setUint32(o, this.words[i], true);
    }
  }
}

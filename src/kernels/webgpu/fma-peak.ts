/**
 * The adapter's arithmetic ceiling: a kernel of pure register FMAs (`shaders/fma_peak.wgsl`), used by
 * the benchmarks to put kernel figures in proportion. Not a tensor op: it writes a scratch buffer.
 */
import fmaSrc from '../../../shaders/fma_peak.wgsl';
import type { WebGPUBackend } from './backend.js';
import { Uniforms } from './program.js';

export interface FmaPeakShape {
  /** Independent vec4 chains per invocation. */
  chains: number;
  /** Invocations per workgroup. */
  wg: number;
  groups: number;
  iters: number;
}

/** Record one dispatch of the FMA kernel; returns its FLOP count. */
export function recordFmaPeak(b: WebGPUBackend, s: FmaPeakShape): number {
  const n = s.wg * s.groups;
  const scratch = b.alloc(n * 4, 'float32');
  const idx = Array.from({ length: s.chains }, (_, c) => c);
  b.run({
    key: `fma_peak/${s.chains}/${s.wg}`, file: 'fma_peak.wgsl', source: fmaSrc,
    defines: {
      WG: s.wg,
      INIT: idx.map((c) => `var x${c} = vec4<f32>(s + ${c}.0, s - ${c}.0, s * 0.5, s + 0.25);`).join('\n  '),
      STEP: idx.map((c) => `x${c} = fma(x${c}, m, a);`).join('\n    '),
      SUM: idx.map((c) => `x${c}`).join(' + '),
    },
    inputs: [], outputs: [scratch], uniforms: new Uniforms().u32(s.iters).f32(0.5), workgroups: [s.groups],
  });
  b.release(scratch); // reuse is safe: the pool hands it out only to later-recorded work
  return 2 * 4 * s.chains * s.iters * n;
}

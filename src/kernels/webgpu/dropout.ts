/** WebGPU dropout mask-and-scale (shaders/dropout.wgsl); forward and backward are the same kernel. */
import dropoutSrc from '../../../shaders/dropout.wgsl';
import type { TensorData } from '../../core/backend.js';
import { splitSeed } from '../../core/random.js';
import { sizeOf } from '../../core/shape.js';
import { webgpuKernels } from './table.js';
import { groups256 } from './basic.js';
import { Uniforms } from './program.js';


webgpuKernels.register('dropout', (b, [x], a) => {
  const n = sizeOf(x.shape);
  const o: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(n, 'float32') };
  const [k0, k1] = splitSeed('dropout', a.seed);
  b.run({
    key: 'dropout', file: 'dropout.wgsl', source: dropoutSrc,
    inputs: [x.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(n).u32(k0).u32(k1).u32(a.offset >>> 0).u32(Math.floor(a.offset / 2 ** 32)).u32(a.threshold).f32(a.scale),
    workgroups: groups256(n),
  });
  return o;
});

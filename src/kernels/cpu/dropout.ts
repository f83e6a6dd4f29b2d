/** Reference dropout: the same Philox draws and integer keep test as shaders/dropout.wgsl. */
import type { TensorData } from '../../core/backend.js';
import { philoxBits } from '../../core/random.js';
import { sizeOf } from '../../core/shape.js';
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';

cpuKernels.register('dropout', (b, [x], a) => {
  const n = sizeOf(x.shape);
  const o: TensorData = { shape: x.shape, dtype: 'float32', storage: b.alloc(n, 'float32') };
  const bits = philoxBits(a.seed, a.offset, n, 'dropout');
  const xs = dataOf(x.storage), out = dataOf(o.storage);
  const scale = Math.fround(a.scale);
  for (let i = 0; i < n; i++) out[i] = bits[i] >>> 8 >= a.threshold ? xs[i] * scale : 0;
  return o;
});

/** WebGPU reductions (sum, max, min, argmax, argmin) over any axes. */
import reduceSrc from '../../../shaders/reduce.wgsl';
import type { TensorData } from '../../tensor/backend.js';
import { fail } from '../../tensor/errors.js';
import { planReduce, REDUCE_CODE, type ReduceOp } from '../reduce-plan.js';
import { registerKernel } from '../registry.js';
import type { WebGPUBackend } from './backend.js';
import { gpuFill, groups256 } from './basic.js';
import { Uniforms } from './program.js';

registerKernel<WebGPUBackend, { op: ReduceOp; axes: readonly number[] }>('webgpu', 'reduce', (b, [x], a) => {
  const p = planReduce(x.shape, a.axes);
  const arg = a.op === 'argmax' || a.op === 'argmin';
  const dtypeOut = arg ? 'int32' : x.dtype;
  const o: TensorData = { shape: p.outShape, dtype: dtypeOut, storage: b.alloc(p.nOut, dtypeOut) };
  if (p.nOut === 0) return o;
  if (p.nRed === 0) {
    if (a.op !== 'sum') fail(a.op, 'reduction over an empty axis has no identity');
    gpuFill(b, o, 0);
    return o;
  }
  const T = x.dtype === 'int32' ? 'i32' : 'f32';
  b.run({
    key: `reduce/${a.op}/${x.dtype}`, file: 'reduce.wgsl', source: reduceSrc,
    defines: { T, TO: arg ? 'i32' : T, OP: REDUCE_CODE[a.op] },
    inputs: [x.storage], outputs: [o.storage],
    uniforms: new Uniforms().u32(p.nOut).u32(p.nRed).u32(p.kShape.length).u32(p.rShape.length).vec8u(p.kShape).vec8u(p.kStrides).vec8u(p.rShape).vec8u(p.rStrides),
    workgroups: groups256(p.nOut),
  });
  return o;
});

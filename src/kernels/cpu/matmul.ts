/** Reference matmul: the textbook triple loop per batch, reading transposed operands by index. */
import { cpuKernels } from './table.js';
import { batchOffset, planMatmul } from '../../core/matmul-plan.js';
import { dataOf } from './backend.js';

cpuKernels.register('matmul', (be, [x, y], attrs) => {
  const p = planMatmul('matmul', x.shape, y.shape, attrs.transA, attrs.transB);
  const { m, n, k } = p;
  const o = { shape: p.outShape, dtype: x.dtype, storage: be.alloc(p.batch * m * n, x.dtype) };
  const A = dataOf(x.storage), B = dataOf(y.storage), C = dataOf(o.storage);
  // Strides of op(A) (rows, k) and op(B) (k, cols) inside one stored matrix.
  const [aRow, aK] = attrs.transA ? [1, m] : [k, 1];
  const [bK, bCol] = attrs.transB ? [1, k] : [n, 1];
  for (let bi = 0; bi < p.batch; bi++) {
    const a0 = batchOffset(bi, p.bShape, p.aStrides), b0 = batchOffset(bi, p.bShape, p.bStrides), c0 = bi * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += A[a0 + i * aRow + t * aK] * B[b0 + t * bK + j * bCol];
        C[c0 + i * n + j] = s;
      }
    }
  }
  return o;
});

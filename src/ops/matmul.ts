/**
 * matmul with torch.matmul semantics: 2-D, batched with broadcast batch dims, and 1-D operands
 * (a vector is promoted to a matrix and the added axis dropped afterwards). `transA` / `transB`
 * read the last two axes of an operand transposed, in place. The backward uses the same kernel with
 * transposed-operand forms, so no transpose is ever materialized:
 *   C = A B     dA = dC Bᵀ        dB = Aᵀ dC
 *   C = Aᵀ B    dA = B dCᵀ        dB = A dC
 *   C = A Bᵀ    dA = dC B         dB = dCᵀ A
 *   C = Aᵀ Bᵀ   dA = Bᵀ dCᵀ       dB = dCᵀ Aᵀ
 * Gradients over broadcast batch dims are summed back to the operand's shape.
 */
import type { MatmulVariant } from '../core/matmul-plan.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { reshape } from './creation.js';
import { unbroadcast } from './elementwise.js';
import { checkDType, checkSameDType, checkTensor, run } from './util.js';

export interface MatmulOptions {
  /** Use the transpose of A's last two axes (read in place). */
  transA?: boolean;
  /** Use the transpose of B's last two axes (read in place). */
  transB?: boolean;
  /** WebGPU only: force a kernel variant ('subgroup' or 'register' for CPU adapters, 'tiled' for GPUs). */
  variant?: MatmulVariant;
}

/** The batched kernel on rank ≥ 2 operands, with its backward. */
function matmul2(a: Tensor, b: Tensor, transA: boolean, transB: boolean, variant: MatmulVariant | undefined): Tensor {
  const out = run('matmul', 'matmul', [a, b], { transA, transB, variant });
  return record('matmul', [a, b], out, (g) => {
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) => matmul2(x, y, tx, ty, variant);
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (a.requiresGrad) {
      const full = transA ? (transB ? mm(b, g, true, true) : mm(b, g, false, true)) : transB ? mm(g, b, false, false) : mm(g, b, false, true);
      ga = unbroadcast(full, a.shape);
    }
    if (b.requiresGrad) {
      const full = transB ? (transA ? mm(g, a, true, true) : mm(g, a, true, false)) : transA ? mm(a, g, false, false) : mm(a, g, true, false);
      gb = unbroadcast(full, b.shape);
    }
    return [ga, gb];
  });
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkTensor('matmul', a, 'A');
  checkTensor('matmul', b, 'B');
  checkDType('matmul', a, 'float32', 'A');
  checkSameDType('matmul', a, b);
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.rank === 0 || b.rank === 0) fail('matmul', `operands must have rank ≥ 1, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if ((a.rank === 1 && transA) || (b.rank === 1 && transB)) {
    fail('matmul', `transA/transB need a matrix operand; got A ${fmtShape(a.shape)} transA=${transA}, B ${fmtShape(b.shape)} transB=${transB}`);
  }
  // torch.matmul's vector rules: [K] @ [.., K, N] → [.., N] and [.., M, K] @ [K] → [.., M].
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const out = matmul2(a2, b2, transA, transB, opts.variant);
  if (a.rank > 1 && b.rank > 1) return out;
  const s = [...out.shape];
  if (b.rank === 1) s.splice(s.length - 1, 1);
  if (a.rank === 1) s.splice(s.length - (b.rank === 1 ? 1 : 2), 1);
  return reshape(out, s);
}

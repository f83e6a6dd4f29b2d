/** Concatenation as one strided copy per input into a shared output (shared by both backends). */
import { stridesOf } from './shape.js';
import { type StridedCopy } from './kernels.js';

export interface ConcatAttrs {
  axis: number;
  outShape: readonly number[];
}

/** The copy that places each input at its offset along `axis` of the output. */
export function planConcat(shapes: readonly (readonly number[])[], a: ConcatAttrs): StridedCopy[] {
  const outStrides = stridesOf(a.outShape);
  let at = 0;
  return shapes.map((shape) => {
    const c: StridedCopy = { shape, xStrides: stridesOf(shape), xBase: 0, outStrides, outBase: at * outStrides[a.axis] };
    at += shape[a.axis];
    return c;
  });
}

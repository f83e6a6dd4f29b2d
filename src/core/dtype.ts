export type DType = 'float32' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const BYTES_PER_ELEMENT = 4;

export function arrayFor(dtype: DType, n: number, float64 = false): TypedArray {
  if (dtype === 'int32') return new Int32Array(n);
  return float64 ? new Float64Array(n) : new Float32Array(n);
}

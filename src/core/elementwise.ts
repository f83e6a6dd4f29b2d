/**
 * The elementwise op tables shared by both backends: each op's WGSL expression next to its reference
 * TypeScript function, so the two definitions can be read (and reviewed) side by side.
 */
export type UnaryOp = 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'relu' | 'sigmoid' | 'tanh' | 'square' | 'reciprocal' | 'step';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

interface UnaryDef { f32: string; i32?: string; js: (v: number) => number }
interface BinaryDef { f32: string; i32?: string; js: (x: number, y: number) => number; compare?: boolean }

export const UNARY: Record<UnaryOp, UnaryDef> = {
  neg: { f32: '-v', i32: '-v', js: (v) => -v },
  abs: { f32: 'abs(v)', i32: 'abs(v)', js: Math.abs },
  sign: { f32: 'sign(v)', i32: 'sign(v)', js: (v) => (v > 0 ? 1 : v < 0 ? -1 : v) },
  exp: { f32: 'exp(v)', js: Math.exp },
  log: { f32: 'log(v)', js: Math.log },
  sqrt: { f32: 'sqrt(v)', js: Math.sqrt },
  rsqrt: { f32: 'inverseSqrt(v)', js: (v) => 1 / Math.sqrt(v) },
  relu: { f32: 'max(v, 0.0)', i32: 'max(v, 0)', js: (v) => (v > 0 ? v : 0) },
  // exp(-v) overflows to inf for v ≪ 0 and 1/(1+inf) = 0: correct limits without a branch.
  sigmoid: { f32: '1.0 / (1.0 + exp(-v))', js: (v) => 1 / (1 + Math.exp(-v)) },
  // Written through exp(-2|v|) ≤ 1 so large |v| never overflows to inf/inf.
  tanh: { f32: 'sign(v) * (1.0 - exp(-2.0 * abs(v))) / (1.0 + exp(-2.0 * abs(v)))', js: Math.tanh },
  square: { f32: 'v * v', i32: 'v * v', js: (v) => v * v },
  reciprocal: { f32: '1.0 / v', js: (v) => 1 / v },
  step: { f32: 'select(0.0, 1.0, v > 0.0)', i32: 'select(0, 1, v > 0)', js: (v) => (v > 0 ? 1 : 0) },
};

function jsPow(x: number, y: number): number {
  return Math.pow(x, y);
}

export const BINARY: Record<BinaryOp, BinaryDef> = {
  add: { f32: 'x + y', i32: 'x + y', js: (x, y) => x + y },
  sub: { f32: 'x - y', i32: 'x - y', js: (x, y) => x - y },
  mul: { f32: 'x * y', i32: 'x * y', js: (x, y) => x * y },
  div: { f32: 'x / y', i32: 'select(x / y, 0, y == 0)', js: (x, y) => x / y },
  pow: { f32: 'pow_f32(x, y)', js: jsPow },
  maximum: { f32: 'max(x, y)', i32: 'max(x, y)', js: Math.max },
  minimum: { f32: 'min(x, y)', i32: 'min(x, y)', js: Math.min },
  eq: { f32: 'select(0.0, 1.0, x == y)', i32: 'select(0.0, 1.0, x == y)', js: (x, y) => +(x === y), compare: true },
  ne: { f32: 'select(0.0, 1.0, x != y)', i32: 'select(0.0, 1.0, x != y)', js: (x, y) => +(x !== y), compare: true },
  lt: { f32: 'select(0.0, 1.0, x < y)', i32: 'select(0.0, 1.0, x < y)', js: (x, y) => +(x < y), compare: true },
  le: { f32: 'select(0.0, 1.0, x <= y)', i32: 'select(0.0, 1.0, x <= y)', js: (x, y) => +(x <= y), compare: true },
  gt: { f32: 'select(0.0, 1.0, x > y)', i32: 'select(0.0, 1.0, x > y)', js: (x, y) => +(x > y), compare: true },
  ge: { f32: 'select(0.0, 1.0, x >= y)', i32: 'select(0.0, 1.0, x >= y)', js: (x, y) => +(x >= y), compare: true },
};

/** Integer division truncates toward zero as in C (and WGSL); the reference must match. */
export function jsBinaryI32(op: BinaryOp): (x: number, y: number) => number {
  if (op === 'div') return (x, y) => (y === 0 ? 0 : Math.trunc(x / y));
  if (op === 'mul') return (x, y) => Math.imul(x, y);
  return BINARY[op].js;
}

/** Collapse adjacent axes that are contiguous in every operand (fewer index ops in shaders). */
export function collapseAxes(shape: readonly number[], strideSets: readonly number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strideSets.every((s, j) => outStrides[j][last] === s[k] * shape[k])) {
      outShape[last] *= shape[k];
      strideSets.forEach((s, j) => (outStrides[j][last] = s[k]));
    } else {
      outShape.push(shape[k]);
      strideSets.forEach((s, j) => outStrides[j].push(s[k]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * conv2d: WebGPU (both kernel variants) against the reference backend on random configurations,
 * finite-difference gradients on the float64 reference backend, and PyTorch goldens.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { convSubgroupsAvailable, setConvRegisterGroups, setConvVariant, type ConvVariant } from '../src/kernels/webgpu/conv.js';
import { setTexConvStageBytes } from '../src/kernels/webgpu/conv-tex.js';
import type { Conv2dOptions } from '../src/core/conv-geom.js';
import { destroyGpu, getGpu, rj, withBackend, type BackendName } from './helpers/backends.js';

afterAll(() => {
  setConvVariant(null);
  destroyGpu();
});

interface Case {
  x: number[]; xShape: number[];
  w: number[]; wShape: number[];
  b: number[] | null;
  dy: number[];
  opts: Conv2dOptions;
}
interface Result { y: Float32Array | Float64Array; dx: ArrayLike<number>; dw: ArrayLike<number>; db: ArrayLike<number> | null }

/** Forward, then backward with the seed gradient dy; returns every value read back. */
async function runCase(backend: BackendName | 'cpu64', c: Case): Promise<Result> {
  return withBackend(backend, async () => {
    const x = rj.tensor(c.x, c.xShape, { requiresGrad: true });
    const w = rj.tensor(c.w, c.wShape, { requiresGrad: true });
    const b = c.b ? rj.tensor(c.b, [c.b.length], { requiresGrad: true }) : null;
    const y = rj.conv2d(x, w, b, c.opts);
    const dy = rj.tensor(c.dy, y.shape);
    y.backward(dy);
    const reads = [y, x.grad!, w.grad!, ...(b ? [b.grad!] : [])];
    const [yv, dx, dw, db] = await rj.readAll(reads);
    for (const t of [x, w, y, dy, ...(b ? [b] : [])]) t.dispose();
    x.grad = null; w.grad = null;
    if (b) b.grad = null;
    return { y: yv as Float32Array, dx, dw, db: db ?? null };
  });
}

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-4): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= rel * scale)) {
      throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (tolerance ${rel * scale})`);
    }
  }
}

/** Deterministic values in [-1, 1) from a seed (no dependence on either backend's RNG). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const outSize = (len: number, k: number, s: number, p: number, d: number) => Math.floor((len + 2 * p - d * (k - 1) - 1) / s) + 1;

// Odd shapes: channels not multiples of 4, batch 1, stride 2, padding 0-3, kernels 1/3/5/7, H ≠ W, dilation 2.
const configArb = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    ci: fc.integer({ min: 1, max: 9 }),
    co: fc.integer({ min: 1, max: 9 }),
    kh: fc.constantFrom(1, 3, 5, 7),
    kw: fc.constantFrom(1, 3, 5, 7),
    sh: fc.integer({ min: 1, max: 2 }),
    sw: fc.integer({ min: 1, max: 2 }),
    ph: fc.integer({ min: 0, max: 3 }),
    pw: fc.integer({ min: 0, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    eh: fc.integer({ min: 0, max: 7 }),
    ew: fc.integer({ min: 0, max: 7 }),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  })
  .map((r) => {
    // Smallest input the dilated kernel fits in (with the padding), plus a random extra.
    const h = Math.max(1, r.dh * (r.kh - 1) + 1 - 2 * r.ph) + r.eh;
    const w = Math.max(1, r.dw * (r.kw - 1) + 1 - 2 * r.pw) + r.ew;
    return { ...r, h, w };
  });

function makeCase(r: { n: number; ci: number; co: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; h: number; w: number; bias: boolean; seed: number }): Case {
  const oh = outSize(r.h, r.kh, r.sh, r.ph, r.dh), ow = outSize(r.w, r.kw, r.sw, r.pw, r.dw);
  return {
    xShape: [r.n, r.ci, r.h, r.w], x: values(r.n * r.ci * r.h * r.w, r.seed),
    wShape: [r.co, r.ci, r.kh, r.kw], w: values(r.co * r.ci * r.kh * r.kw, r.seed + 1),
    b: r.bias ? values(r.co, r.seed + 2) : null,
    dy: values(r.n * r.co * oh * ow, r.seed + 3),
    opts: { stride: [r.sh, r.sw], padding: [r.ph, r.pw], dilation: [r.dh, r.dw] },
  };
}

async function compareGpu(c: Case, variant: ConvVariant, label: string): Promise<void> {
  const ref = await runCase('cpu', c);
  setConvVariant(variant);
  const got = await runCase('webgpu', c);
  expectClose(`${label} forward`, got.y, ref.y);
  expectClose(`${label} input gradient`, got.dx, ref.dx);
  expectClose(`${label} weight gradient`, got.dw, ref.dw);
  if (c.b) expectClose(`${label} bias gradient`, got.db!, ref.db!);
}

// The subgroup variant needs 8-lane subgroups (lavapipe has them); elsewhere its tests are skipped.
const subgroups = convSubgroupsAvailable(await getGpu());

describe('conv2d: WebGPU vs reference', () => {
  for (const variant of ['texture', 'subgroup', 'register', 'tiled'] as const) {
    it.skipIf((variant === 'subgroup' || variant === 'texture') && !subgroups)(`matches on random odd configurations (${variant} variant)`, async () => {
      await fc.assert(
        fc.asyncProperty(configArb, async (r) => {
          await compareGpu(makeCase(r), variant, `${variant} ${JSON.stringify(r)}`);
        }),
        // The tiled variant is for GPUs; on CPU adapters its barriers are emulated and slow, so fewer runs.
        { numRuns: variant === 'tiled' ? 8 : 40, seed: 20261125 },
      );
    });
    it.skipIf((variant === 'subgroup' || variant === 'texture') && !subgroups)(`matches on wider layers spanning several channel blocks (${variant} variant)`, async () => {
      // 70 channels: more than one 64-channel tile, not a multiple of 4; 1×1 fast path and 3×3 stride 2.
      const wide = [
        { n: 1, ci: 70, co: 67, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, h: 9, w: 6, bias: true, seed: 7 },
        { n: 1, ci: 66, co: 70, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, h: 5, w: 7, bias: false, seed: 8 },
        { n: 2, ci: 13, co: 130, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, dh: 1, dw: 1, h: 7, w: 8, bias: true, seed: 9 },
      ];
      // The first case already spans two 64-channel tiles on both sides; the rest only on CPU-friendly kernels.
      for (const r of variant === 'tiled' ? wide.slice(0, 1) : wide) {
        await compareGpu(makeCase(r), variant, `${variant} ${JSON.stringify(r)}`);
      }
    });
  }
});

describe('conv2d: texture variant staged in chunks', () => {
  it.skipIf(!subgroups)('matches when the input is staged one image at a time', async () => {
    // A staging budget of one texel row: every chunk holds a single image (n0 > 0 on all but the first).
    setTexConvStageBytes(1);
    try {
      await fc.assert(
        fc.asyncProperty(configArb, async (r) => {
          await compareGpu(makeCase({ ...r, n: 2 + (r.seed % 2), ci: 8 + r.ci }), 'texture', `texture chunked ${JSON.stringify(r)}`);
        }),
        { numRuns: 12, seed: 20261126 },
      );
    } finally {
      setTexConvStageBytes(null);
    }
  });
});

describe('conv2d: finite differences on the float64 reference backend', () => {
  it('matches central differences for input, weight and bias', async () => {
    const r = { n: 2, ci: 3, co: 2, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 2, dh: 1, dw: 2, h: 5, w: 4, bias: true, seed: 11 };
    const c = makeCase(r);
    const ana = await runCase('cpu64', c);
    // loss = Σ y·dy, so d loss / d param is exactly what backward(dy) produced.
    const loss = (cc: Case) =>
      withBackend('cpu64', async () => {
        const y = rj.conv2d(rj.tensor(cc.x, cc.xShape), rj.tensor(cc.w, cc.wShape), cc.b ? rj.tensor(cc.b, [cc.b.length]) : null, cc.opts);
        const v = await y.toArray();
        return Array.from(v).reduce((s, yi, i) => s + yi * cc.dy[i], 0);
      });
    const eps = 1e-6;
    for (const [key, grad] of [['x', ana.dx], ['w', ana.dw], ['b', ana.db!]] as const) {
      const base = c[key]!;
      for (let i = 0; i < base.length; i++) {
        const plus = { ...c, [key]: base.map((v, j) => (j === i ? v + eps : v)) };
        const minus = { ...c, [key]: base.map((v, j) => (j === i ? v - eps : v)) };
        const fd = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
        expect(Math.abs(fd - grad[i]), `d loss / d ${key}[${i}]: analytic ${grad[i]}, numeric ${fd}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
      }
    }
  });
});

interface Golden extends Case { name: string; y: number[]; dx: number[]; dw: number[]; db: number[] | null }

describe('conv2d: PyTorch goldens (scripts/goldens/conv.py)', () => {
  const goldens = JSON.parse(readFileSync(new URL('./goldens/conv.json', import.meta.url), 'utf8')) as { cases: Golden[] };
  // The register variant computes 8 channels per invocation by default; 4 (groups = 1) is checked too.
  const runs: [BackendName, ConvVariant | null, 1 | 2][] = [['cpu', null, 2], ['webgpu', 'texture', 2], ['webgpu', 'subgroup', 2], ['webgpu', 'register', 2], ['webgpu', 'register', 1], ['webgpu', 'tiled', 1]];
  for (const [backend, variant, groups] of runs) {
    it.skipIf((variant === 'subgroup' || variant === 'texture') && !subgroups)(`matches torch.nn.functional.conv2d and its gradients [${backend}${variant === 'register' ? ` register, ${groups * 4} channels per invocation` : variant ? ` ${variant}` : ''}]`, async () => {
      expect(goldens.cases.length).toBeGreaterThanOrEqual(6);
      setConvRegisterGroups(groups);
      for (const g of goldens.cases) {
        if (variant) setConvVariant(variant);
        const got = await runCase(backend, g);
        expectClose(`${g.name} forward`, got.y, g.y);
        expectClose(`${g.name} input gradient`, got.dx, g.dx);
        expectClose(`${g.name} weight gradient`, got.dw, g.dw);
        if (g.b) expectClose(`${g.name} bias gradient`, got.db!, g.db!);
      }
      setConvRegisterGroups(2);
    });
  }
});

describe('conv2d: errors', () => {
  it('names the op and the shapes', async () => {
    await withBackend('cpu', () => {
      const x = rj.zeros([1, 3, 5, 5]);
      expect(() => rj.conv2d(x, rj.zeros([4, 2, 3, 3]))).toThrow(/conv2d: .*2 input channels.*\[1, 3, 5, 5\] has 3/);
      expect(() => rj.conv2d(x, rj.zeros([4, 3, 7, 7]))).toThrow(/conv2d: kernel 7×7 .* does not fit input 5×5/);
      expect(() => rj.conv2d(x, rj.zeros([4, 3, 3, 3]), rj.zeros([3]))).toThrow(/conv2d: bias must have shape \[4\], got \[3\]/);
      expect(() => rj.conv2d(x, rj.zeros([4, 3, 3, 3]), null, { stride: 0 })).toThrow(/conv2d: stride must be an integer ≥ 1/);
    });
  });
});

/**
 * conv2d: WebGPU (both kernel variants) against the reference backend on random configurations,
 * finite-difference gradients on the float64 reference backend, and PyTorch goldens.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { convSubgroupsAvailable, setConvBlockPolicy, setConvRegisterGroups, setConvVariant, type ConvVariant } from '../src/kernels/webgpu/conv.js';
import { setTexConvStageBytes } from '../src/kernels/webgpu/conv-tex.js';
import type { Conv2dOptions, ConvBlock } from '../src/core/conv-geom.js';
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

/** Blocks of a block-diagonal conv: `cuts` split points (fractions) of both channel ranges. */
function blocksOf(ci: number, co: number, cuts: readonly number[]): ConvBlock[] {
  const at = (c: number) => [0, ...cuts.map((f) => Math.max(1, Math.min(c - 1, Math.round(f * c)))), c];
  const ip = at(ci), op = at(co), out: ConvBlock[] = [];
  for (let k = 0; k + 1 < ip.length; k++) {
    if (ip[k + 1] > ip[k] && op[k + 1] > op[k]) out.push({ ci0: ip[k], ci: ip[k + 1] - ip[k], co0: op[k], co: op[k + 1] - op[k] });
    else if (out.length) { // an empty block: merge it into the previous one
      const last = out[out.length - 1];
      out[out.length - 1] = { ...last, ci: ip[k + 1] - last.ci0, co: op[k + 1] - last.co0 };
    }
  }
  return out;
}
const blockArb = fc.record({
  cfg: configArb,
  cuts: fc.array(fc.double({ min: 0.1, max: 0.9, noNaN: true }), { minLength: 1, maxLength: 2 }).map((a) => [...a].sort()),
  extra: fc.integer({ min: 1, max: 8 }),
});
const blockCase = (r: { cfg: Parameters<typeof makeCase>[0]; cuts: number[]; extra: number }): Case => {
  const ci = r.cfg.ci + r.extra, co = r.cfg.co + r.extra;
  const c = makeCase({ ...r.cfg, ci, co });
  const blocks = blocksOf(ci, co, r.cuts);
  return { ...c, opts: { ...c.opts, blocks } };
};
/** 1 where a weight lies in a block, 0 in the cross blocks. */
function blockMask(c: Case): number[] {
  const [co, ci, kh, kw] = c.wShape, taps = kh * kw;
  const m = new Array<number>(co * ci * taps).fill(0);
  for (const b of c.opts.blocks!) for (let o = b.co0; o < b.co0 + b.co; o++) for (let i = b.ci0; i < b.ci0 + b.ci; i++) for (let t = 0; t < taps; t++) m[(o * ci + i) * taps + t] = 1;
  return m;
}

describe('conv2d with blocks (block-diagonal): reference, then WebGPU against it', () => {
  it('reference: equals the dense conv of the weight with its cross blocks zeroed; cross gradients exactly 0', async () => {
    await fc.assert(
      fc.asyncProperty(blockArb, async (r) => {
        const c = blockCase(r), m = blockMask(c);
        const got = await runCase('cpu64', c);
        const dense = await runCase('cpu64', { ...c, w: c.w.map((v, i) => v * m[i]), opts: { ...c.opts, blocks: undefined } });
        expectClose('forward', got.y, dense.y, 1e-12);
        expectClose('input gradient', got.dx, dense.dx, 1e-12);
        expectClose('weight gradient', got.dw, Array.from(dense.dw, (v, i) => v * m[i]), 1e-12);
        for (let i = 0; i < m.length; i++) if (m[i] === 0 && got.dw[i] !== 0) throw new Error(`cross-block weight gradient [${i}] is ${got.dw[i]}, not 0`);
        if (c.b) expectClose('bias gradient', got.db!, dense.db!, 1e-12);
      }),
      { numRuns: 30, seed: 20261205 },
    );
  });
  // 'blocks': every block on the texture path wherever they fit (the windowed kernels); 'dense': the
  // whole conv on the weight with its cross blocks zeroed (what the other variants always run).
  for (const [variant, policy] of [['texture', 'blocks'], ['texture', 'dense'], ['subgroup', 'auto'], ['register', 'auto'], ['tiled', 'auto']] as const) {
    it.skipIf((variant === 'subgroup' || variant === 'texture') && !subgroups)(`matches on random odd configurations (${variant} variant, ${policy})`, async () => {
      setConvBlockPolicy(policy);
      try {
        await fc.assert(
          fc.asyncProperty(blockArb, async (r) => {
            await compareGpu(blockCase(r), variant, `${variant} ${policy} blocks ${JSON.stringify(r)}`);
          }),
          { numRuns: variant === 'tiled' ? 6 : 25, seed: 20261206 },
        );
      } finally {
        setConvBlockPolicy('auto');
      }
    });
  }
  it.skipIf(!subgroups)('matches where the adapter picks the kernels (texture for the wide blocks, gather for the narrow ones)', async () => {
    // NR's post-surgery shapes: S→S and R→R blocks of vgg_mini's layers at batch 8 (texture where they
    // pay, the subgroup kernels with copied windows where they do not), and a strided layer.
    const layers = [
      { ci: 21, co: 29, h: 28, w: 28, sh: 1, cuts: [10 / 21] },
      { ci: 46, co: 50, h: 14, w: 14, sh: 1, cuts: [22 / 46] },
      { ci: 35, co: 50, h: 7, w: 7, sh: 1, cuts: [17 / 35] },
      { ci: 24, co: 40, h: 9, w: 9, sh: 2, cuts: [0.3, 0.7] },
    ];
    setConvVariant(null);
    for (const [k, l] of layers.entries()) {
      const c = makeCase({ n: 8, ci: l.ci, co: l.co, kh: 3, kw: 3, sh: l.sh, sw: l.sh, ph: 1, pw: 1, dh: 1, dw: 1, h: l.h, w: l.w, bias: k === 3, seed: 31 + k });
      const cc = { ...c, opts: { ...c.opts, blocks: blocksOf(l.ci, l.co, l.cuts) } };
      const ref = await runCase('cpu', cc), got = await runCase('webgpu', cc);
      expectClose(`layer ${k} forward`, got.y, ref.y);
      expectClose(`layer ${k} input gradient`, got.dx, ref.dx);
      expectClose(`layer ${k} weight gradient`, got.dw, ref.dw);
    }
  });
  it('refuses blocks that do not tile the channels', async () => {
    await withBackend('cpu', () => {
      const x = rj.zeros([1, 4, 5, 5]), w = rj.zeros([6, 4, 3, 3]);
      expect(() => rj.conv2d(x, w, null, { blocks: [{ ci0: 0, ci: 2, co0: 0, co: 3 }, { ci0: 3, ci: 1, co0: 3, co: 3 }] })).toThrow(/conv2d: block 1 .* must start at input channel 2 and output channel 3/);
      expect(() => rj.conv2d(x, w, null, { blocks: [{ ci0: 0, ci: 2, co0: 0, co: 3 }] })).toThrow(/conv2d: blocks cover 2 input and 3 output channels, the weight has 4 and 6/);
      expect(() => rj.conv2d(x, w, null, { blocks: [] })).toThrow(/conv2d: blocks must be non-empty/);
    });
  });
});

describe('conv2d: finite differences on the float64 reference backend', () => {
  for (const blocks of [null, [{ ci0: 0, ci: 1, co0: 0, co: 2 }, { ci0: 1, ci: 2, co0: 2, co: 1 }]] as const) {
    it(`matches central differences for input, weight and bias${blocks ? ' (block-diagonal)' : ''}`, async () => {
      const r = { n: 2, ci: 3, co: blocks ? 3 : 2, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 2, dh: 1, dw: 2, h: 5, w: 4, bias: true, seed: 11 };
      const c0 = makeCase(r);
      const c = blocks ? { ...c0, opts: { ...c0.opts, blocks } } : c0;
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
  }
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

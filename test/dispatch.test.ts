/**
 * Dispatch mechanics of the WebGPU backend: 1-D dispatches past 65535 workgroups fold into 2-D and
 * still cover every element exactly once; pipelines are cached by keys without sizes; shader assembly
 * (includes, defines, directives) maps every line back to its file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { assemble, sourceLocation, Uniforms } from '../src/kernels/webgpu/program.js';
import { philoxBits, bitsToUniform } from '../src/core/random.js';
import { destroyGpu, getGpu, rj, withBackend } from './helpers/backends.js';

afterAll(() => destroyGpu());

describe('dispatch folding (> 65535 workgroups)', () => {
  it('random fill and a unary op over 17M elements are exact everywhere', async () => {
    const n = 17_000_003; // 66 407 workgroups of 256: more than one dimension allows
    expect(Math.ceil(n / 256)).toBeGreaterThan(65535);
    await withBackend('webgpu', async () => {
      const x = rj.rand([n], { seed: 123 });
      const y = rj.neg(x);
      const [xs, ys] = await rj.readAll([x, y]);
      const bits = philoxBits(123, 0, n);
      let bad = -1;
      for (let i = 0; i < n; i++) {
        const want = bitsToUniform(bits[i]);
        if (xs[i] !== want || ys[i] !== -want) { bad = i; break; }
      }
      expect(bad, `first wrong element (of ${n})`).toBe(-1);
      x.dispose();
      y.dispose();
    });
  }, 120_000);
  it('a broadcasting int32 binary op over 16.8M outputs (offset_of on the folded index)', async () => {
    const rows = 65_600, cols = 257; // 16 859 200 outputs
    await withBackend('webgpu', async () => {
      const col = rj.reshape(rj.arange(rows), [rows, 1]);
      const row = rj.arange(cols);
      const z = rj.add(rj.mul(col, cols), row); // int32: z[i, j] = i·cols + j exactly
      const v = await z.toArray();
      let bad = -1;
      for (let i = 0; i < rows * cols; i++) if (v[i] !== i) { bad = i; break; }
      expect(bad).toBe(-1);
      [col, row, z].forEach((t) => t.dispose());
    });
  }, 120_000);
});

describe('pipeline cache', () => {
  it('running the same ops at other sizes and shapes compiles no new pipeline', async () => {
    const gpu = await getGpu();
    const work = (n: number) => rj.tidy(() => {
      const x = rj.rand([n, 3], { seed: n });
      const y = rj.add(rj.exp(x), rj.rand([3], { seed: 1 }));
      const s = rj.sum(rj.transpose(y), 1);
      const g = rj.gather(y, rj.tensor([0, n - 1, 0], [3], { dtype: 'int32' }), 0);
      const p = rj.pad(rj.slice(y, [0, 1]), [[1, 0], [0, 2]]);
      const c = rj.concat([g, rj.cast(rj.cast(g, 'int32'), 'float32')], 0);
      return [s, p, c, rj.argmax(y, 0), rj.softmax(y)];
    });
    await withBackend('webgpu', async () => {
      const keep = work(5);
      await rj.readAll(keep);
      keep.forEach((t) => t.dispose());
      const compiled = gpu.pipelineCount;
      for (const n of [7, 64, 1001]) {
        const out = work(n);
        await rj.readAll(out);
        out.forEach((t) => t.dispose());
      }
      expect(gpu.pipelineCount).toBe(compiled);
    });
  });
  it('the multi-pass reduction adds its two pipelines once', async () => {
    const gpu = await getGpu();
    await withBackend('webgpu', async () => {
      const run = async (n: number) => {
        const s = rj.tidy(() => rj.sum(rj.rand([n], { seed: n })));
        await s.item();
        s.dispose();
      };
      await run(5000);
      await run(300_000); // three passes: 300 000 → 1172 → 5 → 1
      const compiled = gpu.pipelineCount;
      await run(70_000);
      await run(2_000_000);
      expect(gpu.pipelineCount).toBe(compiled);
    });
  });
});

describe('lib/index div_fast', () => {
  // The integer division some kernels use instead of `/` (f32 quotient, then one exact correction);
  // its domain is a < 2^31 with a / d < 2^23.
  it('equals a / d inside its domain (edges and random)', async () => {
    const gpu = await getGpu();
    const as: number[] = [], ds: number[] = [];
    const edgeA = [0, 1, 2, 3, 7, 8, 255, 256, 65535, 65536, 2 ** 23 - 1, 2 ** 23, 2 ** 23 + 1, 2 ** 24 - 1, 2 ** 24, 2 ** 24 + 1, 2 ** 30, 2 ** 31 - 2, 2 ** 31 - 1];
    const edgeD = [1, 2, 3, 4, 7, 9, 49, 255, 256, 257, 784, 65535, 65536, 2 ** 23 - 1, 2 ** 24 + 3, 2 ** 30, 2 ** 31 - 1];
    const inDomain = (a: number, d: number) => a / d < 2 ** 23;
    for (const a of edgeA) for (const d of edgeD) if (inDomain(a, d)) { as.push(a); ds.push(d); }
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 200_000; i++) {
      const a = Math.floor(rnd() * 2 ** 31);
      // Divisors spread over every magnitude, and multiples of d (and ±1) where the quotient's rounding bites.
      const d = 1 + Math.floor(2 ** (rnd() * 31)) % (2 ** 31 - 1);
      const q = Math.floor(a / d);
      const v = i % 3 === 0 ? Math.max(0, Math.min(2 ** 31 - 1, q * d + (i % 2) - 1 + (i % 5 === 0 ? 2 : 0))) : a;
      if (inDomain(v, d)) { as.push(v); ds.push(d); }
    }
    const n = as.length;
    const src = `#include <lib/index>
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> d: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec2<u32>>;
struct U { n: u32 }
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 64u);
  if (i < u.n) { let q = div_fast(a[i], d[i]); out[i] = vec2<u32>(q, a[i] - q * d[i]); }
}`;
    const a = gpu.upload(Int32Array.from(as.map((v) => v | 0)), 'int32');
    const d = gpu.upload(Int32Array.from(ds.map((v) => v | 0)), 'int32');
    const out = gpu.alloc(2 * n, 'int32');
    gpu.run({ key: 'test/div_fast', file: 'test_div_fast.wgsl', source: src, inputs: [a, d], outputs: [out], uniforms: new Uniforms().u32(n), workgroups: [Math.ceil(n / 64)] });
    const [got] = await gpu.read([{ storage: out, dtype: 'int32', size: 2 * n }]);
    let bad = '';
    for (let i = 0; i < n && !bad; i++) {
      const q = Math.floor(as[i] / ds[i]), r = as[i] - q * ds[i];
      if (got[2 * i] !== q || got[2 * i + 1] !== r) bad = `${as[i]} / ${ds[i]}: got (${got[2 * i]}, ${got[2 * i + 1]}), want (${q}, ${r})`;
    }
    expect(bad).toBe('');
    [a, d, out].forEach((t) => gpu.release(t));
  }, 60_000);
});

describe('shader assembly', () => {
  it('hoists directives above included libraries and maps lines back to their files', () => {
    const src = '// header\nenable subgroups;\n#include <lib/index>\nconst N = {{N}}u;\nfn f() -> u32 { return N; }';
    const sh = assemble('k.wgsl', src, { N: 7 });
    const lines = sh.code.split('\n');
    expect(lines[0]).toBe('enable subgroups;');
    expect(sourceLocation(sh, 1)).toBe('shaders/k.wgsl:2');
    expect(sourceLocation(sh, 2)).toBe('shaders/lib/index.wgsl:1');
    const f = lines.indexOf('fn f() -> u32 { return N; }') + 1;
    expect(sourceLocation(sh, f)).toBe('shaders/k.wgsl:5');
    expect(lines[f - 2]).toBe('const N = 7u;');
    expect(() => assemble('k.wgsl', 'const N = {{M}};')).toThrow(/k\.wgsl: shader placeholder \{\{M\}\} has no value/);
    expect(() => assemble('k.wgsl', '#include <lib/nope>')).toThrow(/k\.wgsl: unknown include <lib\/nope>/);
  });
});

/**
 * The parts and their arrows (docs/ARCHITECTURE.md) hold: scripts/lint-arch.mjs reads every import of
 * src/ and web/; it must find no violation here, and must find the ones planted in a scratch tree.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { check } from '../scripts/lint-arch.mjs';

type Result = { violations: string[]; parts: Record<string, string[]> };

describe('architecture (npm run lint:arch)', () => {
  it('every import of src/ and web/ follows the arrows; no cycle between parts', () => {
    const r = check(process.cwd()) as Result;
    expect(r.violations).toEqual([]);
    // The backends see only the contract.
    expect(r.parts['kernels/cpu']).toEqual(['core']);
    expect(r.parts['kernels/webgpu']).toEqual(['core', 'shaders']);
    expect(r.parts.tensor).toEqual(['core']);
  });

  it('finds a forbidden arrow, a backend importing the other, and a cycle between parts', () => {
    const root = mkdtempSync(join(tmpdir(), 'rejuv-arch-'));
    const put = (file: string, text: string) => {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    try {
      put('src/core/errors.ts', "import { Tensor } from '../tensor/tensor.js';\n");
      put('src/tensor/tensor.ts', "import type { RejuvError } from '../core/errors.js';\nexport class Tensor {}\n");
      put('src/kernels/cpu/basic.ts', "import type {\n  GpuThing,\n} from '../webgpu/thing.js';\n");
      put('src/kernels/webgpu/thing.ts', 'export type GpuThing = number;\n');
      put('src/nn/layer.ts', "// import { x } from '../rejuv/nr.js'; (a comment is not an import)\nexport const y = 1;\n");
      mkdirSync(join(root, 'web'));
      const r = check(root) as Result;
      expect(r.violations).toEqual([
        'src/core/errors.ts → src/tensor/tensor.ts: core may not import tensor',
        'src/kernels/cpu/basic.ts → src/kernels/webgpu/thing.ts: kernels/cpu may not import kernels/webgpu',
        'cycle between parts: core ↔ tensor',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import '../src/cli/plugins.js'; // registers the NR extension (eval of a rejuvenated checkpoint)
/**
 * Checkpoints written before the restructuring of issue 14 (test/fixtures, made at commit deaff7d by
 * test/fixtures/make-checkpoints.ts) still load: the same state-dict names and metadata, the same model
 * rebuilt from them, the same logits for a fixed batch, and `rejuv eval` reports the same accuracy and
 * loss (for the rejuvenated one: the two-head prediction of Scheme A, masks rebuilt from the stored split).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { modelFromDescription } from '../src/nn/models/index.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import { rj } from './helpers/backends.js';

const dir = join('test', 'fixtures');
const fixture = JSON.parse(readFileSync(join(dir, 'checkpoints.json'), 'utf8')) as Record<string, { logits: number[]; widths: number[]; eval: { testAcc: number; testLoss: number } }> & { input: { shape: number[]; data: number[] } };

beforeAll(async () => rj.init({ backend: 'cpu' }));
afterAll(() => rj.close());

describe('checkpoints written before the restructuring', () => {
  for (const name of ['plain', 'nr-scheme-a']) {
    it(`${name}: loads strictly and gives the same logits and the same \`rejuv eval\``, async () => {
      const file = join(dir, `${name}.safetensors`);
      const want = fixture[name];
      const ck = Checkpoint.read(file);
      const model = modelFromDescription(ck.meta('model'));
      expect(Object.values(ck.meta<{ widths: Record<string, number> }>('model').widths)).toEqual(want.widths);
      model.loadStateDict(ck.stateDictFor(model.stateDict()));
      model.eval();
      const x = rj.tensor(Float32Array.from(fixture.input.data), fixture.input.shape);
      const got = await rj.noGrad(() => model.forward(x)).toArray();
      expect(got.length).toBe(want.logits.length);
      let worst = 0;
      got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want.logits[i]))));
      expect(worst).toBeLessThan(1e-6);

      let json = '';
      const code = await main(['eval', file, '--backend', 'cpu', '--test-limit', '32', '--json'], { out: (s) => (json += s), err: () => {} });
      await rj.init({ backend: 'cpu' }); // eval closed the engine
      expect(code).toBe(0);
      const r = JSON.parse(json) as { testAcc: number; testLoss: number };
      expect(r.testAcc).toBe(want.eval.testAcc);
      expect(r.testLoss).toBeCloseTo(want.eval.testLoss, 6);
    });
  }
  it('the rejuvenated fixture has a real split (so the Scheme A path is exercised)', () => {
    const ck = Checkpoint.read(join(dir, 'nr-scheme-a.safetensors'));
    expect(fixture['nr-scheme-a'].widths).not.toEqual(fixture.plain.widths);
    expect(ck.content.metadata.pluginName).toBe('neural-rejuvenation');
  });
});

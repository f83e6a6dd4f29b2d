/**
 * Every checkpoint loads into PyTorch (issue 15 items 1 and 4): for one model of each zoo family (VGG,
 * ResNet, DenseNet), plain at irregular widths and rejuvenated (Scheme A; one Scheme B), `rejuv eval
 * --dump-logits` dumps a batch and scripts/check_torch_load.py loads the checkpoint into
 * scripts/torch_models.py (strict state dict, the split's masks and two heads rebuilt) and must agree
 * within 1e-4. Checkpoints it cannot map fail with the file and the field named.
 *
 * The runs are real `Trainer` runs on the synthetic set (3×16×16, 32 images). To make the surgery
 * non-trivial in two steps, the NR plugin (test/helpers/dead-neurons.ts) zeroes γ of every third
 * channel of each non-fixed unit (and every γ of one DenseNet layer, which surgery deletes) just
 * before the monitoring epoch's check: the split then has survived and rejuvenated channels
 * everywhere, a deleted layer and concatenation permutations. Scheme A's cross blocks are zero and Scheme B's have trained for only two steps, so a
 * wrong mask would hardly move the logits: each rejuvenated checkpoint is also checked with every conv
 * weight perturbed (cross blocks included), where only the exact masks and cross-attention agree.
 * Needs Debian's /usr/bin/python3 with python3-torch; skipped, saying so, without.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as rj from '../src/index.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/train/config.js';
import { Progress } from '../src/train/progress.js';
import { decodeSafetensors, encodeSafetensors, fromTyped, toTyped } from '../src/train/safetensors.js';
import { Trainer } from '../src/train/trainer.js';
import { cli } from './helpers/cli-run.js';
import { nrWithDeadNeurons } from './helpers/dead-neurons.js';
import { PY, probePython } from './helpers/python.js';

const { ok: HAVE_TORCH, skip: SKIP } = probePython('test/torch-interop.test.ts', 'import torch, numpy', 'python3-torch (or numpy)');

const dir = mkdtempSync(join(tmpdir(), 'rejuv-torch-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Scheme = 'a' | 'b';
interface Run {
  label: string;
  model: string;
  width?: number;
  widths?: number[];
  scheme?: Scheme;
}

/** Train `run` (plain: 1 epoch; NR: a monitoring epoch, surgery, 1 epoch of the mixed network); returns the checkpoint. */
async function train(run: Run): Promise<string> {
  const out = join(dir, run.label);
  const cfg: TrainConfig = {
    ...DEFAULT_CONFIG, model: run.model, width: run.width ?? 1, ...(run.widths ? { widths: run.widths } : {}), dataset: 'synthetic',
    trainLimit: 32, testLimit: 16, batchSize: 16, epochs: 1, lr: 0.05, seed: 1, out, resume: false,
    // What `rejuv train --nr --nr-max-monitor-epochs 1 --nr-lambda 0.01 --nr-scheme S` stores: `rejuv eval` rebuilds NR from it.
    ...(run.scheme ? { plugin: { nr: true, 'nr-target': 0.25, 'nr-lambda': 0.01, 'nr-max-monitor-epochs': 1, 'nr-scheme': run.scheme } } : {}),
  };
  const wholeDead = run.model.startsWith('densenet') ? 'features.denseblock1.denselayer2.conv2' : undefined;
  const makePlugin = run.scheme ? nrWithDeadNeurons({ target: 0.25, lambda: 0.01, maxMonitorEpochs: 1, scheme: run.scheme, seed: cfg.seed }, wholeDead) : () => null;
  await rj.init({ backend: 'cpu' });
  try {
    await new Trainer(cfg, { makePlugin, progress: new Progress({ write: () => {} } as never) }).run();
  } finally {
    rj.close();
  }
  return join(out, 'checkpoint.safetensors');
}

/** `rejuv eval CKPT --dump-logits` (in-process, reference backend); returns the dump's path. */
async function dump(ckpt: string): Promise<string> {
  const file = ckpt.replace(/checkpoint\.safetensors$/, 'logits.safetensors');
  const r = await cli('eval', ckpt, '--backend', 'cpu', '--dump-logits', file);
  expect(r.code, r.err).toBe(0);
  return file;
}

/** A copy of the checkpoint with 0.2·sin(…) added to every conv weight (cross blocks included), in a folder of its own. */
function perturbed(ckpt: string, label: string): string {
  const f = decodeSafetensors(readFileSync(ckpt), ckpt);
  for (const [name, t] of f.tensors) {
    if (t.shape.length !== 4) continue;
    const w = toTyped(t) as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] += 0.2 * Math.sin(0.37 * i + name.length);
    f.tensors.set(name, fromTyped(w, t.shape));
  }
  mkdirSync(join(dir, label));
  const out = join(dir, label, 'checkpoint.safetensors');
  writeFileSync(out, encodeSafetensors(f));
  return out;
}

const checkTorch = (...paths: string[]) => spawnSync(PY, ['scripts/check_torch_load.py', ...paths], { encoding: 'utf8' });

const RUNS: Run[] = [
  { label: 'vgg-plain', model: 'vgg_mini', widths: [3, 5, 7, 6, 9, 4] },
  { label: 'resnet-plain', model: 'resnet20', width: 0.3 },
  { label: 'densenet-plain', model: 'densenet_bc100', width: 0.06 },
  { label: 'vgg-a', model: 'vgg_mini', width: 0.5, scheme: 'a' },
  { label: 'vgg-b', model: 'vgg_mini', width: 0.5, scheme: 'b' },
  { label: 'resnet-a', model: 'resnet20', width: 0.25, scheme: 'a' },
  { label: 'densenet-a', model: 'densenet_bc100', width: 0.05, scheme: 'a' },
];
const ckpts = new Map<string, { ckpt: string; dump: string }>();

describe.skipIf(!HAVE_TORCH)(`checkpoints into PyTorch (scripts/check_torch_load.py)${SKIP}`, () => {
  it('every family, plain and rejuvenated (Scheme A; Scheme B), loads strictly and agrees within 1e-4', async () => {
    for (const run of RUNS) {
      const ckpt = await train(run);
      ckpts.set(run.label, { ckpt, dump: await dump(ckpt) });
      if (!run.scheme) continue;
      const noisy = perturbed(ckpt, `${run.label}-perturbed`);
      ckpts.set(`${run.label}-perturbed`, { ckpt: noisy, dump: await dump(noisy) });
      // The surgery had something to rebuild: units with survived and rejuvenated outputs, split inputs.
      const ck = Checkpoint.read(ckpt);
      const state = ck.meta<{ phase: string; split: { aOut: number[]; splitIn: boolean[]; inPerm: (number[] | null)[] } }>('plugin');
      const widths = Object.values(ck.meta<{ widths: Record<string, number> }>('model').widths).filter((w) => w > 0);
      expect(state.phase).toBe('rejuvenated');
      expect(state.split.aOut.some((a, l) => a > 0 && a < widths[l]), `${run.label}: no unit has both S and R channels`).toBe(true);
      expect(state.split.splitIn.filter(Boolean).length).toBeGreaterThan(1);
      if (run.model.startsWith('densenet')) {
        expect(Object.values(ck.meta<{ widths: Record<string, number> }>('model').widths)).toContain(0); // the deleted layer
        expect(state.split.inPerm.some((p) => p !== null)).toBe(true); // concatenations reorder [S1 R1 | S2 R2 …]
      }
    }
    const r = checkTorch(...[...ckpts.values()].flatMap((c) => [c.ckpt, c.dump]));
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.match(/^OK$/gm)).toHaveLength(ckpts.size);
    for (const run of RUNS) {
      const mode = run.scheme ? `rejuvenated, Scheme ${run.scheme.toUpperCase()}` : 'plain';
      for (const label of run.scheme ? [run.label, `${run.label}-perturbed`] : [run.label]) expect(r.stdout).toContain(`${ckpts.get(label)!.ckpt}: ${run.model} (${mode}`);
    }
  });

  it('the comparison can fail: Scheme B weights run as Scheme A (cross weights masked off) disagree', () => {
    // The perturbed Scheme B checkpoint has large cross weights: reading it as Scheme A drops them.
    const { ckpt, dump: d } = ckpts.get('vgg-b-perturbed')!;
    const f = decodeSafetensors(readFileSync(ckpt), ckpt);
    const run = JSON.parse(f.metadata.run);
    run.config.plugin['nr-scheme'] = 'a';
    f.metadata.run = JSON.stringify(run);
    const bad = join(dir, 'vgg-b-perturbed-as-a.safetensors');
    writeFileSync(bad, encodeSafetensors(f));
    const r = checkTorch(bad, d);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('rejuvenated, Scheme A');
    expect(r.stderr).toMatch(/^FAIL: .*logits differ by/m);
  });

  it('a checkpoint it cannot map fails naming the file and the field', () => {
    const { ckpt, dump: d } = ckpts.get('vgg-plain')!;
    const rejuvenated = ckpts.get('vgg-a')!.ckpt;
    const variant = (name: string, src: string, edit: (meta: Record<string, string>) => void) => {
      const f = decodeSafetensors(readFileSync(src), src);
      edit(f.metadata);
      const file = join(dir, `${name}.safetensors`);
      writeFileSync(file, encodeSafetensors(f));
      return file;
    };
    const editModel = (fn: (m: { arch: string; widths: Record<string, number> }) => void) => (meta: Record<string, string>) => {
      const m = JSON.parse(meta.model);
      fn(m);
      meta.model = JSON.stringify(m);
    };
    const cases: [string, string][] = [
      [variant('unknown-arch', ckpt, editModel((m) => (m.arch = 'vgg_nope'))), "model.arch: unknown architecture 'vgg_nope'"],
      [variant('no-model', ckpt, (meta) => delete meta.model), '__metadata__.model: missing'],
      [variant('wrong-width', ckpt, editModel((m) => (m.widths['features.3'] = 6))), "model.widths['features.3']: 6 does not match tensor 'features.3.weight' of shape [5, 3, 3, 3]"],
      [variant('unknown-unit', ckpt, editModel((m) => (m.widths['features.99'] = 4))), "model.widths: vgg_mini has units ['features.0', 'features.3', 'features.7']…; unknown ['features.99']"],
      [variant('not-rejuv', ckpt, (meta) => delete meta.format), "__metadata__.format: None, expected 'rejuv-checkpoint/1'"],
      [variant('bad-split', rejuvenated, (meta) => {
        const s = JSON.parse(meta.plugin);
        s.split.aOut.pop();
        meta.plugin = JSON.stringify(s);
      }), 'plugin.split.aOut: expected a list of 6 entries'],
    ];
    const r = checkTorch(...cases.flatMap(([file]) => [file, d]));
    expect(r.status, r.stdout + r.stderr).toBe(2);
    for (const [file, field] of cases) expect(r.stderr).toContain(`check_torch_load: ${file}: ${field}`);
  });
});

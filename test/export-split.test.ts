/**
 * The split for deployment (issue 15 item 3, src/rejuv/export.ts): for a VGG, a ResNet and a DenseNet
 * rejuvenated under Scheme A and trained a few steps, the S and R networks' summed logits equal the
 * masked network's within 1e-5 (eval mode; S alone is the S head, R alone the R head), their conv
 * parameters sum to effectiveParams, the masked total is the model's parameter count; Scheme B is
 * refused. Through files: `rejuv export --split` writes the pair, `rejuv eval OUT` gives the masked
 * checkpoint's loss and accuracy, `rejuv inspect` reports both sizes, and PyTorch (Debian's
 * python3-torch; skipped with a message without it) loads both members and sums to our logits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ZooModel } from '../src/nn/graph.js';
import { createModel } from '../src/nn/models/index.js';
import { sgdUpdate } from '../src/ops/optim.js';
import { maskedLogits, pairLogits, splitNetwork } from '../src/rejuv/export.js';
import { MEMBER_FILES, PAIR_FILE, type PairMeta } from '../src/rejuv/export-files.js';
import { twoHeads } from '../src/rejuv/heads.js';
import { NeuralRejuvenation } from '../src/rejuv/nr.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { saveCheckpoint } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/train/config.js';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';
import { cli } from './helpers/cli-run.js';
import { PY, probePython } from './helpers/python.js';

afterAll(() => destroyGpu());

const { ok: HAVE_TORCH, missing: NO_TORCH } = probePython('test/export-split.test.ts (PyTorch check)', 'import torch', 'python3-torch');

/** The three families at small widths on 3×16×16 inputs (the synthetic dataset's shape), 10 classes. */
const FAMILIES = [
  { arch: 'vgg_mini', width: 0.5 },
  { arch: 'resnet20', width: 0.25 },
  { arch: 'densenet_bc100', width: 0.1 },
] as const;
const OPTS = { inChannels: 3, inputSize: 16, numClasses: 10 };

/** Kill a fixed pattern of about `frac` of the channels of every non-fixed unit (γ = β = 0); live β small. */
function kill(model: ZooModel, frac: number): void {
  model.convBnUnits().forEach((u, l) => {
    if (u.fixed) return;
    const C = u.conv.outChannels;
    const g = new Float32Array(C), b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const dead = c > 0 && ((c * 7 + l * 3) % 10) >= 10 * (1 - frac);
      g[c] = dead ? 0 : 0.3 + 0.05 * ((c + l) % 5);
      b[c] = dead ? 0 : 0.02 * ((c % 3) - 1);
    }
    u.bn.registerParameter('weight', rj.tensor(g));
    u.bn.registerParameter('bias', rj.tensor(b));
  });
}

/**
 * A rejuvenated network (surgery with the scheme, then `steps` SGD steps in train mode, so R weights,
 * every BN's running statistics and the classifier's new columns are trained values), logits of order 1.
 */
async function rejuvenated(arch: string, width: number, opts: { scheme?: 'a' | 'b'; steps?: number; dead?: number } = {}): Promise<NeuralRejuvenation> {
  const model = createModel(arch, { ...OPTS, widthMultiplier: width });
  kill(model, opts.dead ?? 0.6);
  // Logits of order 1 (the N(0, 0.01²) classifier would make a 1e-5 tolerance too lenient).
  model.classifier.registerParameter('weight', rj.tidy(() => rj.mul(model.classifier.weight, 100)));
  const nr = new NeuralRejuvenation(model, { target: 0.99, seed: 4, scheme: opts.scheme ?? 'a' });
  await nr.rejuvenate();
  const m = nr.model;
  m.train();
  const bufs = new Map<string, Tensor | null>();
  for (let step = 0; step < (opts.steps ?? 3); step++) {
    rj.tidy(() => {
      const x = rj.randn([8, 3, 16, 16], { seed: 200 + step });
      const y = rj.tensor(Int32Array.from({ length: 8 }, (_, i) => (i * 3 + step) % 10), [8], { dtype: 'int32' });
      nr.forwardLoss(x, y).loss.backward();
      for (const [name, p] of m.namedParameters()) {
        const b = sgdUpdate(p, p.grad!, bufs.get(name) ?? null, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, l1: nr.l1For(name) });
        bufs.set(name, b); // updated in place; kept by sgdUpdate
        p.grad = null;
      }
    });
  }
  for (const b of bufs.values()) b?.dispose();
  m.eval();
  return nr;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
const convWeights = (m: ZooModel) => m.convBnUnits().reduce((s, u) => s + u.conv.weight.size, 0);

describeEachBackend('split for deployment', () => {
  for (const { arch, width } of FAMILIES) {
    it(`${arch}: S(x) + R(x) equals the masked network's z_S + z_R within 1e-5; conv parameters sum to effectiveParams`, async () => {
      const nr = await rejuvenated(arch, width);
      const m = nr.model, split = nr.split!;
      const pair = await splitNetwork(m, split);
      const x = rj.randn([4, 3, 16, 16], { seed: 31 });
      const outs = rj.noGrad(() => rj.tidy(() => {
        const h = twoHeads(m, x, split.classifierS);
        return [maskedLogits(m, split, x), pairLogits(pair, x), h.zS, h.zR, pair.s.forward(x), pair.r.forward(x)];
      }));
      const [masked, summed, zS, zR, s, r] = await rj.readAll(outs);
      expect(maxAbs(masked)).toBeGreaterThan(0.1); // a meaningful tolerance
      expect(maxAbsDiff(summed, masked)).toBeLessThan(1e-5);
      // Each member is its head: the classifier bias is in both.
      expect(maxAbsDiff(s, zS)).toBeLessThan(1e-5);
      expect(maxAbsDiff(r, zR)).toBeLessThan(1e-5);
      // Narrow networks of their own widths: every unit is split, R gets what the surgery added.
      const units = m.convBnUnits();
      expect(pair.s.convBnUnits().map((u) => u.conv.outChannels)).toEqual(split.aOut);
      expect(pair.r.convBnUnits().map((u) => u.conv.outChannels)).toEqual(units.map((u, l) => u.conv.outChannels - split.aOut[l]));
      expect(pair.s.convBnUnits().map((u) => u.name)).toEqual(units.map((u) => u.name));
      // Conv parameters: the run's effective count, from the sizes and from the models themselves.
      expect(pair.sizes.s.conv + pair.sizes.r.conv).toBe(nr.effectiveParams);
      expect(convWeights(pair.s) + convWeights(pair.r)).toBe(nr.effectiveParams);
      expect(pair.sizes.masked.conv).toBe(convWeights(m));
      expect(pair.sizes.masked.total).toBe(m.numParameters());
      expect(pair.sizes.s.total).toBe(pair.s.numParameters());
      expect(pair.sizes.r.total).toBe(pair.r.numParameters());
      expect(pair.sizes.pair.flops).toBeLessThan(pair.sizes.masked.flops);
      expect(pair.index.padded).toEqual({ units: [], convParams: 0, classifierParams: 0 });
      if (arch === 'densenet_bc100') expect(split.inPerm.some((p) => p !== null)).toBe(true); // concatenations were permuted
      if (arch === 'resnet20') expect(units.some((u) => u.fixed)).toBe(true);
      for (const t of outs) t.dispose();
      x.dispose();
      pair.s.dispose();
      pair.r.dispose();
      m.dispose();
      nr.dispose();
    });
  }
});

describe('split for deployment: units without a rejuvenated channel', () => {
  // A mild kill gives a rate near 1.25, so units with few survivors get ⌊A·r⌋ = A (no R): R keeps one
  // all-zero channel there, the sum stays exact, and the padding's zero weights are counted apart.
  for (const { arch, width } of [{ arch: 'vgg_mini', width: 0.25 }, { arch: 'resnet20', width: 0.25 }, { arch: 'densenet_bc100', width: 0.1 }]) {
    it(`${arch}: R pads width-0 units with a zero channel; S(x) + R(x) still equals the masked network`, async () => {
      await rj.init({ backend: 'cpu' });
      const nr = await rejuvenated(arch, width, { dead: 0.2 });
      const m = nr.model, split = nr.split!;
      const pair = await splitNetwork(m, split);
      expect(pair.index.padded.units.length).toBeGreaterThan(0);
      if (arch === 'resnet20') expect(pair.index.padded.units).toContain('conv1'); // the residual stream itself has no R
      const x = rj.randn([4, 3, 16, 16], { seed: 32 });
      const outs = rj.noGrad(() => rj.tidy(() => [maskedLogits(m, split, x), pairLogits(pair, x)]));
      const [masked, summed] = await rj.readAll(outs);
      expect(maxAbs(masked)).toBeGreaterThan(0.05);
      expect(maxAbsDiff(summed, masked)).toBeLessThan(1e-5);
      expect(pair.sizes.s.conv + pair.sizes.r.conv - pair.sizes.padded.convParams).toBe(nr.effectiveParams);
      expect(convWeights(pair.s) + convWeights(pair.r) - pair.index.padded.convParams).toBe(nr.effectiveParams);
      for (const name of pair.index.padded.units) expect(pair.r.describe().widths[name]).toBe(1);
      pair.s.dispose();
      pair.r.dispose();
      m.dispose();
      nr.dispose();
    });
  }
});

describe('split for deployment: refusals', () => {
  it('refuses Scheme B (told, or seen in the cross blocks) and a member without rejuvenated channels', async () => {
    await rj.init({ backend: 'cpu' });
    const nr = await rejuvenated('vgg_mini', 0.5, { scheme: 'b', steps: 1 });
    await expect(splitNetwork(nr.model, nr.split!, { scheme: 'b' })).rejects.toThrow(/Scheme B network \(cross-attention\) cannot be split/);
    await expect(splitNetwork(nr.model, nr.split!)).rejects.toThrow(/unit features\.\d+: the cross blocks .* are not zero \(max \|w\| = [0-9.e+-]+\)/);
    // A split that does not describe this network (survived inputs that its producers do not give).
    const wrong = { ...nr.split!, aIn: nr.split!.aIn.map((a, l) => (l === 2 ? a + 1 : a)) };
    await expect(splitNetwork(nr.model, wrong)).rejects.toThrow(/unit features\.\d+: the split's survived inputs \(\d+ of \d+\) are not the channels its producers' S parts give/);
    nr.model.dispose();
    nr.dispose();
  });
});

/** A checkpoint as `rejuv train --nr` writes it after the surgery (model, run, NR state), on synthetic data. */
async function writeNrCheckpoint(file: string, nr: NeuralRejuvenation, arch: string, width: number, scheme: 'a' | 'b'): Promise<void> {
  const config: TrainConfig = {
    ...DEFAULT_CONFIG, model: arch, width, dataset: 'synthetic', out: join(file, '..'), epochs: 2, batchSize: 16, testLimit: 48,
    plugin: { nr: true, 'nr-target': 0.99, 'nr-scheme': scheme },
  };
  await saveCheckpoint(file, Object.entries(nr.model.stateDict()), {
    model: nr.model.describe(),
    run: { epochsDone: 2, shift: 1, history: [], config },
    pluginName: 'neural-rejuvenation',
    plugin: nr.state(),
  });
}

describe('split for deployment: files, command line, PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rejuv-split-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const { arch, width } of FAMILIES) {
    it(`${arch}: rejuv export --split writes an ordinary pair; rejuv eval OUT equals the masked checkpoint; inspect reports both; PyTorch sums to our logits`, async () => {
      await rj.init({ backend: 'cpu' });
      const nr = await rejuvenated(arch, width);
      const ckpt = join(dir, `${arch}.safetensors`), out = join(dir, `${arch}-split`);
      await writeNrCheckpoint(ckpt, nr, arch, width, 'a');
      const effective = nr.effectiveParams!;
      const params = nr.model.numParameters();
      nr.model.dispose();
      nr.dispose();
      rj.close(); // the commands below start their own backend

      const ex = await cli('export', '--split', ckpt, out, '--backend', 'cpu');
      expect(ex.err).toBe('');
      expect(ex.code).toBe(0);
      expect(ex.out).toMatch(new RegExp(`= ${effective.toLocaleString('en-US')} \\(the run's effectiveParams: ${effective.toLocaleString('en-US')}\\)`));
      expect(ex.out).toMatch(/check: summed logits vs the masked network's on 4 random images: max \|difference\| /);
      const meta = JSON.parse(readFileSync(join(out, PAIR_FILE), 'utf8')) as PairMeta;
      expect(meta.convParams.S + meta.convParams.R).toBe(effective);
      expect(meta.effectiveParams).toBe(effective);
      expect(meta.sizes.masked.total).toBe(params);
      expect(meta.check!.maxAbsDiff).toBeLessThan(1e-5);
      for (const f of Object.values(MEMBER_FILES)) expect(existsSync(join(out, f))).toBe(true);

      // One command evaluates the pair: the same loss and accuracy as the masked checkpoint.
      const evMasked = await cli('eval', ckpt, '--json', '--backend', 'cpu');
      const evPair = await cli('eval', out, '--json', '--backend', 'cpu');
      expect(evMasked.code, evMasked.err).toBe(0);
      expect(evPair.code, evPair.err).toBe(0);
      const a = JSON.parse(evMasked.out), b = JSON.parse(evPair.out);
      expect(b.images).toBe(48);
      expect(Math.abs(a.testLoss - b.testLoss)).toBeLessThan(1e-5);
      expect(b.testAcc).toBe(a.testAcc);
      // Each member alone is an ordinary checkpoint rejuv evaluates.
      const evS = await cli('eval', join(out, MEMBER_FILES.s), '--json', '--backend', 'cpu');
      expect(evS.code, evS.err).toBe(0);
      expect(JSON.parse(evS.out).images).toBe(48);

      // inspect: the masked checkpoint's NR section holds both sizes; the pair folder and a member describe themselves.
      const insJson = await cli('inspect', ckpt, '--json');
      expect(insJson.code, insJson.err).toBe(0);
      const info = JSON.parse(insJson.out);
      expect(info.nr.split.masked.total).toBe(info.parameters);
      expect(info.nr.split.s.conv + info.nr.split.r.conv).toBe(effective);
      expect(info.nr.split.pair.flops).toBeLessThan(info.nr.split.masked.flops);
      const ins = await cli('inspect', ckpt);
      expect(ins.out).toMatch(/split for deployment \(rejuv export --split\)/);
      expect(ins.out).toMatch(/masked \(dense\)\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+\n\s+S\s/);
      const insPair = await cli('inspect', out);
      expect(insPair.code, insPair.err).toBe(0);
      expect(insPair.out).toContain(`split of ${arch}`);
      expect((await cli('inspect', join(out, MEMBER_FILES.r))).out).toMatch(/split {7}member R \(rejuvenated channels\) of a split/);

      // PyTorch: both members load as ordinary models; their summed logits are ours.
      if (!HAVE_TORCH) return;
      const dump = join(dir, `${arch}-logits.safetensors`);
      const ev = await cli('eval', out, '--dump-logits', dump, '--backend', 'cpu');
      expect(ev.code, ev.err).toBe(0);
      const py = spawnSync(PY, ['-c', TORCH_CHECK, out, dump], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      const r = JSON.parse(py.stdout.trim().split('\n').pop()!);
      expect(r.loaded).toEqual(['S', 'R']);
      expect(r.maxAbsLogit).toBeGreaterThan(0.1);
      expect(r.maxAbsDiff).toBeLessThan(1e-4 * Math.max(1, r.maxAbsLogit));
    });
  }

  it.skipIf(HAVE_TORCH)(`PyTorch check of the pair (skipped: ${NO_TORCH})`, () => {});

  it('a checkpoint written by `rejuv train --nr` (test/fixtures, forced surgery at rate 1.23) splits, R padded where a unit has no R', async () => {
    const fx = join('test', 'fixtures', 'nr-scheme-a.safetensors'), out = join(dir, 'fixture-split');
    const ex = await cli('export', '--split', fx, out, '--backend', 'cpu');
    expect(ex.code, ex.err).toBe(0);
    expect(ex.out).toMatch(/R keeps one all-zero channel where a unit has no rejuvenated channel \(features\.0, features\.3\)/);
    const meta = JSON.parse(readFileSync(join(out, PAIR_FILE), 'utf8')) as PairMeta;
    expect(meta.convParams.S + meta.convParams.R - meta.sizes.padded.convParams).toBe(meta.effectiveParams);
    expect(meta.check!.maxAbsDiff).toBeLessThan(1e-5);
    const a = JSON.parse((await cli('eval', fx, '--json', '--backend', 'cpu')).out), b = JSON.parse((await cli('eval', out, '--json', '--backend', 'cpu')).out);
    expect(Math.abs(a.testLoss - b.testLoss)).toBeLessThan(1e-5);
    expect(b.testAcc).toBe(a.testAcc);
  });

  it('refuses Scheme B, a run before its surgery, a plain run, and a folder that holds files; --overwrite replaces a pair', async () => {
    await rj.init({ backend: 'cpu' });
    const b = await rejuvenated('vgg_mini', 0.5, { scheme: 'b', steps: 1 });
    const ckB = join(dir, 'scheme-b.safetensors');
    await writeNrCheckpoint(ckB, b, 'vgg_mini', 0.5, 'b');
    b.model.dispose();
    b.dispose();
    const a = await rejuvenated('vgg_mini', 0.5, { steps: 1 });
    const ckA = join(dir, 'scheme-a.safetensors');
    await writeNrCheckpoint(ckA, a, 'vgg_mini', 0.5, 'a');
    a.model.dispose();
    a.dispose();
    const mon = new NeuralRejuvenation(createModel('vgg_mini', { ...OPTS, widthMultiplier: 0.5 }), { target: 0.5 });
    const ckM = join(dir, 'monitoring.safetensors');
    await writeNrCheckpoint(ckM, mon, 'vgg_mini', 0.5, 'a');
    mon.model.dispose();
    mon.dispose();
    rj.close();

    const rb = await cli('export', '--split', ckB, join(dir, 'b-split'), '--backend', 'cpu');
    expect(rb.code).toBe(1);
    expect(rb.err).toMatch(/scheme-b\.safetensors: trained with Scheme B \(--nr-scheme b\), whose cross-attention blocks are trained away from zero/);
    expect(existsSync(join(dir, 'b-split'))).toBe(false);
    const rm = await cli('export', '--split', ckM, join(dir, 'm-split'), '--backend', 'cpu');
    expect(rm).toMatchObject({ code: 1, err: expect.stringMatching(/monitoring\.safetensors: no surgery yet \(NR phase 'monitor'\)/) });
    const ra = await cli('export', '--split', ckA, join(dir, 'a-split'), '--backend', 'cpu');
    expect(ra.code, ra.err).toBe(0);
    // The member is a plain checkpoint: exporting it again is refused by name.
    const rp = await cli('export', '--split', join(dir, 'a-split', MEMBER_FILES.s), join(dir, 'p-split'), '--backend', 'cpu');
    expect(rp).toMatchObject({ code: 1, err: expect.stringMatching(/survived\.safetensors: not a Neural Rejuvenation run/) });
    expect(await cli('export', '--split', ckA, join(dir, 'a-split'), '--backend', 'cpu')).toMatchObject({ code: 1, err: expect.stringMatching(/holds a pair already; give --overwrite/) });
    expect((await cli('export', '--split', ckA, join(dir, 'a-split'), '--backend', 'cpu', '--overwrite')).code).toBe(0);
    expect(await cli('export', '--split', ckA, dir, '--backend', 'cpu')).toMatchObject({ code: 1, err: expect.stringMatching(/the folder holds files .* and is not a pair folder/) });
    expect(await cli('export', ckA, join(dir, 'x'))).toMatchObject({ code: 2, err: expect.stringMatching(/give --split/) });
  });
});

/**
 * PyTorch side: each member through scripts/rejuv_ckpt.py's `load_model` (scripts/torch_models.py's
 * `from_description`, `load_state_dict(strict=True)`, eval mode; a member has no NR state, so it loads
 * as a plain model), summed, against the dump of `rejuv eval OUT --dump-logits`.
 */
const TORCH_CHECK = `
import json, os, sys
sys.path.insert(0, 'scripts')
import torch
from rejuv_ckpt import load_model, read_safetensors
pair_dir, dump = sys.argv[1], sys.argv[2]
torch.set_num_threads(2)
pair = json.load(open(os.path.join(pair_dir, 'pair.json')))
_, d = read_safetensors(dump)
x = torch.from_numpy(d['input'])
total, loaded = 0, []
with torch.no_grad():
    for name in ('S', 'R'):
        model, info = load_model(os.path.join(pair_dir, pair['members'][name]))
        assert info['scheme'] is None and info['phase'] is None, info  # an ordinary model
        total = total + model(x).double()
        loaded.append(name)
ours = torch.from_numpy(d['logits']).double()
print(json.dumps({'loaded': loaded, 'maxAbsDiff': (ours - total).abs().max().item(), 'maxAbsLogit': ours.abs().max().item()}))
`;

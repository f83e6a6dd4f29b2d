import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli-run.js';
import { Checkpoint } from '../src/train/checkpoint.js';
import { lrAt } from '../src/train/config.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Small and quick: a half-width miniature VGG on 64 synthetic images (WebGPU, faster than the reference backend here).
const TINY = ['--model', 'vgg_mini', '--width', '0.5', '--dataset', 'synthetic', '--train-limit', '64', '--test-limit', '32', '--batch-size', '32', '--lr', '0.05'];

describe('rejuv command line', () => {
  it('prints help for the program and for each command', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of ['train', 'eval', 'inspect', 'demo']) expect(top.out).toContain(`  ${c}`);
    const train = await cli('train', '--help');
    for (const o of ['--model', '--dataset', '--data-dir', '--epochs', '--batch-size', '--lr', '--momentum', '--weight-decay', '--milestones', '--schedule', '--seed', '--out', '--resume', '--train-limit', '--test-limit', '--width']) {
      expect(train.out).toContain(o);
    }
    expect((await cli('help', 'eval')).out).toContain('--dump-logits');
    expect((await cli('inspect', '--help')).out).toMatch(/rejuv inspect CKPT/);
  });
  it('rejects bad usage with exit code 2 and a message naming the option', async () => {
    expect(await cli('fly')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'fly'/) });
    expect(await cli('train', '--model', 'vgg_mini', '--dataset', 'synthetic', '--out', dir, '--epochs', 'three')).toMatchObject({ code: 2, err: expect.stringMatching(/--epochs: expected an integer, got 'three'/) });
    expect(await cli('train', '--model', 'vgg_mini', '--dataset', 'imagenet', '--out', dir)).toMatchObject({ code: 2, err: expect.stringMatching(/--dataset: expected one of mnist, fashion-mnist, cifar10, cifar100, synthetic/) });
    expect(await cli('train', '--dataset', 'synthetic', '--out', dir)).toMatchObject({ code: 2, err: expect.stringMatching(/--model is required/) });
    expect(await cli('train', '--model', 'x', '--dataset', 'synthetic', '--out', dir, '--bogus')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option --bogus/) });
    expect(await cli('eval')).toMatchObject({ code: 2, err: expect.stringMatching(/expected CKPT/) });
    expect(await cli('inspect', join(dir, 'none.safetensors'))).toMatchObject({ code: 1, err: expect.stringMatching(/none\.safetensors: cannot read/) });
  });
  it('trains a tiny run: metrics.jsonl keys, report.html, checkpoint, inspect and eval', async () => {
    const out = join(dir, 'run');
    const r = await cli('train', ...TINY, '--epochs', '2', '--out', out);
    expect(r.err).not.toMatch(/rejuv train:/);
    expect(r.code).toBe(0);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.epoch)).toEqual([1, 2]);
    for (const k of ['epoch', 'lr', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'imagesPerSec', 'params', 'seconds']) {
      for (const row of rows) expect(Number.isFinite(row[k]), `${k} = ${row[k]}`).toBe(true);
    }
    expect(rows[0].lr).toBe(0.05);
    expect(rows[1].lr).toBeCloseTo(0.005, 12); // default milestones at 50 % / 75 % of 2 epochs → [1]
    expect(rows[0].params).toBeGreaterThan(10000);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script src=|<link [^>]*href="http/); // self-contained
    expect(html).toContain(JSON.stringify(rows[1].testLoss));
    const ck = Checkpoint.read(join(out, 'checkpoint.safetensors'));
    expect(ck.meta<{ epochsDone: number }>('run').epochsDone).toBe(2);
    expect(ck.meta<{ arch: string; widths: Record<string, number> }>('model').widths['features.0']).toBe(8);
    expect([...ck.content.tensors.keys()].some((k) => k.startsWith('@optim/features.0.weight/'))).toBe(true);
    const ins = await cli('inspect', join(out, 'checkpoint.safetensors'), '--json');
    expect(ins.code).toBe(0);
    expect(JSON.parse(ins.out)).toMatchObject({ arch: 'vgg_mini', epochsDone: 2, widths: { 'features.0': 8, 'features.17': 32 }, parameters: rows[1].params });
    // Human output: the LR rounded (0.05 · 0.1 is 0.005000000000000001 in floating point), the NR section as a table.
    expect(rows[1].lr).not.toBe(0.005);
    const human = (await cli('inspect', join(out, 'checkpoint.safetensors'))).out;
    expect(human).toMatch(/last epoch {2}lr 0\.005 train loss/);
    expect(human).toMatch(/Neural Rejuvenation .*:\n {4}layer +alive +total +fixed +planned width\n {4}-+ +-+/);
    expect(human).toMatch(/\n {4}features\.0 +\d+ +8 +\d+\n/);
    expect(human).toMatch(/utilization [01]\.\d{3} of the conv parameters/);
    expect(human).not.toMatch(/[{}"]/);
    const ev = await cli('eval', join(out, 'checkpoint.safetensors'), '--json');
    expect(ev.code).toBe(0);
    const e = JSON.parse(ev.out);
    // Evaluating the checkpoint reproduces the run's own last test numbers.
    expect(e.testAcc).toBe(rows[1].testAcc);
    expect(e.testLoss).toBeCloseTo(rows[1].testLoss, 5);
  });
  it('stops on a non-finite loss naming epoch and step, keeping the last good checkpoint', async () => {
    const out = join(dir, 'diverge');
    // 3 steps per epoch: at lr 1e38 the third step's loss overflows (measured: step 2 ≈ 1e37, step 3 NaN).
    const args = TINY.map((a) => (a === '64' ? '96' : a));
    expect((await cli('train', ...args, '--epochs', '1', '--out', out)).code).toBe(0);
    const before = readFileSync(join(out, 'checkpoint.safetensors'));
    const r = await cli('train', ...args, '--epochs', '2', '--milestones', '', '--lr', '1e38', '--resume', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/non-finite loss \((NaN|Infinity|-Infinity)\) at epoch 2, step \d+; stopping: the last good checkpoint .*checkpoint\.safetensors \(after epoch 1\) is kept/);
    expect(readFileSync(join(out, 'checkpoint.safetensors')).equals(before)).toBe(true);
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(true);
  });
  it('demo: trains the embedded MNIST default and prints the summary table', async () => {
    const out = join(dir, 'demo');
    const r = await cli('demo', '--baseline-only', '--width', '1', '--epochs', '1', '--train-limit', '64', '--test-limit', '32', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/variant\s+dense params\s+effective params\s+final test acc\s+regime, seeds \S+\s+best test acc\*\s+epochs\s+time\s+report/);
    // Options other than the regime's: no spread printed for them.
    expect(r.out).toMatch(new RegExp(`baseline\\s+72666\\s+72666\\s+\\d+\\.\\d\\d%\\s+–\\s+\\d+\\.\\d\\d%.*${join(out, 'baseline', 'report.html').replace(/[.]/g, '\\.')}`));
    expect(r.out).toMatch(/\* best over epochs, selected on the test set/);
    expect(existsSync(join(out, 'baseline', 'checkpoint.safetensors'))).toBe(true);
  });
  it('demo with NR: utilization and λ per monitoring epoch, the surgery line, dense and effective parameters', async () => {
    const out = join(dir, 'demo-nr');
    const r = await cli('demo', '--width', '0.25', '--epochs', '1', '--train-limit', '64', '--test-limit', '32', '--monitor-epochs', '1', '--lambda', '0.02', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/epoch 1\/\d+ .*\| u \d\.\d+ \(T 0\.25\) λ 0\.02/);
    expect(r.err).toMatch(/NR surgery after epoch 1 \(step \d+\): .*alive [\d,]+ of 4,4,8,8,16,16 → widths [\d,]+ \(rate \d+\.\d+\)/);
    // Effective = all parameters minus the zero cross blocks: the run's own conv counts give the same.
    const row = r.out.split('\n').find((l) => l.startsWith('NR '))!;
    const [dense, effective] = row.trim().split(/\s+/).slice(1, 3).map(Number);
    const last = JSON.parse(readFileSync(join(out, 'nr', 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
    expect(dense).toBe(last.params);
    expect(effective).toBe(last.params - last.convParams + last.effectiveParams);
    expect(effective).toBeLessThanOrEqual(dense);
  });
  it('refuses to resume a different run', async () => {
    const r = await cli('train', ...TINY.map((a) => (a === '64' ? '32' : a)), '--epochs', '2', '--resume', '--out', join(dir, 'run'));
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/was written with --trainLimit 64, this run has 32/) });
  });
});

describe('options users trip on (issue 12 item 4)', () => {
  const base = ['train', '--model', 'vgg_mini', '--dataset', 'synthetic', '--out', join(dir, 'never')];
  it('rejects NR options without --nr, naming them', async () => {
    expect(await cli(...base, '--nr-lambda', '0.1')).toMatchObject({ code: 2, err: 'rejuv train: --nr-lambda has no effect without --nr: add --nr to use it, or leave it out\n' });
    expect(await cli(...base, '--nr-target=0.5', '--nr-adaptive')).toMatchObject({ code: 2, err: expect.stringMatching(/--nr-target, --nr-adaptive have no effect without --nr/) });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
  it('rejects unsorted, repeated, fractional and out-of-range milestones', async () => {
    const ms = async (m: string, ...extra: string[]) => (await cli(...base, '--epochs', '10', '--milestones', m, ...extra));
    expect(await ms('5,2')).toMatchObject({ code: 2, err: expect.stringMatching(/--milestones: milestones must increase, got 5 then 2 \(5,2\)/) });
    expect(await ms('3,3')).toMatchObject({ code: 2, err: expect.stringMatching(/must increase, got 3 then 3/) });
    expect(await ms('2.5')).toMatchObject({ code: 2, err: expect.stringMatching(/each milestone must be a whole epoch in 1…9 .*, got 2\.5/) });
    expect(await ms('0,5')).toMatchObject({ code: 2, err: expect.stringMatching(/in 1…9 .*got 0$/m) });
    expect(await ms('5,10')).toMatchObject({ code: 2, err: expect.stringMatching(/in 1…9 .*got 10$/m) });
    expect(await ms('5', '--schedule', 'cosine')).toMatchObject({ code: 2, err: expect.stringMatching(/--milestones apply to --schedule multistep, not cosine/) });
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
  it("filters exactly Dawn's two limit warnings from a command's stderr", async () => {
    const { withoutLimitWarnings } = await import('../src/cli/quiet-dawn.js');
    const w = (k: string) => `Warning: maxDynamic${k}BuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n`;
    expect(withoutLimitWarnings(`${w('Uniform')}${w('Storage')}real problem\nWarning: something else\n`)).toBe('real problem\nWarning: something else\n');
    expect(withoutLimitWarnings(`x ${w('Uniform')}`)).toBe(`x ${w('Uniform')}`);
    const { bundleCli } = await import('./helpers/cli-bundle.js');
    const { spawnSync } = await import('node:child_process');
    const cliJs = await bundleCli('cli-stderr');
    // stderr to a file, as a shell redirection or a terminal would have it (Node's own 'pipe' is a socket, which cannot be reopened).
    const run = (env: Record<string, string>) => {
      const errFile = join(dir, 'stderr.txt');
      const fd = openSync(errFile, 'w');
      const r = spawnSync(process.execPath, [cliJs, 'train', ...TINY, '--train-limit', '32', '--epochs', '1', '--overwrite', '--out', join(dir, 'stderr')], { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', fd] });
      closeSync(fd);
      return { status: r.status, stdout: r.stdout, stderr: readFileSync(errFile, 'utf8') };
    };
    const raw = run({ REJUV_DAWN_WARNINGS: '1' }); // the filter off
    const quiet = run({});
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/artificially reduced/);
    expect(quiet.stderr).toMatch(/^epoch 1\/1 lr 0\.05 /m); // the rest of stderr still arrives
    expect(quiet.stdout).toMatch(/^done: 1 epochs/);
    // Without the filter Dawn prints them here (Vulkan adapters, lavapipe included), so the check above can fail.
    expect(raw.status).toBe(0);
    if (/artificially reduced/.test(raw.stderr)) expect(raw.stderr.match(/artificially reduced/g)).toHaveLength(2);
    else console.warn('cli.test: this adapter prints no Dawn limit warnings; the stderr filter check is vacuous here');
  });
});

describe('run folders never lose work (issue 12 item 1)', () => {
  const bytes = (f: string) => readFileSync(f);
  it('refuses --out on a folder holding a run without --resume or --overwrite, leaving it untouched', async () => {
    const out = join(dir, 'run'); // the 2-epoch run of the tests above
    const before = [bytes(join(out, 'metrics.jsonl')), bytes(join(out, 'checkpoint.safetensors'))];
    const r = await cli('train', ...TINY, '--epochs', '1', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out: .*run already holds a run \(checkpoint\.safetensors, metrics\.jsonl, report\.html\): add --resume to continue it, --overwrite to replace it/);
    expect(bytes(join(out, 'metrics.jsonl')).equals(before[0])).toBe(true);
    expect(bytes(join(out, 'checkpoint.safetensors')).equals(before[1])).toBe(true);
    expect(await cli('train', ...TINY, '--epochs', '1', '--resume', '--overwrite', '--out', out)).toMatchObject({ code: 1, err: expect.stringMatching(/give one of them/) });
    expect((await cli('train', '--help')).out).toMatch(/--overwrite\s+replace the run DIR holds/);
  });
  it('--resume needs a checkpoint: a missing folder or one without a checkpoint is an error, and nothing is created', async () => {
    const missing = join(dir, 'no-such-run');
    const r = await cli('train', ...TINY, '--epochs', '1', '--resume', '--out', missing);
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/--resume: .*no-such-run does not exist, there is no run to continue/) });
    expect(existsSync(missing)).toBe(false);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(await cli('train', ...TINY, '--epochs', '1', '--resume', '--out', empty)).toMatchObject({ code: 1, err: expect.stringMatching(/--resume: .*empty\/checkpoint\.safetensors does not exist; start without --resume/) });
    expect(readdirSync(empty)).toEqual([]);
  });
  it('rejects special and impossible --out paths at once (never a hang), creating nothing', async () => {
    const t0 = Date.now();
    for (const p of ['/proc/rejuv-test/run', '/proc', '/sys/rejuv-test']) {
      const r = await cli('train', ...TINY, '--epochs', '1', '--out', p);
      expect(r.code, p).toBe(1);
      expect(r.err).toMatch(/--out: .* is on (procfs|sysfs), a kernel pseudo-file system/);
    }
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(await cli('train', ...TINY, '--epochs', '1', '--out', join(file, 'sub', 'run'))).toMatchObject({ code: 1, err: expect.stringMatching(/cannot create .*a-file\/sub\/run: .*a-file is not a directory/) });
    expect(await cli('train', ...TINY, '--epochs', '1', '--out', file)).toMatchObject({ code: 1, err: expect.stringMatching(/a-file exists and is not a directory/) });
    expect(existsSync('/proc/rejuv-test')).toBe(false);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
  it('a failed start (dataset missing) leaves no folder behind', async () => {
    const out = join(dir, 'fresh', 'deeper', 'run');
    const r = await cli('train', '--model', 'vgg_mini', '--dataset', 'fashion-mnist', '--data-dir', join(dir, 'no-data'), '--epochs', '1', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no-data/);
    expect(existsSync(join(dir, 'fresh'))).toBe(false);
  });
  it('an unwritable --out is refused before anything runs (checked as an unprivileged user)', async () => {
    const { spawnSync } = await import('node:child_process');
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) {
      console.warn('cli.test: needs root and setpriv to run the CLI as an unprivileged user; skipped');
      return;
    }
    const { bundleCli } = await import('./helpers/cli-bundle.js');
    const cliJs = await bundleCli('cli-stderr');
    // A folder others may enter but not write to, on a path they can walk (the test's own folder is 0700).
    const locked = mkdtempSync(join(tmpdir(), 'rejuv-locked-'));
    chmodSync(locked, 0o755);
    const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliJs, 'train', ...TINY, '--epochs', '1', '--out', join(locked, 'run')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^rejuv train: --out: .*rejuv-locked-\w+\/run: .*rejuv-locked-\w+ is not writable \(EACCES\)\n$/);
    expect(readdirSync(locked)).toEqual([]);
    rmSync(locked, { recursive: true, force: true });
  });
  it('a run that fails in its first epoch removes the folders it created', async () => {
    const out = join(dir, 'diverge-fresh', 'run');
    const r = await cli('train', ...TINY.map((a) => (a === '64' ? '96' : a)), '--epochs', '1', '--milestones', '', '--lr', '1e38', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/non-finite loss .* no checkpoint was written yet/);
    expect(existsSync(join(dir, 'diverge-fresh'))).toBe(false);
  });
  it('--overwrite replaces the run: the old metrics and checkpoint are gone', async () => {
    const out = join(dir, 'run');
    expect(JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')[0])).toHaveProperty('epoch', 1);
    const r = await cli('train', ...TINY, '--epochs', '1', '--overwrite', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/--overwrite: removed the previous run's checkpoint\.safetensors, metrics\.jsonl, report\.html/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1); // was 2 lines
    expect(Checkpoint.read(join(out, 'checkpoint.safetensors')).meta<{ epochsDone: number }>('run').epochsDone).toBe(1);
  });
});

describe('learning-rate schedule', () => {
  const cfg = { lr: 0.1, milestones: [10, 15], gamma: 0.1, schedule: 'multistep' as const, epochs: 20 };
  it('matches MultiStepLR and shifts with the plugin’s added epochs (docs/method.md §10)', () => {
    expect([0, 9, 10, 14, 15, 19].map((e) => lrAt(cfg, e))).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]);
    // 4 monitoring epochs added after epoch 4: the nominal schedule restarts at epoch 4.
    expect([3, 4, 13, 14, 18, 19, 23].map((e) => lrAt(cfg, e, 4))).toEqual([0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]);
    const cos = { ...cfg, schedule: 'cosine' as const };
    expect(lrAt(cos, 0)).toBe(0.1);
    expect(lrAt(cos, 10)).toBeCloseTo(0.05, 12);
  });
});

describe('progress and report pieces', () => {
  it('formats durations without 60-second minutes or 60-minute hours', async () => {
    const { fmtDuration } = await import('../src/train/progress.js');
    expect([0.4, 59.4, 59.6, 75, 299.6, 3599.4, 3599.6, 7620, 7649, NaN].map(fmtDuration)).toEqual(['0s', '59s', '1m00s', '1m15s', '5m00s', '59m59s', '1h00m', '2h07m', '2h07m', '?']);
  });
  it('draws a live bar on a TTY and plain periodic lines otherwise', async () => {
    const { Progress } = await import('../src/train/progress.js');
    const p = { epoch: 1, epochs: 3, done: 5, total: 10, loss: 1.23456, acc: 0.5, imagesPerSec: 100, etaSec: 75 };
    let tty = '';
    const live = new Progress({ isTTY: true, columns: 200, write: (s: string) => (tty += s) });
    live.step(p);
    live.line('summary');
    expect(tty).toMatch(/^\r\x1b\[2K\[#{12}\.{12}\] epoch 1\/3 5\/10 loss 1\.2346 acc 50\.00% 100 img\/s ETA 1m15s/);
    expect(tty.endsWith('\r\x1b[2Ksummary\n')).toBe(true);
    let plain = '';
    const log = new Progress({ isTTY: false, write: (s: string) => (plain += s) }, 60_000);
    log.step(p);
    log.step({ ...p, done: 6 }); // within the interval: suppressed
    expect(plain).toBe('epoch 1/3 5/10 loss 1.2346 acc 50.00% 100 img/s ETA 1m15s\n');
  });
  it('report charts: NR series by layer name, the target line, widths before/after, the surgery marked on every epoch axis', async () => {
    const { reportCharts } = await import('../src/train/report.js');
    const surgery = { epoch: 2, step: 20, utilization: 0.2, target: 0.25, forced: false, lambda: 0.01, layers: ['features.0', 'features.3'], alive: [8, 6], widthsBefore: [16, 32], widths: [20, 40], rate: 1.5, convParamsBefore: 4608, denseParams: 7200, effectiveParams: 5000 };
    const rows = [
      { epoch: 1, lr: 0.1, trainLoss: 2, trainAcc: 0.1, testLoss: 2, testAcc: 0.1, utilization: 1, lambda: 0.01, target: 0.25, alivePerLayer: [16, 32], phase: 'monitor', convParams: 4608, effectiveParams: 4608, params: 17928, myExtra: 3 },
      { epoch: 2, lr: 0.1, trainLoss: 1, trainAcc: 0.5, testLoss: 1.5, testAcc: 0.4, utilization: 0.2, lambda: 0.01, target: 0.25, alivePerLayer: [8, 6], phase: 'monitor', surgery, convParams: 7200, effectiveParams: 5000, params: 25000 },
      { epoch: 3, lr: 0.01, trainLoss: 0.9, trainAcc: 0.6, testLoss: 1.2, testAcc: 0.5, trainObjective: 1.9, trainLossS: 1, trainLossR: 0.9, utilization: 0.9, lambda: 0, target: 0.25, alivePerLayer: [18, 40], phase: 'rejuvenated', convParams: 7200, effectiveParams: 5000, params: 25000 },
    ];
    const charts = reportCharts(rows);
    expect(charts.map((c) => c.id)).toEqual(['accuracy', 'loss', 'lr', 'utilization', 'alive', 'widths', 'params', 'myExtra']);
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    for (const c of charts.filter((c) => c.id !== 'widths')) expect(c.markers, c.id).toEqual([{ x: 2, label: 'surgery: u 0.200' }]);
    expect(byId.accuracy.series[1].values).toEqual([10, 40, 50]);
    expect(byId.loss.series.map((s) => s.label)).toEqual(['train', 'test', 'train objective CE_S + CE_R']);
    expect(byId.utilization.hlines).toEqual([{ value: 0.25, label: 'target T = 0.25' }]);
    expect(byId.utilization.series[1]).toMatchObject({ label: 'λ', axis: 1, values: [0.01, 0.01, 0] });
    expect(byId.alive.series.map((s) => [s.label, s.values])).toEqual([['features.0', [16, 8, 18]], ['features.3', [32, 6, 40]]]);
    expect(byId.alive.series[0].dash).not.toEqual(byId.alive.series[1].dash); // equal widths must not hide each other
    expect(byId.widths).toMatchObject({ categories: ['features.0', 'features.3'], series: [{ values: [16, 32] }, { values: [20, 40] }] });
    expect(byId.params.series.map((s) => s.values)).toEqual([[17928, 25000, 25000], [4608, 7200, 7200], [4608, 5000, 5000]]);
  });
  it('tick labels: plain numbers at any magnitude, neighbours distinct', async () => {
    const { chartKit } = await import('../src/train/charts.js');
    const { ticks } = chartKit();
    expect(ticks([0, 5000, 10000, 15000, 20000], 5000)).toEqual(['0', '5000', '10000', '15000', '20000']);
    expect(ticks([0.1, 0.15, 0.2], 0.05)).toEqual(['0.10', '0.15', '0.20']);
    expect(ticks([5, 7.5, 10], 2.5)).toEqual(['5.0', '7.5', '10.0']);
    expect(ticks([0, 1e-4, 2e-4], 1e-4)).toEqual(['0', '1e-4', '2e-4']);
    expect(ticks([1e6, 1.5e6, 2e6], 5e5)).toEqual(['1.0e+6', '1.5e+6', '2.0e+6']);
    for (const labels of [ticks([17000, 17500, 18000], 500), ticks([0.0005, 0.001, 0.0015], 0.0005)]) {
      expect(new Set(labels).size).toBe(labels.length);
      for (const l of labels) expect(Number.isFinite(Number(l))).toBe(true);
    }
  });
});

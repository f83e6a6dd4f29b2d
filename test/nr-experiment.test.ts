/**
 * scripts/nr-experiment.mjs --real-data (issue 13 item 1): the plan it runs is the recipe
 * (checked through --dry-run, which starts nothing), and the milestones it passes mean "×0.1 at the start
 * of epochs 9 and 13" in the trainer's 0-based convention, shifted by NR's monitoring epochs.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lrAt } from '../src/train/config.js';

describe('nr-experiment.mjs --real-data', () => {
  it('--dry-run plans the recipe: tuning, 3 seeds per dataset, adaptive run, PyTorch twin', () => {
    // --cli only has to exist in a dry run; a --python that cannot import torch turns the twin off.
    const r = spawnSync('node', ['scripts/nr-experiment.mjs', '--real-data', '--dry-run', '--cli', 'package.json', '--out', '/tmp/rejuv-nr-dry', '--python', '/nonexistent/python3'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const log = r.stderr;
    const lines = log.split('\n').filter((l) => l.includes('would run:'));
    const recipe = '--model vgg_mini --batch-size 64 --lr 0.05 --momentum 0.9 --weight-decay 1e-4 --backend webgpu --train-subset 10000 --subset-seed 0 --epochs 15 --milestones 8,12';
    for (const ds of ['mnist', 'fashion-mnist']) {
      const mine = lines.filter((l) => l.includes(`--dataset ${ds} `));
      // Tuning starts with the largest λ of the grid, seed 0, stopped early by the tuning rule.
      expect(mine[0]).toContain(`train --dataset ${ds} ${recipe} --nr --nr-lambda 0.02 --nr-target 0.25 --seed 0 --out /tmp/rejuv-nr-dry/${ds}/nr-lambda0.02-seed0`);
      expect(mine[0]).toContain('stopped early by the tuning rule');
      for (const seed of [0, 1, 2]) {
        expect(mine.some((l) => l.includes(`${recipe} --seed ${seed} --out /tmp/rejuv-nr-dry/${ds}/baseline-seed${seed}`))).toBe(true);
        expect(mine.some((l) => l.includes('--nr --nr-lambda <λ from tuning> --nr-target 0.25') && l.includes(`--seed ${seed} `))).toBe(true);
      }
      expect(mine.some((l) => l.includes('--nr --nr-adaptive --nr-lambda0 0 --nr-lambda-step <λ/5> --nr-target 0.25 --seed 0'))).toBe(true);
    }
    expect(log).toMatch(/no PyTorch twin: \/nonexistent\/python3 cannot import torch/);
    expect(log).toMatch(/mnist: then baseline-effective \(seed 0, --widths from NR's effective total\) and baseline-long/);
  });
  it('--milestones 8,12 is ×0.1 at the start of epochs 9 and 13 (1-based), after NR monitoring too', () => {
    const cfg = { lr: 0.05, milestones: [8, 12], gamma: 0.1, schedule: 'multistep' as const, epochs: 15 };
    // Epoch e here is the 0-based index; metrics.jsonl's epoch is e + 1.
    expect([7, 8, 11, 12, 14].map((e) => Number(lrAt(cfg, e).toPrecision(6)))).toEqual([0.05, 0.005, 0.005, 0.0005, 0.0005]);
    // 5 monitoring epochs: the whole monitoring phase at 0.05, then the nominal schedule from its start.
    expect([0, 4, 5, 12, 13, 17, 19].map((e) => Number(lrAt(cfg, e, 5).toPrecision(6)))).toEqual([0.05, 0.05, 0.05, 0.05, 0.005, 0.0005, 0.0005]);
  });
});

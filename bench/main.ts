/**
 * `npm run bench [-- SUITE...] [--quick] [--no-peers]`: runs benchmark suites, prints each one's table
 * and writes bench/results/<suite>.json (adapter info, date, Node version, every figure).
 *
 * A suite is a module in bench/ exporting `run(ctx: BenchContext): Promise<Figure[]>`. Adding one is
 * one line in SUITES below. WebGPU is set up before any suite runs, with dawn.node's GPU published as
 * `navigator.gpu` so the tfjs-webgpu peer measures the same adapter as rejuv.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as rj from '../src/index.js';
import { setupNodeGpu } from './peers.js';
import { printTable, type Figure } from './util.js';

export interface BenchContext {
  /** Fewer sizes / timed runs (smoke runs). */
  quick: boolean;
  /** Skip the tfjs peers. */
  noPeers: boolean;
}

type Suite = { name: string; load: () => Promise<{ run(ctx: BenchContext): Promise<Figure[]> }> };

const SUITES: Suite[] = [
  { name: 'matmul', load: () => import('./matmul.js') },
  { name: 'nr', load: () => import('./nr.js') },
  { name: 'bn', load: () => import('./bn.js') },
  { name: 'vgg-step', load: () => import('./vgg-step.js') },
  { name: 'train-step', load: () => import('./train-step.js') },
  { name: 'conv', load: () => import('./conv.js') },
  { name: 'split', load: () => import('./split.js') },
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ctx: BenchContext = { quick: args.includes('--quick'), noPeers: args.includes('--no-peers') };
  const wanted = args.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) throw new Error(`bench: unknown suite(s) ${unknown.join(', ')}; available: ${SUITES.map((s) => s.name).join(', ')}`);
  const suites = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;

  await setupNodeGpu();
  await rj.init();
  const adapter = rj.deviceInfo();
  console.log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description} (software: ${adapter.isSoftware}); node ${process.version}`);
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  for (const s of suites) {
    const t0 = performance.now();
    const figures = await (await s.load()).run(ctx);
    printTable(`${s.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`, figures);
    const file = join(dir, `${s.name}.json`);
    const record = { suite: s.name, date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, adapter, quick: ctx.quick, figures };
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
    console.log(`  → ${join('bench', 'results', `${s.name}.json`)}`);
  }
  rj.close();
}

main().then(
  () => process.exit(0), // tfjs-webgpu keeps its own device alive; exit explicitly once results are written
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);

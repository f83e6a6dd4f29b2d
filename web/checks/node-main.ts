/**
 * The op checks of checks.html, in Node: every case of cases-basic.ts and cases-cnn.ts run on dawn.node's
 * WebGPU adapter against the reference backend (the same runner and cases as the browser page).
 * `node checks.js [--json FILE] [--only SUBSTRING]` prints one line per case and the counts, writes the
 * report as JSON when asked, and exits 1 when a case fails or the adapter cannot start.
 * Bundled by scripts/gpu-pack.sh (esbuild; `webgpu` stays external).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CPUBackend } from '../../src/kernels/cpu/index.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/index.js';
import '../../src/index.js';
import { basicCases } from './cases-basic.js';
import { cnnCases } from './cases-cnn.js';
import type { ChecksReport } from './main.js';
import { runCase, type AnyCase } from './runner.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const jsonPath = arg('--json');
  const only = arg('--only');
  const cases: AnyCase[] = [...basicCases, ...cnnCases].filter((c) => !only || c.name.includes(only));
  const report: ChecksReport = { done: false, adapter: null, results: [], error: null, seconds: 0 };
  const t0 = performance.now();
  const save = () => {
    if (!jsonPath) return;
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify({ ...report, node: process.version, date: new Date().toISOString() }, null, 2) + '\n');
  };
  try {
    const gpu = await WebGPUBackend.create();
    const ref = new CPUBackend();
    report.adapter = gpu.info();
    const a = report.adapter;
    console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}`.trim() + (a.isSoftware ? ' (software)' : '') + `; ${cases.length} cases`);
    for (const c of cases) {
      const t = performance.now();
      const r = await runCase(c, gpu, ref);
      report.results.push(r);
      const ms = (performance.now() - t).toFixed(0).padStart(6);
      console.log(`${r.ok ? 'pass' : 'FAIL'} ${ms} ms  ${r.name} (runs ${r.runs}, gradients ${r.gradients}, worst ${r.worst.toFixed(3)})${r.ok ? '' : `\n      ${r.message}`}`);
    }
    gpu.destroy();
  } catch (e) {
    report.error = e instanceof Error ? e.stack ?? e.message : String(e);
    console.error(`checks: ${report.error}`);
  }
  report.done = true;
  report.seconds = (performance.now() - t0) / 1000;
  const failed = report.results.filter((r) => !r.ok).length;
  console.log(`checks: ${report.results.length - failed} passed, ${failed} failed of ${cases.length} in ${report.seconds.toFixed(1)} s`);
  save();
  return failed || report.error || report.results.length !== cases.length ? 1 : 0;
}

// dawn.node's instance keeps the event loop alive: exit explicitly.
main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});

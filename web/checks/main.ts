/**
 * checks.html: runs every op check on this browser's WebGPU adapter against the reference backend and
 * shows a table. The browser test reads `window.__checks` (results, adapter, done, error).
 */
import { CPUBackend } from '../../src/kernels/cpu/index.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/index.js';
import type { DeviceInfo } from '../../src/core/backend.js';
import '../../src/index.js';
import { basicCases } from './cases-basic.js';
import { cnnCases } from './cases-cnn.js';
import { runCase, type AnyCase, type CaseResult } from './runner.js';

export interface ChecksReport {
  done: boolean;
  adapter: DeviceInfo | null;
  results: CaseResult[];
  error: string | null;
  seconds: number;
}

const report: ChecksReport = { done: false, adapter: null, results: [], error: null, seconds: 0 };
(globalThis as { __checks?: ChecksReport }).__checks = report;

const cases: AnyCase[] = [...basicCases, ...cnnCases];

const $ = (id: string) => document.getElementById(id)!;

function row(r: CaseResult): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.className = r.ok ? 'ok' : 'bad';
  for (const v of [r.ok ? 'pass' : 'FAIL', r.name, String(r.runs), String(r.gradients), r.worst.toFixed(3), r.message]) {
    const td = document.createElement('td');
    td.textContent = v;
    tr.append(td);
  }
  return tr;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const gpu = await WebGPUBackend.create();
  const ref = new CPUBackend();
  report.adapter = gpu.info();
  $('adapter').textContent = `${report.adapter.vendor} ${report.adapter.architecture} ${report.adapter.description}`.trim() + (report.adapter.isSoftware ? ' (software)' : '');
  for (const [i, c] of cases.entries()) {
    $('progress').textContent = `${i + 1} / ${cases.length}: ${c.name}`;
    const r = await runCase(c, gpu, ref);
    report.results.push(r);
    $('rows').append(row(r));
  }
  gpu.destroy();
  const failed = report.results.filter((r) => !r.ok).length;
  report.seconds = (performance.now() - t0) / 1000;
  $('progress').textContent = `${cases.length - failed} passed, ${failed} failed in ${report.seconds.toFixed(1)} s`;
}

main()
  .catch((e: unknown) => {
    report.error = e instanceof Error ? e.message : String(e);
    $('progress').textContent = `error: ${report.error}`;
  })
  .finally(() => {
    report.done = true;
  });

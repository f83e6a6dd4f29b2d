/**
 * The op suite inside a real browser: checks.html runs every case of web/checks on Chromium's WebGPU
 * adapter (SwiftShader here) against the reference backend in the same page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, startSite, watchErrors, type Browser, type Site } from './helpers/browser.js';
import type { ChecksReport } from '../web/checks/main.js';

let browser: Browser;
let site: Site;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

it('runs the op checks on the browser WebGPU adapter and agrees with the reference backend', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${site.url}checks.html`);
  await page.waitForFunction(() => (globalThis as { __checks?: ChecksReport }).__checks?.done === true, undefined, { timeout: 240_000, polling: 500 });
  const report = (await page.evaluate(() => (globalThis as { __checks?: ChecksReport }).__checks)) as ChecksReport;
  expect(report.error, 'checks page error').toBeNull();
  console.log(`browser adapter: ${JSON.stringify(report.adapter && { vendor: report.adapter.vendor, architecture: report.adapter.architecture, description: report.adapter.description })}; ${report.results.length} cases in ${report.seconds.toFixed(1)} s`);
  expect(report.adapter?.backend).toBe('webgpu');
  // Chromium's SwiftShader must be recognized as a CPU adapter (kernels then avoid workgroup barriers).
  if (report.adapter?.architecture === 'swiftshader') expect(report.adapter.isSoftware).toBe(true);
  const failed = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.message}`);
  expect(failed, 'failed op checks').toEqual([]);
  expect(report.results.length).toBeGreaterThanOrEqual(40);
  expect(report.results.reduce((n, r) => n + r.gradients, 0)).toBeGreaterThan(50);
  expect(errors).toEqual([]);
}, 300_000);

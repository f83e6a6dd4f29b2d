/**
 * The training page in Chromium: a short run started through the UI on the browser's WebGPU adapter
 * (the loss must drop and the charts draw, with no console errors; a screenshot is saved under
 * test/artifacts/), and the no-WebGPU path: the page says so and trains on the reference backend.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, root, startSite, watchErrors, type Browser, type Site } from './helpers/browser.js';

interface PageState {
  state: string;
  backend: string | null;
  adapter: { backend: string; description: string; vendor: string; architecture: string } | null;
  losses: number[];
  testAcc: number[];
  events: string[];
  draws: number;
  error: string | null;
  liveTensors: number;
}

let browser: Browser;
let site: Site;
const artifacts = join(root, 'test/artifacts');

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const state = (page: Page) => page.evaluate(() => (globalThis as unknown as { __rejuv: PageState }).__rejuv);

/** Mean of the first and the last `k` losses. */
function ends(losses: number[], k: number): [number, number] {
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return [mean(losses.slice(0, k)), mean(losses.slice(-k))];
}

async function waitFor(page: Page, what: string, cond: (s: PageState) => boolean, timeoutMs: number): Promise<PageState> {
  const t0 = Date.now();
  for (;;) {
    const s = await state(page);
    if (s.error) throw new Error(`page error while waiting for ${what}: ${s.error}`);
    if (cond(s)) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page state ${JSON.stringify({ ...s, losses: s.losses.slice(-5), n: s.losses.length })}`);
    await page.waitForTimeout(500);
  }
}

it('trains through the UI on WebGPU: the loss drops, the charts draw, no console errors', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(site.url);
  const ready = await waitFor(page, 'the adapter', (s) => s.state === 'ready' || s.state === 'no-webgpu', 60_000);
  expect(ready.state, 'Chromium was started with --enable-unsafe-webgpu: the page should have found an adapter').toBe('ready');
  expect(ready.adapter?.backend).toBe('webgpu');
  await expect.poll(() => page.textContent('#adapter')).toMatch(/^WebGPU: /);
  // Small settings so that SwiftShader gets through enough steps quickly.
  await page.selectOption('#width', '0.25');
  await page.selectOption('#batch', '16');
  await page.selectOption('#train-count', '512');
  await page.click('#start');
  const k = 5;
  const s = await waitFor(page, 'the loss to drop', (st) => st.losses.length >= 2 * k + 10 && ends(st.losses, k)[1] < 0.8 * ends(st.losses, k)[0], 170_000);
  const [first, last] = ends(s.losses, k);
  console.log(`training page: ${s.losses.length} steps on ${JSON.stringify(s.adapter?.vendor)} ${s.adapter?.architecture}; mean loss of the first ${k} ${first.toFixed(3)}, of the last ${k} ${last.toFixed(3)}`);
  await waitFor(page, 'the charts to draw', (st) => st.draws >= 2, 10_000);
  // The UI still answers while training: Pause takes effect.
  await page.click('#pause');
  await waitFor(page, 'the pause', (st) => st.state === 'paused', 30_000);
  await page.waitForTimeout(600);
  // Drawn, not just called: the heatmap and the loss chart's canvas hold non-background pixels.
  const inked = await page.evaluate(() => {
    const ink = (c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) n++;
      return n;
    };
    return { heat: ink(document.getElementById('c-heat') as HTMLCanvasElement), loss: ink(document.querySelector('#c-loss canvas') as HTMLCanvasElement), alive: ink(document.querySelector('#c-alive canvas') as HTMLCanvasElement) };
  });
  expect(inked.heat).toBeGreaterThan(1000);
  expect(inked.loss).toBeGreaterThan(200);
  expect(inked.alive).toBeGreaterThan(200);
  await page.screenshot({ path: join(artifacts, 'training-page.png'), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
}, 240_000);

it('runs Neural Rejuvenation from the UI: neurons die under λ, then the network is rejuvenated', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(site.url);
  await waitFor(page, 'the adapter', (s) => s.state === 'ready', 60_000);
  await page.selectOption('#width', '0.25');
  await page.selectOption('#batch', '16');
  await page.selectOption('#train-count', '512');
  await page.check('#nr');
  // A strong λ and a modest target, so that the surgery comes within a few short epochs.
  await page.fill('#nr-target', '0.85');
  await page.fill('#nr-lambda', '0.01');
  const idle = (await state(page)).liveTensors;
  await page.click('#start');
  const s = await waitFor(page, 'a rejuvenation', (st) => st.events.length > 0, 200_000);
  console.log(`training page, NR: ${s.events[0]} after ${s.losses.length} steps`);
  expect(s.events[0]).toMatch(/^rejuvenated: widths /);
  await waitFor(page, 'steps after the surgery', (st) => st.losses.length >= s.losses.length + 3, 60_000);
  await page.click('#pause');
  await waitFor(page, 'the pause', (st) => st.state === 'paused', 30_000);
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(artifacts, 'training-page-nr.png'), fullPage: true });
  // The shared chart module (src/train/charts.ts, as in report.html): the surgery marked on every chart,
  // the target line drawn, y tick labels numbers that fit their axis.
  const charts = await page.evaluate(() => {
    const reg = (globalThis as unknown as { __rejuvCharts: Record<string, any> }).__rejuvCharts; // eslint-disable-line @typescript-eslint/no-explicit-any
    const measure = document.createElement('canvas').getContext('2d')!;
    return ['page-loss', 'page-util', 'page-alive'].map((id) => {
      const u = reg[id];
      const y = u.axes.filter((a: any) => a.side === 1 || a.side === 3).map((a: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        measure.font = a.font[0];
        const labels: string[] = (a._values ?? []).filter((l: string) => l !== '');
        return { labels, fits: labels.every((l) => measure.measureText(l).width / devicePixelRatio + a.ticks.size + a.gap <= a._size + 0.5) };
      });
      return { id, markersDrawn: u.markersDrawn, hlines: u.spec.spec.hlines?.length ?? 0, y };
    });
  });
  for (const c of charts) {
    expect(c.markersDrawn, `${c.id}: surgery marker`).toBe(1);
    for (const a of c.y) {
      expect(a.labels.length).toBeGreaterThan(0);
      expect(a.labels.every((l: string) => Number.isFinite(Number(l))), `${c.id}: ${a.labels.join(' ')}`).toBe(true);
      expect(a.fits, `${c.id}: ${a.labels.join(' ')} fit`).toBe(true);
    }
  }
  expect(charts.find((c) => c.id === 'page-util')!.hlines).toBe(1);
  // Reset frees the run: model (rejuvenated), optimizer state, NR's and the monitor's device tensors.
  await page.click('#reset');
  const after = await waitFor(page, 'the reset', (st) => st.state === 'ready', 30_000);
  expect(after.liveTensors).toBe(idle);
  expect(errors).toEqual([]);
  await page.close();
}, 300_000);

it('a browser whose WebGPU gives no adapter gets one plain sentence, not the engine’s Node advice', async () => {
  const page = await browser.context.newPage();
  await page.addInitScript(() => {
    Object.defineProperty(GPU.prototype, 'requestAdapter', { value: async () => null, configurable: true });
  });
  await page.goto(site.url);
  await waitFor(page, 'the no-WebGPU notice', (s) => s.state === 'no-webgpu', 30_000);
  const text = (await page.textContent('#nogpu-why'))!;
  expect(text).toBe('The browser offers WebGPU but gave no adapter: it may be switched off or blocked for this GPU (Chromium: see chrome://gpu; a software adapter needs --enable-unsafe-webgpu).');
  expect(await page.textContent('#nogpu')).not.toMatch(/init:|In Node|setup\.sh/);
  await page.close();
}, 60_000);

it('without WebGPU says so plainly and trains a tiny model on the reference backend', async () => {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  // A browser without WebGPU: navigator.gpu is absent.
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto(site.url);
  await waitFor(page, 'the no-WebGPU notice', (s) => s.state === 'no-webgpu', 30_000);
  expect(await page.isVisible('#nogpu')).toBe(true);
  expect(await page.textContent('#nogpu')).toMatch(/No WebGPU here\..*does not offer WebGPU/s);
  expect(await page.isDisabled('#start')).toBe(true);
  await page.click('#use-cpu');
  await waitFor(page, 'the reference backend', (s) => s.state === 'ready' && s.backend === 'cpu', 10_000);
  expect(await page.textContent('#adapter')).toMatch(/reference backend/);
  await page.click('#start');
  const s = await waitFor(page, 'a few steps', (st) => st.losses.length >= 3, 90_000);
  expect(s.losses.every(Number.isFinite)).toBe(true);
  await page.click('#pause');
  await waitFor(page, 'the pause', (st) => st.state === 'paused', 60_000);
  await page.screenshot({ path: join(artifacts, 'training-page-reference-backend.png'), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
}, 200_000);

/**
 * The training page's controller: finds the adapter, builds a Session from the form, runs steps in a
 * loop that yields to the page after each one (the tab stays responsive), and feeds the charts.
 * `window.__rejuv` exposes the run's state to the browser test.
 */
import * as rj from '../src/index.js';
import { Charts, RunHistory } from './charts.js';
import { loadMnist } from './data.js';
import { nrPluginFactory } from './nr.js';
import { Session, type SessionOptions } from './session.js';

type State = 'loading' | 'ready' | 'running' | 'paused' | 'error' | 'no-webgpu';

interface PageState {
  state: State;
  backend: 'webgpu' | 'cpu' | null;
  adapter: rj.DeviceInfo | null;
  losses: number[];
  testAcc: number[];
  /** Neural Rejuvenation events (surgery), as shown on the charts. */
  events: string[];
  draws: number;
  error: string | null;
  /** Live tensors now (rj.memory()): back to the idle count after Reset, or something leaked. */
  liveTensors: number;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const page: PageState = { state: 'loading', backend: null, adapter: null, losses: [], testAcc: [], events: [], draws: 0, error: null, liveTensors: 0 };
(globalThis as { __rejuv?: PageState }).__rejuv = page;

let history = new RunHistory();
const charts = new Charts({ loss: $('c-loss'), util: $('c-util'), alive: $('c-alive'), heat: $<HTMLCanvasElement>('c-heat') }, history);
let session: Session | null = null;
let loop: Promise<void> | null = null;
let stopRequested = false;

const inputs = ['width', 'batch', 'lr', 'train-count', 'nr', 'nr-target', 'nr-lambda'].map((id) => $<HTMLInputElement>(id));

function setState(s: State): void {
  page.state = s;
  if (page.backend) page.liveTensors = rj.memory().liveTensors;
  $('s-state').textContent = s;
  $<HTMLButtonElement>('start').disabled = !(s === 'ready' || s === 'paused');
  $<HTMLButtonElement>('pause').disabled = s !== 'running';
  $<HTMLButtonElement>('reset').disabled = !(s === 'running' || s === 'paused' || s === 'error');
  // Settings apply to a new run: locked while one exists.
  for (const el of inputs) el.disabled = session !== null || s === 'loading' || s === 'no-webgpu';
}

function showError(e: unknown): void {
  const msg = e instanceof Error ? `${e.message}${e.stack ? `\n\n${e.stack}` : ''}` : String(e);
  page.error = e instanceof Error ? e.message : String(e);
  $('error').textContent = msg;
  $('error').hidden = false;
  console.error(e);
  setState('error');
}

function readOptions(): SessionOptions {
  const num = (id: string) => {
    const v = Number($<HTMLInputElement>(id).value);
    if (!Number.isFinite(v)) throw new Error(`settings: '${id}' must be a number, got '${$<HTMLInputElement>(id).value}'`);
    return v;
  };
  const cpu = page.backend === 'cpu';
  return {
    model: 'vgg_mini',
    width: num('width'),
    batchSize: num('batch'),
    lr: num('lr'),
    trainCount: num('train-count'),
    // The test subset is evaluated at every epoch end: smaller on the slow reference backend.
    testCount: cpu ? 256 : 1024,
    seed: 0,
    nr: { enabled: $<HTMLInputElement>('nr').checked, target: num('nr-target'), lambda: num('nr-lambda') },
  };
}

let drawPending = false;
let lastDraw = 0;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  // At most ~4 redraws a second: drawing is for people, training should get the time.
  const wait = Math.max(0, 250 - (performance.now() - lastDraw));
  setTimeout(() => requestAnimationFrame(() => {
    drawPending = false;
    lastDraw = performance.now();
    charts.draw();
    page.draws = charts.draws;
  }), wait);
}

function updateStatus(): void {
  if (!session) return;
  const last = history.steps.length - 1;
  $('s-epoch').textContent = `${session.epoch + 1} (${session.stepsPerEpoch} steps each)`;
  $('s-step').textContent = String(session.steps);
  $('s-loss').textContent = last >= 0 ? history.lossAvg[last].toFixed(4) : '–';
  const e = history.epochs[history.epochs.length - 1];
  $('s-test').textContent = e ? `${(100 * e.testAcc).toFixed(2)} % (epoch ${e.epoch})` : '–';
  $('s-params').textContent = session.model.numParameters().toLocaleString('en');
  $('s-ips').textContent = lastIps ? lastIps.toFixed(0) : '–';
}
let lastIps = 0;

const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function run(): Promise<void> {
  stopRequested = false;
  setState('running');
  try {
    if (!session) {
      const opts = readOptions();
      history.target = opts.nr.enabled ? opts.nr.target : null;
      const data = await loadMnist(opts.trainCount, opts.testCount);
      session = new Session(opts, data, nrPluginFactory);
      setState('running');
    }
    while (!stopRequested) {
      const { step, epoch } = await session.step();
      history.addStep(step);
      page.losses.push(step.loss);
      lastIps = step.imagesPerSec;
      if (epoch) {
        history.addEpoch(epoch);
        page.testAcc.push(epoch.testAcc);
        if (epoch.event) page.events.push(epoch.event);
      }
      updateStatus();
      scheduleDraw();
      await yieldToPage();
    }
    setState('paused');
  } catch (e) {
    showError(e);
  }
}

$('start').addEventListener('click', () => {
  loop = run();
});
$('pause').addEventListener('click', () => {
  stopRequested = true;
});
$('reset').addEventListener('click', async () => {
  stopRequested = true;
  await loop;
  session?.dispose();
  session = null;
  history = new RunHistory();
  page.losses = [];
  page.testAcc = [];
  page.events = [];
  page.error = null;
  $('error').hidden = true;
  charts.reset(history);
  for (const id of ['s-epoch', 's-step', 's-loss', 's-test', 's-params', 's-ips']) $(id).textContent = '–';
  setState('ready');
});

function showAdapter(info: rj.DeviceInfo): void {
  page.adapter = info;
  page.backend = info.backend;
  const el = $('adapter');
  el.classList.toggle('cpu', info.backend === 'cpu');
  el.textContent = info.backend === 'cpu'
    ? 'reference backend (plain TypeScript on the CPU)'
    : `WebGPU: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' · ')}${info.isSoftware ? ' (software adapter)' : ''}`;
}

async function useReferenceBackend(): Promise<void> {
  showAdapter(await rj.init({ backend: 'cpu' }));
  // A run the reference backend finishes in reasonable time.
  $<HTMLSelectElement>('width').value = '0.25';
  $<HTMLSelectElement>('batch').value = '16';
  $<HTMLSelectElement>('train-count').value = '512';
  $('nogpu').hidden = true;
  setState('ready');
}

/** Why WebGPU is unavailable, for a person using this page (the engine's error speaks to Node users too). */
export function noWebGpuReason(e: unknown): string {
  if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return 'This browser does not offer WebGPU (navigator.gpu is missing).';
  const msg = e instanceof Error ? e.message : String(e);
  if (/no WebGPU adapter was found/.test(msg)) {
    return 'The browser offers WebGPU but gave no adapter: it may be switched off or blocked for this GPU (Chromium: see chrome://gpu; a software adapter needs --enable-unsafe-webgpu).';
  }
  return `The browser offers WebGPU but starting it failed: ${msg.replace(/^(init: )+/, '').split('\n')[0]}`;
}

async function boot(): Promise<void> {
  window.addEventListener('resize', () => charts.resize());
  $('use-cpu').addEventListener('click', () => {
    useReferenceBackend().catch(showError);
  });
  charts.draw();
  setState('loading');
  try {
    showAdapter(await rj.init());
    setState('ready');
  } catch (e) {
    $('nogpu-why').textContent = noWebGpuReason(e);
    $('nogpu').hidden = false;
    $('adapter').textContent = 'no WebGPU adapter';
    setState('no-webgpu');
  }
}

boot().catch(showError);

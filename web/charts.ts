/**
 * The page's live charts: three uPlot line charts (loss and accuracy; utilization with its target and
 * λ; alive neurons per layer), drawn by the chart module report.html uses too (src/train/charts.ts),
 * the surgery marked on each, and a hand-drawn canvas heatmap of |γ| per channel over time (uPlot has no
 * heatmap), where dying channels fade to black and rejuvenated ones appear as new rows.
 */
import uPlot from 'uplot';
import { chartKit, type ChartSpec } from '../src/train/charts.js';
import type { EpochReport, StepReport } from './session.js';

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function sized(el: HTMLElement): { width: number; height: number } {
  return { width: Math.max(240, el.clientWidth - 8), height: 200 };
}

/** Every series of a run, step-aligned (uPlot's data layout: x first, then one array per series). */
export class RunHistory {
  steps: number[] = [];
  loss: number[] = [];
  lossAvg: number[] = [];
  acc: number[] = [];
  testAcc: (number | null)[] = [];
  util: number[] = [];
  lambda: number[] = [];
  alive: number[][] = [];
  layerNames: string[] = [];
  /** |γ| columns: per step, per layer. */
  gammas: Float32Array[][] = [];
  events: { step: number; text: string }[] = [];
  epochs: EpochReport[] = [];
  /** NR's utilization target (drawn as a line), null without NR. */
  constructor(public target: number | null = null) {}

  addStep(r: StepReport): void {
    const n = r.neurons;
    this.layerNames = n.names;
    this.steps.push(r.step);
    this.loss.push(r.loss);
    // An exponential average keeps the curve readable at batch-to-batch noise.
    const prev = this.lossAvg.length ? this.lossAvg[this.lossAvg.length - 1] : r.loss;
    this.lossAvg.push(0.9 * prev + 0.1 * r.loss);
    const pa = this.acc.length ? this.acc[this.acc.length - 1] : r.acc;
    this.acc.push(0.9 * pa + 0.1 * r.acc);
    this.testAcc.push(null);
    this.util.push(n.utilization);
    this.lambda.push(r.lambda);
    n.alive.forEach((a, l) => (this.alive[l] ??= []).push(a));
    this.gammas.push(n.gammas);
  }

  addEpoch(e: EpochReport): void {
    this.epochs.push(e);
    this.testAcc[this.testAcc.length - 1] = e.testAcc;
    if (e.event) this.events.push({ step: e.step, text: e.event });
  }
}

const kit = chartKit();

/** The page's charts as data (src/train/charts.ts draws them, as it draws report.html's). */
export function pageCharts(h: RunHistory): { loss: ChartSpec; util: ChartSpec; alive: ChartSpec } {
  const markers = h.events.map((e) => ({ x: e.step, label: e.text.startsWith('rejuvenated') ? 'surgery' : e.text }));
  const base = { x: h.steps, xLabel: 'step', markers };
  return {
    loss: {
      ...base, id: 'page-loss', title: '', yLabel: 'loss', y2Label: 'accuracy', y2Range: [0, 1],
      series: [
        { label: 'loss', values: h.loss, color: '#bbb', width: 1, points: false },
        { label: 'loss (avg)', values: h.lossAvg, color: PALETTE[0], points: false },
        { label: 'train acc (avg)', values: h.acc, color: PALETTE[1], axis: 1, points: false },
        { label: 'test acc', values: h.testAcc, color: PALETTE[2], axis: 1, points: true },
      ],
    },
    util: {
      ...base, id: 'page-util', title: '', yLabel: 'utilization', yRange: [0, 1.05], y2Label: 'λ',
      series: [{ label: 'utilization', values: h.util, color: PALETTE[4], points: false }, { label: 'λ', values: h.lambda, color: PALETTE[6], axis: 1, points: false }],
      hlines: h.target === null ? [] : [{ value: h.target, label: `target T = ${h.target}` }],
    },
    alive: {
      ...base, id: 'page-alive', title: '', yLabel: 'alive neurons',
      series: h.layerNames.map((name, i) => ({ label: name.replace('features.', 'conv '), values: h.alive[i] ?? [], color: PALETTE[i % PALETTE.length], points: false, ...kit.overlapStyle(i) })),
    },
  };
}

export class Charts {
  private loss: uPlot | null = null;
  private util: uPlot | null = null;
  private alive: uPlot | null = null;
  private aliveLayers = -1;
  private readonly heat: HTMLCanvasElement;
  /** How many times the charts have been redrawn with data (the browser test waits on it). */
  draws = 0;

  constructor(private readonly el: { loss: HTMLElement; util: HTMLElement; alive: HTMLElement; heat: HTMLCanvasElement }, private history: RunHistory) {
    this.heat = el.heat;
    this.mountFixed();
  }

  private mountFixed(): void {
    const specs = pageCharts(this.history);
    this.loss?.destroy();
    this.util?.destroy();
    this.el.loss.replaceChildren();
    this.el.util.replaceChildren();
    this.loss = kit.mount(uPlot, this.el.loss, specs.loss, sized(this.el.loss));
    this.util = kit.mount(uPlot, this.el.util, specs.util, sized(this.el.util));
  }

  /** A new run (reset): fresh history, charts emptied. */
  reset(history: RunHistory): void {
    this.history = history;
    this.alive?.destroy();
    this.alive = null;
    this.aliveLayers = -1;
    this.el.alive.replaceChildren();
    this.mountFixed(); // the target line may have changed
    this.draw();
  }

  private ensureAliveChart(spec: ChartSpec): uPlot {
    const n = this.history.alive.length;
    if (this.alive && this.aliveLayers === n) return this.alive;
    this.alive?.destroy();
    this.el.alive.replaceChildren();
    this.aliveLayers = n;
    this.alive = kit.mount(uPlot, this.el.alive, spec, sized(this.el.alive));
    return this.alive;
  }

  draw(): void {
    const h = this.history;
    const specs = pageCharts(h);
    if (this.util && (this.util as uPlot & { spec?: { spec: ChartSpec } }).spec?.spec.hlines?.length !== specs.util.hlines?.length) this.mountFixed();
    kit.update(this.loss!, specs.loss);
    kit.update(this.util!, specs.util);
    if (h.alive.length) kit.update(this.ensureAliveChart(specs.alive), specs.alive);
    drawHeatmap(this.heat, h);
    if (h.steps.length) this.draws++;
  }

  resize(): void {
    for (const [u, el] of [[this.loss, this.el.loss], [this.util, this.el.util], [this.alive, this.el.alive]] as const) if (u) u.setSize(sized(el));
    this.draw();
  }
}

/** log10(|γ| / layer max) from -3 (black) to 0 (bright); below -2 is dead by NR's 1 % rule. */
function color(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, (v + 3) / 3));
  // A short magma-like ramp: black → purple → orange → pale yellow.
  const stops: [number, number, number][] = [[0, 0, 4], [80, 18, 123], [182, 54, 121], [251, 136, 97], [252, 253, 191]];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]))) as [number, number, number];
}

export function drawHeatmap(canvas: HTMLCanvasElement, h: RunHistory): void {
  const cssW = Math.max(240, canvas.parentElement!.clientWidth - 8);
  const labelW = 64;
  const L = h.layerNames.length;
  // Each layer's band is as tall as the widest it has been (rejuvenation can widen it).
  const bandRows = Array.from({ length: L }, (_, l) => Math.max(1, ...h.gammas.map((col) => col[l]?.length ?? 0)));
  const totalRows = bandRows.reduce((a, b) => a + b, 0);
  const rowPx = Math.max(1, Math.min(4, Math.floor(360 / Math.max(1, totalRows))));
  // A band is at least tall enough for its two label lines.
  const bandPx = bandRows.map((r) => Math.max(26, r * rowPx));
  const gap = 3;
  const cssH = Math.max(120, bandPx.reduce((a, b) => a + b, 0) + gap * L + 4);
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cssW, cssH);
  const n = h.gammas.length;
  if (!n) {
    ctx.fillStyle = '#777';
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText('|γ| per channel over time appears here once training starts', 12, 24);
    return;
  }
  const plotW = cssW - labelW;
  const cols = Math.min(plotW, n);
  const img = ctx.createImageData(cols, totalRows);
  for (let c = 0; c < cols; c++) {
    const col = h.gammas[Math.min(n - 1, Math.floor(((c + 0.5) * n) / cols))];
    let row = 0;
    for (let l = 0; l < L; l++) {
      const g = col[l] ?? new Float32Array(0);
      let max = 0;
      for (const v of g) max = Math.max(max, v);
      for (let k = 0; k < bandRows[l]; k++) {
        const p = 4 * ((row + k) * cols + c);
        if (k >= g.length) {
          // Not a channel at that time: leave the band's unused rows light grey.
          img.data.set([235, 235, 235, 255], p);
          continue;
        }
        const v = max > 0 && g[k] > 0 ? Math.log10(g[k] / max) : -3;
        const [r, gg, b] = color(v);
        img.data.set([r, gg, b, 255], p);
      }
      row += bandRows[l];
    }
  }
  // Draw the image once per layer band so the bands can be separated by a gap.
  const tmp = document.createElement('canvas');
  tmp.width = cols;
  tmp.height = totalRows;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  let srcRow = 0, y = 2;
  for (let l = 0; l < L; l++) {
    const hpx = bandPx[l];
    ctx.drawImage(tmp, 0, srcRow, cols, bandRows[l], labelW, y, plotW, hpx);
    ctx.fillStyle = '#333';
    const last = h.gammas[n - 1][l]?.length ?? 0;
    ctx.fillText(`${h.layerNames[l].replace('features.', 'conv ')}`, 2, y + hpx / 2 - 6);
    ctx.fillStyle = '#777';
    ctx.fillText(`${h.alive[l]?.[n - 1] ?? 0}/${last}`, 2, y + hpx / 2 + 7);
    srcRow += bandRows[l];
    y += hpx + gap;
  }
  ctx.strokeStyle = '#c00';
  ctx.setLineDash([4, 4]);
  for (const e of h.events) {
    const i = h.steps.indexOf(e.step);
    if (i < 0) continue;
    const x = labelW + ((i + 1) / n) * plotW;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, cssH);
    ctx.stroke();
  }
}

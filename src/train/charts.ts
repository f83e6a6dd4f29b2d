/**
 * The one chart module of rejuv: DIR/report.html (src/train/report.ts) and the browser page
 * (web/charts.ts) both draw every uPlot chart through `chartKit()`, from data-only `ChartSpec`s.
 *
 * - Axes are sized and their ticks formatted through uPlot's own `size` and `values` options: tick
 *   labels are plain numbers (exponent notation for very large or small ones) and each y axis is as
 *   wide as its longest label, so 17928 never reads "8,000".
 * - `markers` (the NR surgery) are dashed vertical lines drawn on every time axis; `hlines` (the
 *   utilization target) dotted horizontal ones; categorical charts (widths per layer) are bars.
 * - Every instance is registered on `globalThis.__rejuvCharts` (id → uPlot) with `markersDrawn`, so a
 *   browser test can read what was drawn.
 *
 * `chartKit` is self-contained (no imports, no outer bindings): report.ts inlines its source text
 * into the page next to uPlot's, the browser page calls it directly — the same code either way.
 */
import type uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color?: string;
  /** 0: the left y axis (default), 1: the right one. */
  axis?: 0 | 1;
  dash?: number[];
  width?: number;
  points?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** x values (epochs, steps) or, with `categories`, 0 … n − 1. */
  x: number[];
  xLabel: string;
  /** x ticks at whole numbers only (epochs). */
  xWhole?: boolean;
  /** Names of categorical x positions: the chart draws bars. */
  categories?: string[];
  yLabel: string;
  y2Label?: string;
  yLog?: boolean;
  y2Log?: boolean;
  yRange?: [number, number];
  y2Range?: [number, number];
  series: ChartSeries[];
  hlines?: { value: number; label: string; axis?: 0 | 1 }[];
  markers?: { x: number; label: string }[];
}

export interface ChartKit {
  palette: string[];
  /** Create the chart inside `el`. */
  mount(u: typeof uPlot, el: HTMLElement, spec: ChartSpec, size: { width: number; height: number }): uPlot;
  /** New data (same series) and markers for a mounted chart. */
  update(chart: uPlot, spec: ChartSpec): void;
  /** Tick labels for the values `splits` with spacing `incr`. */
  ticks(splits: number[], incr: number): string[];
  /** Width and dash of the i-th of several lines that may lie on top of each other. */
  overlapStyle(i: number): { width: number; dash: number[] };
}

export function chartKit(): ChartKit {
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];
  /** Line styles for series that may coincide (layers of equal width): later ones thinner and dashed. */
  const overlapStyle = (i: number): { width: number; dash: number[] } => ({ width: Math.max(1, 3 - 0.4 * (i % 5)), dash: [[], [7, 3], [3, 3], [9, 3, 2, 3], [1, 3]][i % 5] });

  function ticks(splits: number[], incr: number): string[] {
    const big = splits.some((v) => v != null && Math.abs(v) >= 1e6);
    const small = splits.every((v) => v == null || v === 0 || Math.abs(v) < 1e-3);
    if (big || small) {
      // Enough significant digits that neighbouring ticks differ.
      const mag = Math.max(...splits.filter((v) => v != null && v !== 0).map((v) => Math.floor(Math.log10(Math.abs(v)))), -300);
      const digits = Math.min(6, Math.max(0, mag - Math.floor(Math.log10(Math.abs(incr) || 1))));
      return splits.map((v) => (v == null ? '' : v === 0 ? '0' : v.toExponential(digits)));
    }
    // As many decimals as the spacing and the first tick need (2.5 → 1, 0.05 → 2), so every label says its tick.
    const decimals = (v: number) => {
      for (let d = 0; d < 10; d++) if (Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) < 1e-6) return d;
      return 10;
    };
    const first = splits.find((v) => v != null) ?? 0;
    const dec = Math.max(incr > 0 ? decimals(incr) : 0, decimals(first));
    return splits.map((v) => (v == null ? '' : v.toFixed(dec)));
  }

  /** uPlot `size` option: the axis is as wide as its longest tick label (uPlot's own autosize recipe). */
  function axisSize(self: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
    const axis = self.axes[axisIdx] as uPlot.Axis & { _size?: number; ticks: { size: number }; gap: number; font: [string] };
    if (cycleNum > 1 && axis._size) return axis._size;
    let size = (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + 4;
    const longest = (values ?? []).reduce((a, v) => (v && v.length > a.length ? v : a), '');
    if (longest) {
      self.ctx.font = axis.font[0];
      size += self.ctx.measureText(longest).width / (globalThis.devicePixelRatio || 1);
    }
    return Math.ceil(size);
  }

  function axis(side: number, label: string, scale: string, grid: boolean): uPlot.Axis {
    return { side, label, scale, grid: { show: grid }, size: axisSize as uPlot.Axis.Size, values: (_u, splits, _i, _space, incr) => ticks(splits, incr) };
  }

  function data(spec: ChartSpec): uPlot.AlignedData {
    return [spec.x, ...spec.series.map((s) => s.values.map((v) => (v == null || !Number.isFinite(v) ? null : v)))] as uPlot.AlignedData;
  }

  function overlays(spec: () => ChartSpec): uPlot.Plugin {
    return {
      hooks: {
        draw: [(u: uPlot) => {
          const s = spec();
          const ctx = u.ctx;
          const dpr = globalThis.devicePixelRatio || 1;
          ctx.save();
          ctx.font = `${11 * dpr}px system-ui, sans-serif`;
          let drawn = 0;
          for (const m of s.markers ?? []) {
            const x = u.valToPos(m.x, 'x', true);
            if (!(x >= u.bbox.left - 1 && x <= u.bbox.left + u.bbox.width + 1)) continue;
            ctx.strokeStyle = '#c00';
            ctx.lineWidth = 1.5 * dpr;
            ctx.setLineDash([5 * dpr, 4 * dpr]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = '#c00';
            ctx.textAlign = x > u.bbox.left + u.bbox.width * 0.7 ? 'right' : 'left';
            ctx.fillText(m.label, x + (ctx.textAlign === 'right' ? -4 : 4) * dpr, u.bbox.top + 12 * dpr);
            drawn++;
          }
          for (const h of s.hlines ?? []) {
            const y = u.valToPos(h.value, h.axis === 1 ? 'y2' : 'y', true);
            if (!(y >= u.bbox.top - 1 && y <= u.bbox.top + u.bbox.height + 1)) continue;
            ctx.strokeStyle = '#555';
            ctx.lineWidth = 1 * dpr;
            ctx.setLineDash([2 * dpr, 3 * dpr]);
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
            ctx.fillStyle = '#555';
            ctx.textAlign = 'right';
            ctx.fillText(h.label, u.bbox.left + u.bbox.width - 4 * dpr, y - 4 * dpr);
          }
          ctx.restore();
          (u as uPlot & { markersDrawn?: number }).markersDrawn = drawn;
        }],
      },
    };
  }

  function mount(U: typeof uPlot, el: HTMLElement, spec: ChartSpec, size: { width: number; height: number }): uPlot {
    const holder = { spec };
    const cats = spec.categories;
    const n = spec.series.length;
    // Two series side by side: the first ends at the category's tick, the second starts there.
    const bars = (i: number) => U.paths.bars!({ size: [n === 2 ? 0.4 : 0.7, 60], align: n === 2 ? (i === 0 ? -1 : 1) : 0 });
    const opts: uPlot.Options = {
      ...size,
      title: spec.title,
      plugins: [overlays(() => holder.spec)],
      scales: {
        x: cats ? { time: false, range: [-0.6, cats.length - 0.4] } : { time: false },
        y: { ...(spec.yLog ? { distr: 3 } : {}), ...(spec.yRange ? { range: spec.yRange } : {}) },
        ...(spec.y2Label ? { y2: { ...(spec.y2Log ? { distr: 3 } : {}), ...(spec.y2Range ? { range: spec.y2Range } : {}) } } : {}),
      },
      axes: [
        cats
          ? { label: spec.xLabel, splits: () => cats.map((_c, i) => i), values: () => cats.slice(), size: 40, grid: { show: false } }
          : { label: spec.xLabel, values: (_u, splits, _i, _space, incr) => ticks(splits, incr), ...(spec.xWhole ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}) },
        axis(3, spec.yLabel, 'y', true),
        ...(spec.y2Label ? [axis(1, spec.y2Label, 'y2', false)] : []),
      ],
      series: [
        { label: spec.xLabel, value: cats ? (_u: uPlot, v: number) => (v == null ? '—' : cats[Math.round(v)] ?? '') : undefined },
        ...spec.series.map((s, i) => {
          const color = s.color ?? palette[i % palette.length];
          if (cats) return { label: s.label, fill: `${color}cc`, stroke: color, width: 1, scale: 'y', points: { show: false }, paths: bars(i) } as uPlot.Series;
          return {
            label: s.label, stroke: color, scale: s.axis === 1 ? 'y2' : 'y', spanGaps: true, width: s.width ?? 2, dash: s.dash,
            points: { show: s.points ?? spec.x.length < 40, size: 5 },
          } as uPlot.Series;
        }),
      ],
    };
    const chart = new U(opts, data(spec), el);
    (chart as uPlot & { spec?: { spec: ChartSpec } }).spec = holder;
    const reg = ((globalThis as { __rejuvCharts?: Record<string, uPlot> }).__rejuvCharts ??= {});
    reg[spec.id] = chart;
    return chart;
  }

  function update(chart: uPlot, spec: ChartSpec): void {
    const holder = (chart as uPlot & { spec?: { spec: ChartSpec } }).spec;
    if (holder) holder.spec = spec;
    chart.setData(data(spec));
  }

  return { palette, mount, update, ticks, overlapStyle };
}

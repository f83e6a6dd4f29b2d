/**
 * Training progress on stderr: a live one-line bar (rewritten with \r) when stderr is a terminal,
 * otherwise plain lines at most every `intervalMs` and at the end of each epoch, so logs stay readable
 * in CI and files. Written by hand: ~50 lines, no dependency needed for a single line.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** 42s, 4m05s, 2h07m: rounded as a whole first (so 299.6 s reads 5m00s, never 4m60s). */
export const fmtDuration = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '?';
  const pad = (n: number) => String(n).padStart(2, '0');
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${pad(t % 60)}s`;
  const tm = Math.round(s / 60);
  return `${Math.floor(tm / 60)}h${pad(tm % 60)}m`;
};

/** A learning rate for people: 4 significant digits, no float noise (0.0005, not 0.0005000000000000001). */
export const fmtLr = (lr: number): string => String(Number(lr.toPrecision(4)));

export class Progress {
  private last = 0;
  private live = false;

  constructor(private readonly out: ProgressStream = process.stderr, private readonly intervalMs = 5000) {}

  /** Within an epoch: step `done` of `total`, running means, images/s, ETA of the whole run. */
  step(p: { epoch: number; epochs: number; done: number; total: number; loss: number; acc: number; imagesPerSec: number; etaSec: number }): void {
    const now = Date.now();
    const text = `epoch ${p.epoch}/${p.epochs} ${p.done}/${p.total} loss ${p.loss.toFixed(4)} acc ${(100 * p.acc).toFixed(2)}% ${p.imagesPerSec.toFixed(0)} img/s ETA ${fmtDuration(p.etaSec)}`;
    if (this.out.isTTY) {
      if (now - this.last < 100 && p.done !== p.total) return;
      const width = 24, filled = Math.round((width * p.done) / Math.max(1, p.total));
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
      const line = (bar + text).slice(0, Math.max(20, (this.out.columns ?? 120) - 1));
      this.out.write(`\r\x1b[2K${line}`);
      this.live = true;
    } else {
      if (now - this.last < this.intervalMs) return;
      this.out.write(`${text}\n`);
    }
    this.last = now;
  }

  /** A permanent line (epoch summary, messages): ends the live bar first. */
  line(s: string): void {
    if (this.live) this.out.write('\r\x1b[2K');
    this.live = false;
    this.out.write(`${s}\n`);
    this.last = 0;
  }
}

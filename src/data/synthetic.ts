/**
 * The seeded synthetic 10-class image set of docs/method.md §13.1, generated on the host (no backend needed, same
 * bits everywhere). Per class c two prototypes, P1_c = bilinear up-sampling (half-pixel centres, as
 * PyTorch's `interpolate(align_corners=False)`) of a 3×4×4 N(0,1) tensor to 3×16×16, and P2_c the same
 * from 3×8×8; drawn once from the data seed, shared by train and test. A sample of class y (uniform):
 *   x = m·P1_y + (1−m)·P2_y, m ~ U(0,1);  x ← x·U(0.5, 1.5);  x ← x + 0.6·U(0,1)·P1_{y'} (y' uniform);
 *   circular shift by dx, dy ∈ {−2…2};  x ← x + 1.3·N(0,1) per pixel.
 * Train and test come from different Philox streams of the same seed.
 */
import { HostRng } from './rng.js';
import type { Dataset, ImageSet } from './types.js';

export interface SyntheticOptions {
  /** Fixes prototypes and samples; independent of the training seed (default 0). */
  seed?: number;
  train?: number; // default 6000
  test?: number; // default 2000
  size?: number; // default 16
}

const CLASSES = 10;
const CHANNELS = 3;

/** Bilinear up-sampling of a C×s×s grid to C×n×n with half-pixel centres (PyTorch align_corners=False). */
export function upsampleBilinear(src: Float64Array, c: number, s: number, n: number): Float64Array {
  const out = new Float64Array(c * n * n);
  const coord = (o: number) => {
    const x = Math.max(0, (o + 0.5) * (s / n) - 0.5);
    const i0 = Math.min(Math.floor(x), s - 1);
    return { i0, i1: Math.min(i0 + 1, s - 1), w: x - i0 };
  };
  for (let ch = 0; ch < c; ch++) {
    for (let oy = 0; oy < n; oy++) {
      const y = coord(oy);
      for (let ox = 0; ox < n; ox++) {
        const x = coord(ox);
        const at = (yy: number, xx: number) => src[(ch * s + yy) * s + xx];
        const top = at(y.i0, x.i0) * (1 - x.w) + at(y.i0, x.i1) * x.w;
        const bot = at(y.i1, x.i0) * (1 - x.w) + at(y.i1, x.i1) * x.w;
        out[(ch * n + oy) * n + ox] = top * (1 - y.w) + bot * y.w;
      }
    }
  }
  return out;
}

function prototypes(seed: number, size: number): { p1: Float64Array[]; p2: Float64Array[] } {
  const rng = new HostRng(seed, 0);
  const grid = (s: number) => {
    const g = new Float64Array(CHANNELS * s * s);
    for (let i = 0; i < g.length; i++) g[i] = rng.normal();
    return upsampleBilinear(g, CHANNELS, s, size);
  };
  const p1: Float64Array[] = [];
  const p2: Float64Array[] = [];
  for (let c = 0; c < CLASSES; c++) {
    p1.push(grid(4));
    p2.push(grid(8));
  }
  return { p1, p2 };
}

function samples(name: string, seed: number, stream: number, count: number, size: number, protos: ReturnType<typeof prototypes>): ImageSet {
  const rng = new HostRng(seed, stream);
  const per = CHANNELS * size * size;
  const images = new Float32Array(count * per);
  const labels = new Int32Array(count);
  const x = new Float64Array(per);
  for (let k = 0; k < count; k++) {
    // The order of draws is part of the definition: changing it changes the dataset.
    const y = rng.int(CLASSES);
    const m = rng.uniform();
    const scale = rng.range(0.5, 1.5);
    const strength = 0.6 * rng.uniform();
    const y2 = rng.int(CLASSES);
    const dx = rng.int(5) - 2;
    const dy = rng.int(5) - 2;
    const a = protos.p1[y], b = protos.p2[y], d = protos.p1[y2];
    for (let i = 0; i < per; i++) x[i] = (m * a[i] + (1 - m) * b[i]) * scale + strength * d[i];
    const base = k * per;
    for (let c = 0; c < CHANNELS; c++) {
      for (let h = 0; h < size; h++) {
        for (let w = 0; w < size; w++) {
          // torch.roll semantics: the value at (h, w) moves to (h + dy, w + dx) mod size.
          const to = (c * size + ((h + dy + size) % size)) * size + ((w + dx + size) % size);
          images[base + to] = x[(c * size + h) * size + w];
        }
      }
    }
    for (let i = 0; i < per; i++) images[base + i] += 1.3 * rng.normal();
    labels[k] = y;
  }
  return { name, source: `synthetic(seed=${seed}, stream=${stream})`, images, labels, count, channels: CHANNELS, height: size, width: size, numClasses: CLASSES };
}

export function syntheticDataset(opts: SyntheticOptions = {}): Dataset {
  const seed = opts.seed ?? 0;
  const size = opts.size ?? 16;
  const protos = prototypes(seed, size);
  return {
    name: 'synthetic',
    train: samples('synthetic/train', seed, 1, opts.train ?? 6000, size, protos),
    test: samples('synthetic/test', seed, 2, opts.test ?? 2000, size, protos),
    // Already zero-mean; per-pixel std ≈ 1.3–1.6, left as generated (the reference ran on raw values).
    mean: [0, 0, 0],
    std: [1, 1, 1],
    augment: 'none',
  };
}

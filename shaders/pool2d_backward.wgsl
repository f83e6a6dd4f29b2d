// 2-D pooling backward as a gather (deterministic, no atomics): one invocation per input element
// (plane, h, w) sums the output gradients of every window that contains it.
//   {{MODE}} 0 max:      dx += dy[o] where idx[o] == h·W + w (the forward's first maximum)
//   {{MODE}} 1 avg:      dx += dy[o] / divisor(o)   (divisor exactly as in pool2d.wgsl)
//   {{MODE}} 2 adaptive: dx += dy[o] / window size(o)
// The windows containing row h are oh ∈ [⌈(h + ph − kh + 1)/sh⌉, ⌊(h + ph)/sh⌋] ∩ [0, OH) for max/avg;
// for adaptive a small superset [⌊h·OH/H⌋ − 1, ⌈(h+1)·OH/H⌉] is scanned and tested exactly.
// {{TILED}} 1 (the host checks it): windows tile the input exactly (max/avg with kernel = stride and
// no padding; adaptive with OH | H and OW | W, windows of sh × sw), so element (h, w) lies in window
// (h / sh, w / sw) alone, or in none past the last full window: one lookup instead of the scan.
// Layout: dy and idx are [planes, OH, OW], dx is [planes, H, W], contiguous. Modes 1–2 never read idx
// (the host binds dy there).
// Dispatch: ceil(planes·H·W / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
struct U { total: u32, h: i32, w: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, include_pad: u32 }
@group(0) @binding(3) var<uniform> u: U;

// Floor division for a possibly negative numerator and positive divisor (WGSL truncates).
fn floor_div(a: i32, b: i32) -> i32 {
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && (a < 0));
}

// Output range [lo, hi] (inclusive) of windows along one axis that may contain position p.
fn window_range(p: i32, size: i32, out: i32, k: i32, s: i32, pad: i32) -> vec2<i32> {
  if ({{MODE}} == 2) {
    return vec2<i32>(max((p * out) / size - 1, 0), min(((p + 1) * out + size - 1) / size, out - 1));
  }
  return vec2<i32>(max(floor_div(p + pad - k, s) + 1, 0), min(floor_div(p + pad, s), out - 1));
}

// Start and end of window o along one axis (before clipping to the input).
fn window(o: i32, size: i32, out: i32, k: i32, s: i32, pad: i32) -> vec2<i32> {
  if ({{MODE}} == 2) { return vec2<i32>((o * size) / out, ((o + 1) * size + out - 1) / out); }
  let a = o * s - pad;
  return vec2<i32>(a, min(a + k, size + pad));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.total) { return; }
  let per_plane = u32(u.h * u.w);
  let plane = i / per_plane;
  let r = i32(i % per_plane);
  let hy = r / u.w;
  let wx = r % u.w;
  let obase = plane * u32(u.oh * u.ow);
  if ({{TILED}} == 1) {
    let oy = hy / u.sh;
    let ox = wx / u.sw;
    var g = 0.0;
    if (oy < u.oh && ox < u.ow) {
      let o = obase + u32(oy * u.ow + ox);
      if ({{MODE}} == 0) {
        if (idx[o] == r) { g = dy[o]; }
      } else {
        g = dy[o] / f32(u.sh * u.sw);
      }
    }
    dx[i] = g;
    return;
  }
  let ry = window_range(hy, u.h, u.oh, u.kh, u.sh, u.ph);
  let rx = window_range(wx, u.w, u.ow, u.kw, u.sw, u.pw);
  var g = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    let wy = window(oy, u.h, u.oh, u.kh, u.sh, u.ph);
    if (hy < wy.x || hy >= wy.y) { continue; }
    for (var ox = rx.x; ox <= rx.y; ox++) {
      let wxr = window(ox, u.w, u.ow, u.kw, u.sw, u.pw);
      if (wx < wxr.x || wx >= wxr.y) { continue; }
      let o = obase + u32(oy * u.ow + ox);
      if ({{MODE}} == 0) {
        if (idx[o] == r) { g += dy[o]; }
      } else {
        var divisor = f32((wy.y - wy.x) * (wxr.y - wxr.x));
        if (!({{MODE}} == 1 && u.include_pad == 1u)) {
          divisor = f32((min(wy.y, u.h) - max(wy.x, 0)) * (min(wxr.y, u.w) - max(wxr.x, 0)));
        }
        g += dy[o] / divisor;
      }
    }
  }
  dx[i] = g;
}

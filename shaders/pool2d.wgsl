// 2-D pooling forward over NCHW planes, one invocation per output element.
//   {{MODE}} 0 max:      y = max over the window (padding is −inf: skipped), idx = h·W + w of the first
//                        maximum in row-major window order (PyTorch's tie rule; a NaN wins, as in PyTorch)
//   {{MODE}} 1 avg:      y = Σ window / divisor; divisor = kh·kw clipped to the padded input
//                        (count_include_pad = 1) or the number of in-bounds elements (= 0)
//   {{MODE}} 2 adaptive: window rows [⌊oh·H/OH⌋, ⌈(oh+1)·H/OH⌉) (same for columns), y = mean
// Layout: x is [planes, H, W], y and idx are [planes, OH, OW], all contiguous (planes = N·C).
// Modes 1–2 never write idx (the host binds a scratch buffer).
// Dispatch: ceil(planes·OH·OW / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/float>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<i32>;
struct U { total: u32, h: i32, w: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, include_pad: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.total) { return; }
  let per_plane = u32(u.oh * u.ow);
  let plane = i / per_plane;
  let r = i32(i % per_plane);
  let oy = r / u.ow;
  let ox = r % u.ow;
  let base = plane * u32(u.h * u.w);
  var h0: i32; var h1: i32; var w0: i32; var w1: i32;
  if ({{MODE}} == 2) {
    h0 = (oy * u.h) / u.oh; h1 = ((oy + 1) * u.h + u.oh - 1) / u.oh;
    w0 = (ox * u.w) / u.ow; w1 = ((ox + 1) * u.w + u.ow - 1) / u.ow;
  } else {
    h0 = oy * u.sh - u.ph; h1 = min(h0 + u.kh, u.h + u.ph);
    w0 = ox * u.sw - u.pw; w1 = min(w0 + u.kw, u.w + u.pw);
  }
  let padded = f32((h1 - h0) * (w1 - w0));
  h0 = max(h0, 0); h1 = min(h1, u.h);
  w0 = max(w0, 0); w1 = min(w1, u.w);
  if ({{MODE}} == 0) {
    // Every window holds at least one input element (padding ≤ kernel/2 is checked on the host), so
    // starting from the first one needs no −inf constant (WGSL rejects infinite constants).
    var arg = h0 * u.w + w0;
    var best = x[base + u32(arg)];
    for (var yy = h0; yy < h1; yy++) {
      for (var xx = w0; xx < w1; xx++) {
        let v = x[base + u32(yy * u.w + xx)];
        if (v > best || is_nan(v)) { best = v; arg = yy * u.w + xx; }
      }
    }
    y[i] = best;
    idx[i] = arg;
  } else {
    var s = 0.0;
    for (var yy = h0; yy < h1; yy++) {
      for (var xx = w0; xx < w1; xx++) { s += x[base + u32(yy * u.w + xx)]; }
    }
    var divisor = f32((h1 - h0) * (w1 - w0));
    if ({{MODE}} == 1 && u.include_pad == 1u) { divisor = padded; }
    y[i] = s / divisor;
  }
}

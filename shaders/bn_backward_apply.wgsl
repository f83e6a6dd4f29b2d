// Batch-norm backward, elementwise input gradient:
//   training: dx = (dy − gsum_c/M − x̂ · gdot_c/M) · invstd_c · w_c     (batch statistics depend on x)
//   eval:     dx = dy · invstd_c · w_c                                  (running statistics are constants)
// where dy is first masked by y > 0 when relu = 1 (the forward fused a ReLU; y is its output),
// with x̂ = (x − mean_c)·invstd_c, gsum/gdot from bn_backward_reduce.wgsl, w_c = 1 when affine = 0
// (the host then binds `stat` as w; it is not read). invstd_c from `stat` directly or, with
// from_var = 1, as 1 / sqrt(var_c + eps).
// Layout: x, dy, y, dx are [n, c, hw] contiguous (without relu the host binds dy as y; not read); mean is [2·c] (training) or [c] (eval); stat, w, gsum, gdot are [c].
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per load; 4 when hw % 4 == 0).
// Work split: one invocation per (n, c) plane, looping over its hw / {{V}} loads (see bn_apply.wgsl).
// Dispatch: ceil(n·c / 64) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/bn_center>

@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read> dy: array<VT>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> stat: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;
@group(0) @binding(5) var<storage, read> gsum: array<f32>;
@group(0) @binding(6) var<storage, read> gdot: array<f32>;
@group(0) @binding(7) var<storage, read> y: array<VT>;
@group(0) @binding(8) var<storage, read_write> dx: array<VT>;
struct U { planes: u32, c: u32, hw: u32, m: u32, from_var: u32, affine: u32, training: u32, relu: u32, eps: f32 }
@group(0) @binding(9) var<uniform> u: U;
alias VT = {{VT}}; // the element type, named so that lib/bn_center can use it

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plane = flat_index(wid, nwg, lid, 64u); // (n, c)
  if (plane >= u.planes) { return; }
  let ch = plane % u.c;
  var invstd = stat[ch];
  if (u.from_var == 1u) { invstd = 1.0 / sqrt(invstd + u.eps); }
  var scale = invstd;
  if (u.affine == 1u) { scale = invstd * w[ch]; }
  let inv_m = 1.0 / f32(u.m);
  var gs = VT(0.0);
  var gd = VT(0.0);
  if (u.training == 1u) { gs = VT(gsum[ch] * inv_m); gd = VT(gdot[ch] * inv_m); }
  let m = mean_of(ch);
  let hwv = u.hw / {{V}}u;
  for (var s = 0u; s < hwv; s++) {
    let i = plane * hwv + s;
    var g = dy[i];
    if (u.relu == 1u) { g = select(VT(0.0), g, y[i] > VT(0.0)); }
    if (u.training == 1u) { g = g - gs - (centered(x[i], m) * invstd) * gd; }
    dx[i] = g * scale;
  }
}

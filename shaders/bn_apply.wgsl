// Batch-norm forward, elementwise: y = (x − mean_c) · invstd_c · w_c + b_c, then max(y, 0) when
// relu = 1 (BN followed by ReLU in one pass: the pre-activation never reaches memory).
// invstd_c is read directly (training: from bn_stats) or computed as 1 / sqrt(var_c + eps) from the
// running variance (eval, from_var = 1). x − mean_c comes first so a large common offset cancels
// exactly before any scaling (x·a + b with b ≈ −mean·a would lose the std's digits).
// Layout: x, y are [n, c, hw] contiguous; mean is [2·c] (training) or [c] (eval); stat, w, b are [c]. With affine = 0 the host binds
// `stat` as w and `mean` as b (the bindings must exist) and they are not read.
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per load; 4 when hw % 4 == 0).
// Work split: one invocation per (n, c) plane, looping over its hw / {{V}} loads. Why: on lavapipe an
// invocation's fixed costs (index math, per-lane parameter loads) dominated a one-element kernel;
// per plane, vgg_mini's MNIST step spends 5 ms here instead of 19 (same-machine A/B).
// Dispatch: ceil(n·c / 64) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/bn_center>

@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read> mean: array<f32>;
@group(0) @binding(2) var<storage, read> stat: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<VT>;
struct U { planes: u32, c: u32, hw: u32, from_var: u32, affine: u32, relu: u32, eps: f32 }
@group(0) @binding(6) var<uniform> u: U;
alias VT = {{VT}}; // the element type, named so that lib/bn_center can use it

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plane = flat_index(wid, nwg, lid, 64u); // (n, c)
  if (plane >= u.planes) { return; }
  let ch = plane % u.c;
  var invstd = stat[ch];
  if (u.from_var == 1u) { invstd = 1.0 / sqrt(invstd + u.eps); }
  var scale = VT(invstd);
  var shift = VT(0.0);
  if (u.affine == 1u) { scale = scale * w[ch]; shift = VT(b[ch]); }
  let m = mean_of(ch);
  let hwv = u.hw / {{V}}u;
  for (var s = 0u; s < hwv; s++) {
    let i = plane * hwv + s;
    var v = centered(x[i], m) * scale + shift;
    if (u.relu == 1u) { v = max(v, VT(0.0)); }
    y[i] = v;
  }
}

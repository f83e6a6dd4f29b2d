// Batch-norm forward, elementwise: y = (x − mean_c) · invstd_c · w_c + b_c, then max(y, 0) when
// relu = 1 (BN followed by ReLU in one pass: the pre-activation never reaches memory).
// invstd_c is read directly (training: from bn_stats) or computed as 1 / sqrt(var_c + eps) from the
// running variance (eval, from_var = 1). x − mean_c comes first so a large common offset cancels
// exactly before any scaling (x·a + b with b ≈ −mean·a would lose the std's digits).
// Layout: x, y are [n, c, hw] contiguous; coef is [c] vec4s (K, δ, s, β) from bn_coeffs.wgsl, which
// folds the mean (training: bn_stats' unevaluated pair K + δ; eval: the running mean), invstd (eval:
// from the running variance) and the affine weight and bias: y = ((x − K) − δ)·s + β.
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per invocation; 4 when hw % 4 == 0, so the four
// share a channel and the channel index costs one division per four elements).
// Dispatch: ceil(n·c·hw / ({{V}}·256)) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

alias VT = {{VT}};
@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<VT>;
struct U { total: u32, c: u32, hw: u32, relu: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.total) { return; }
  let p = coef[((i * {{V}}u) / u.hw) % u.c];
  var v = ((x[i] - VT(p.x)) - VT(p.y)) * VT(p.z) + VT(p.w);
  if (u.relu == 1u) { v = max(v, VT(0.0)); }
  y[i] = v;
}

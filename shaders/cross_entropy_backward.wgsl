// Cross-entropy backward, elementwise over logits:
//   dx_rk = (g / N) · (exp(x_rk − lse_r) − (1 − ε)·[k == y_r] − ε/K)
// g is the upstream gradient of the mean loss (a device scalar: no readback). Rows with a label
// outside [0, K) get NaN, like their loss.
// Layout: x, dx are [N, K] contiguous; labels [N] i32; lse [N] from cross_entropy.wgsl; g [1].
// Dispatch: ceil(N·K / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
struct U { total: u32, n: u32, k: u32, smoothing: f32, nan_bits: u32 }
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.total) { return; }
  let r = i / u.k;
  let j = i % u.k;
  let y = labels[r];
  var d = exp(x[i] - lse[r]) - u.smoothing / f32(u.k);
  if (y < 0 || u32(y) >= u.k) { d = bitcast<f32>(u.nan_bits); }
  if (u32(y) == j) { d -= 1.0 - u.smoothing; }
  dx[i] = d * (g[0] / f32(u.n));
}

// Per-channel coefficients of the batch-norm elementwise kernels, so that they load one vec4 per
// element group instead of four to six per-channel scalars (on lavapipe every storage load with a
// per-lane address is a loop over the lanes):
//   {{MODE}} 0, for bn_apply.wgsl:  coef[c] = (K, δ, s, β) with y = ((x − K) − δ)·s + β,
//       s = invstd_c·w_c (w_c = 1, β = 0 without affine);
//   {{MODE}} 1, for bn_backward_apply.wgsl: coef[c] = (K, δ, A, B), coef[C + c].x = D with
//       dx = g·A − B − ((x − K) − δ)·D,  A = invstd_c·w_c, B = A·gsum_c/M, D = A·invstd_c·gdot_c/M
//       (B = D = 0 in eval mode, where the statistics are constants).
// K, δ: the training mean as bn_stats.wgsl's unevaluated pair (mean[c], mean[C + c]); in eval mode the
// running mean and 0. invstd_c = stat[c] (training) or 1 / sqrt(stat[c] + eps) (eval, from_var = 1).
// Layout: mean [2·C] (training) or [C] (eval); stat, w, b (MODE 0: β; MODE 1: gsum), gdot [C]; coef
//   [C] (MODE 0) or [2·C] (MODE 1) vec4s. Unused bindings are bound to other buffers and not read.
// Dispatch: ceil(C / 64) workgroups of 64, one invocation per channel.
@group(0) @binding(0) var<storage, read> mean: array<f32>;
@group(0) @binding(1) var<storage, read> stat: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> gdot: array<f32>;
@group(0) @binding(5) var<storage, read_write> coef: array<vec4<f32>>;
struct U { c: u32, m: u32, from_var: u32, affine: u32, training: u32, eps: f32 }
@group(0) @binding(6) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.x;
  if (ch >= u.c) { return; }
  let k = mean[ch];
  var delta = 0.0; // eval: mean holds C values only, so δ is not read there
  var invstd = stat[ch];
  if (u.from_var == 1u) { invstd = 1.0 / sqrt(invstd + u.eps); } else { delta = mean[u.c + ch]; }
  let a = select(invstd, invstd * w[ch], u.affine == 1u);
  if ({{MODE}} == 0) {
    coef[ch] = vec4<f32>(k, delta, a, select(0.0, b[ch], u.affine == 1u));
  } else {
    let inv_m = 1.0 / f32(u.m);
    let t = u.training == 1u;
    coef[ch] = vec4<f32>(k, delta, a, select(0.0, a * (b[ch] * inv_m), t));
    coef[u.c + ch] = vec4<f32>(select(0.0, a * invstd * (gdot[ch] * inv_m), t), 0.0, 0.0, 0.0);
  }
}

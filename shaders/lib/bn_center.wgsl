// x − mean_c for the batch-norm kernels that read a mean (bn_apply, bn_backward_apply,
// bn_backward_reduce; included with `#include <lib/bn_center>`). Training means arrive as the
// unevaluated pair (K, δ) in mean[ch], mean[c + ch] (see bn_stats.wgsl) and are subtracted one after
// the other, so a large common offset cancels exactly; eval means (from_var = 1) are the running mean
// alone. The including file declares `alias VT` (f32 or vec4<f32>), binds `mean` and has `u.c`,
// `u.from_var` in its uniforms.

// The channel's mean as (K, δ): the training pair, or (running mean, 0) in eval mode (mean then holds
// C values only, so δ is not read). Kernels load it once per channel, outside their element loops.
fn mean_of(ch: u32) -> vec2<f32> {
  if (u.from_var == 1u) { return vec2<f32>(mean[ch], 0.0); }
  return vec2<f32>(mean[ch], mean[u.c + ch]);
}

// v − mean, K first and then δ.
fn centered(v: VT, m: vec2<f32>) -> VT {
  return (v - VT(m.x)) - VT(m.y);
}

// x − mean_c for the batch-norm kernels that read a mean (bn_apply, bn_backward_apply,
// bn_backward_reduce; included with `#include <lib/bn_center>`). Training means arrive as the
// unevaluated pair (K, δ) in mean[ch], mean[c + ch] (see bn_stats.wgsl) and are subtracted one after
// the other, so a large common offset cancels exactly; eval means (from_var = 1) are the running mean
// alone. The including file declares `alias VT` (f32 or vec4<f32>), binds `mean` and has `u.c`,
// `u.from_var` in its uniforms.

fn centered(v: VT, ch: u32) -> VT {
  if (u.from_var == 1u) { return v - VT(mean[ch]); }
  return (v - VT(mean[ch])) - VT(mean[u.c + ch]);
}

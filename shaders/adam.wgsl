// One Adam / AdamW step in place, as torch.optim.Adam / AdamW (PyTorch 1.13, amsgrad=False):
//   g = grad + l1·sign(p)                        (Neural Rejuvenation's sparsity term, docs/method.md §2.2)
//   Adam:  g = g + wd·p          AdamW: p = p·(1 − lr·wd)          ({{DECOUPLED}} picks)
//   m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²
//   p = p − step_size · m / (sqrt(v) / bc2_sqrt + eps)
// step_size = lr / (1 − β1^t), bc2_sqrt = sqrt(1 − β2^t), 1 − β1, 1 − β2 and decay = 1 − lr·wd are computed
// on the host in float64 (PyTorch computes them as Python doubles) and passed as uniforms.
// Layout: grad (read), param, m, v (read_write), contiguous, n elements.
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
struct U { n: u32, beta1: f32, beta2: f32, one_minus_beta1: f32, one_minus_beta2: f32, eps: f32, step_size: f32, bc2_sqrt: f32, wd: f32, decay: f32, l1: f32 }
@group(0) @binding(4) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  var p = param[i];
  var g = grad[i];
  if (u.l1 != 0.0) { g = g + u.l1 * sign(p); }
  if ({{DECOUPLED}} == 1) { p = p * u.decay; } else if (u.wd != 0.0) { g = g + u.wd * p; }
  let mi = u.beta1 * m[i] + u.one_minus_beta1 * g;
  let vi = u.beta2 * v[i] + u.one_minus_beta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = p - u.step_size * (mi / (sqrt(vi) / u.bc2_sqrt + u.eps));
}

// One SGD step in place, exactly as torch.optim.SGD (PyTorch 1.13, foreach=False):
//   d = grad + l1·sign(p) + wd·p
//   momentum ≠ 0: buf = first ? d : momentum·buf + (1 − dampening)·d
//                 d = nesterov ? d + momentum·buf : buf
//   p = p − lr·d
// l1·sign(p) (sign(0) = 0) is Neural Rejuvenation's sparsity sub-gradient on BN scales (docs/method.md §2.2).
// Layout: grad (read), param and buf (read_write), all contiguous with n elements. With {{MOMENTUM}} = 0
// the host binds a 4-byte scratch buffer as `buf` (bindings must exist) and it is never touched.
// Hyperparameters live in the uniform block, so one pipeline serves every lr / schedule.
// Work split: 16 consecutive elements per invocation (an invocation's fixed costs dominate a
// one-element kernel on lavapipe).
// Dispatch: ceil(n / (64·16)) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
struct U { n: u32, first: u32, nesterov: u32, lr: f32, momentum: f32, one_minus_dampening: f32, wd: f32, l1: f32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i0 = flat_index(wid, nwg, lid, 64u) * 16u;
  for (var i = i0; i < min(i0 + 16u, u.n); i++) { step_at(i); }
}

fn step_at(i: u32) {
  let p = param[i];
  var d = grad[i];
  if (u.l1 != 0.0) { d = d + u.l1 * sign(p); }
  if (u.wd != 0.0) { d = d + u.wd * p; }
  if ({{MOMENTUM}} == 1) {
    var b = d;
    if (u.first == 0u) { b = u.momentum * buf[i] + u.one_minus_dampening * d; }
    buf[i] = b;
    if (u.nesterov == 1u) { d = d + u.momentum * b; } else { d = b; }
  }
  param[i] = p - u.lr * d;
}

// Neural Rejuvenation surgery: gather the survived block of a tensor by index (docs/method.md §7.5).
//   out[i, j, t] = x[(idx0[i] · m1 + idx1[j]) · inner + t]
// Layout: x viewed as [m0, m1, inner] (a conv weight is [C_out, C_in, k·k]; a vector is [C, 1, 1]);
// idx0 i32[n0] (survived output channels), idx1 i32[n1] (survived input channels); out [n0, n1, inner].
// Dispatch: ceil(n0·n1·inner / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> idx0: array<i32>;
@group(0) @binding(2) var<storage, read> idx1: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
struct U { n: u32, n1: u32, inner: u32, m1: u32 }
@group(0) @binding(4) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_index(wid, nwg, lid, 256u);
  if (o >= u.n) { return; }
  let t = o % u.inner;
  let ij = o / u.inner;
  let j = ij % u.n1;
  let i = ij / u.n1;
  out[o] = x[(u32(idx0[i]) * u.m1 + u32(idx1[j])) * u.inner + t];
}

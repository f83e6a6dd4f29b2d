// Elementwise unary map: out[i] = OP(x[i]) for i < n.
// Layout: x, out contiguous, element type {{T}}. The op body is substituted as {{EXPR}} (in terms of `v`).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D by the host past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<{{TO}}>;
struct U { n: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let v = x[i];
  out[i] = {{EXPR}};
}

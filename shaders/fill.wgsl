// Constant fill: out[i] = value for i < n ({{T}} elements; the value travels as raw bits).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read_write> out: array<{{T}}>;
struct U { n: u32, bits: u32 }
@group(0) @binding(1) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  out[i] = bitcast<{{T}}>(u.bits);
}

// Strided copy: for every index j of the iteration shape,
//   out[out_base + Σ j_k · out_strides_k] = x[x_base + Σ j_k · x_strides_k].
// One kernel serves transpose/permute, slice, concat (one dispatch per input), pad and broadcastTo.
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535), n = size of the shape.
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
struct U { n: u32, rank: u32, x_base: u32, out_base: u32, shape: array<vec4<u32>, 2>, x_strides: array<vec4<u32>, 2>, out_strides: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  out[u.out_base + offset_of(i, u.rank, u.shape, u.out_strides)] = x[u.x_base + offset_of(i, u.rank, u.shape, u.x_strides)];
}

// Elementwise select with broadcasting: out[i] = cond[ic(i)] != 0 ? a[ia(i)] : b[ib(i)].
// Layout: out contiguous over `shape`; inputs read through strides (0 on broadcast axes).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> cond: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;
struct U { n: u32, rank: u32, shape: array<vec4<u32>, 2>, c_strides: array<vec4<u32>, 2>, a_strides: array<vec4<u32>, 2>, b_strides: array<vec4<u32>, 2> }
@group(0) @binding(4) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let c = cond[offset_of(i, u.rank, u.shape, u.c_strides)];
  out[i] = select(b[offset_of(i, u.rank, u.shape, u.b_strides)], a[offset_of(i, u.rank, u.shape, u.a_strides)], c != 0.0);
}

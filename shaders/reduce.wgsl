// Reduction over any set of axes: out[o] = REDUCE_{r} x[base(o) + off(r)], one invocation per output.
// Layout: kept axes (shape/strides `k_*`) enumerate outputs in row-major order; reduced axes
// (`r_*`) enumerate the elements folded into each output. {{OP}}: 0 sum, 1 max, 2 min, 3 argmax, 4 argmin
// (arg variants write the flat index over the reduced axes as i32, first occurrence wins).
// Dispatch: ceil(n_out / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<{{TO}}>;
struct U { n_out: u32, n_red: u32, k_rank: u32, r_rank: u32, k_shape: array<vec4<u32>, 2>, k_strides: array<vec4<u32>, 2>, r_shape: array<vec4<u32>, 2>, r_strides: array<vec4<u32>, 2> }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_index(wid, nwg, lid, 256u);
  if (o >= u.n_out) { return; }
  let base = offset_of(o, u.k_rank, u.k_shape, u.k_strides);
  // One or two reduced axes (after collapsing) are walked with an incremental (hi, lo) index: an
  // integer division per element costs more than the load on CPU adapters. More axes: offset_of.
  let two = u.r_rank == 2u;
  let d_lo = select(u.n_red, u.r_shape[0].y, two);
  let s_hi = select(0u, u.r_strides[0].x, two);
  let s_lo = select(u.r_strides[0].x, u.r_strides[0].y, two);
  let walk = u.r_rank <= 2u;
  var hi = 0u;
  var lo = 0u;
  var acc = x[base];
  var arg = 0u;
  for (var r = 1u; r < u.n_red; r++) {
    lo += 1u;
    if (lo == d_lo) { lo = 0u; hi += 1u; }
    var off = hi * s_hi + lo * s_lo;
    if (!walk) { off = offset_of(r, u.r_rank, u.r_shape, u.r_strides); }
    let v = x[base + off];
    if ({{OP}} == 0) { acc += v; }
    else if ({{OP}} == 1) { acc = max(acc, v); }
    else if ({{OP}} == 2) { acc = min(acc, v); }
    else if ({{OP}} == 3) { if (v > acc) { acc = v; arg = r; } }
    else { if (v < acc) { acc = v; arg = r; } }
  }
  if ({{OP}} >= 3) { out[o] = {{TO}}(arg); } else { out[o] = {{TO}}(acc); }
}

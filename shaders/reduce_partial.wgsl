// First pass of a multi-pass reduction, for few outputs with long reduced axes: `lanes` invocations
// per output each fold a strided share of the reduced elements,
//   part[o · lanes + c] = REDUCE_{r ≡ c (mod lanes)} x[base(o) + off(r)],
// so neighbouring invocations read neighbouring elements when the reduced axis is innermost.
// `part_arg` holds the flat reduced index of the chosen element (first occurrence within the share)
// for argmax/argmin and is written for every op (every binding must be used); the second pass is
// reduce.wgsl over [n_out, lanes] (sum, max, min) or reduce_arg_combine.wgsl (argmax, argmin).
// Layout: as reduce.wgsl (kept axes k_*, reduced axes r_*). {{OP}}: 0 sum, 1 max, 2 min, 3 argmax, 4 argmin.
// Dispatch: ceil(n_out · lanes / 256) workgroups of 256 (folded into 2-D past 65535); lanes ≤ n_red.
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> part: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> part_arg: array<u32>;
struct U { n_out: u32, n_red: u32, k_rank: u32, r_rank: u32, lanes: u32, k_shape: array<vec4<u32>, 2>, k_strides: array<vec4<u32>, 2>, r_shape: array<vec4<u32>, 2>, r_strides: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = flat_index(wid, nwg, lid, 256u);
  if (t >= u.n_out * u.lanes) { return; }
  let o = t / u.lanes;
  let c = t % u.lanes;
  let base = offset_of(o, u.k_rank, u.k_shape, u.k_strides);
  var acc = x[base + offset_of(c, u.r_rank, u.r_shape, u.r_strides)];
  var arg = c;
  for (var r = c + u.lanes; r < u.n_red; r += u.lanes) {
    let v = x[base + offset_of(r, u.r_rank, u.r_shape, u.r_strides)];
    if ({{OP}} == 0) { acc += v; }
    else if ({{OP}} == 1) { acc = max(acc, v); }
    else if ({{OP}} == 2) { acc = min(acc, v); }
    else if ({{OP}} == 3) { if (v > acc) { acc = v; arg = r; } }
    else { if (v < acc) { acc = v; arg = r; } }
  }
  part[t] = acc;
  part_arg[t] = arg;
}

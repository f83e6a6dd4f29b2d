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

fn red_off(r: u32, hi: u32, lo: u32, s_hi: u32, s_lo: u32) -> u32 {
  if (u.r_rank <= 2u) { return hi * s_hi + lo * s_lo; }
  return offset_of(r, u.r_rank, u.r_shape, u.r_strides);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = flat_index(wid, nwg, lid, 256u);
  if (t >= u.n_out * u.lanes) { return; }
  let o = t / u.lanes;
  let c = t % u.lanes;
  let base = offset_of(o, u.k_rank, u.k_shape, u.k_strides);
  // Reduced axes collapse to one or two in the common cases (a flat sum; N and H·W of NCHW): walk
  // those with an incremental (hi, lo) index instead of dividing for every element.
  let two = u.r_rank == 2u;
  let d_lo = select(u.n_red, u.r_shape[0].y, two);
  let s_hi = select(0u, u.r_strides[0].x, two);
  let s_lo = select(u.r_strides[0].x, u.r_strides[0].y, two);
  let step_hi = u.lanes / d_lo;
  let step_lo = u.lanes % d_lo;
  var hi = c / d_lo;
  var lo = c % d_lo;
  var acc = x[base + red_off(c, hi, lo, s_hi, s_lo)];
  var arg = c;
  for (var r = c + u.lanes; r < u.n_red; r += u.lanes) {
    lo += step_lo;
    hi += step_hi;
    if (lo >= d_lo) { lo -= d_lo; hi += 1u; }
    let v = x[base + red_off(r, hi, lo, s_hi, s_lo)];
    if ({{OP}} == 0) { acc += v; }
    else if ({{OP}} == 1) { acc = max(acc, v); }
    else if ({{OP}} == 2) { acc = min(acc, v); }
    else if ({{OP}} == 3) { if (v > acc) { acc = v; arg = r; } }
    else { if (v < acc) { acc = v; arg = r; } }
  }
  part[t] = acc;
  part_arg[t] = arg;
}

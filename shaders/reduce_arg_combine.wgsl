// Second pass of a multi-pass argmax/argmin: out[o] = the part_arg of the best of the `lanes`
// partial results of output o. Ties go to the smaller flat index, so the result is the first
// occurrence, as in the one-pass kernel and the reference backend.
// Layout: part, part_arg [n_out, lanes] contiguous; out [n_out] i32. {{OP}}: 3 argmax, 4 argmin.
// Dispatch: ceil(n_out / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> part: array<{{T}}>;
@group(0) @binding(1) var<storage, read> part_arg: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
struct U { n_out: u32, lanes: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_index(wid, nwg, lid, 256u);
  if (o >= u.n_out) { return; }
  var best = part[o * u.lanes];
  var arg = part_arg[o * u.lanes];
  for (var c = 1u; c < u.lanes; c++) {
    let v = part[o * u.lanes + c];
    let a = part_arg[o * u.lanes + c];
    let better = select((v < best), (v > best), {{OP}} == 3);
    if (better || (v == best && a < arg)) { best = v; arg = a; }
  }
  out[o] = i32(arg);
}

// conv2d weight gradient, pass 2 of 2: add the slices written by conv2d_wgrad.wgsl and write OIHW.
//   dw[oOff + o, iOff + c, i, j] = Σ_s part[s][i·KW + j][c][o]
// (oOff, iOff: where one block of a block-diagonal conv sits in the full weight; 0 for a dense one).
// Layout: part = [slices][KH·KW][Ci][cg·4] (cg = ceil(Co/4)); dw OIHW (·, IT, KH, KW) contiguous.
// Dispatch: ceil(Co·Ci·KH·KW / 256) workgroups of 256, one output element each (folded past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
struct U { total: u32, ci: u32, taps: u32, cg4: u32, slices: u32, oOff: u32, iOff: u32, iT: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = flat_index(wid, nwg, lid, 256u);
  if (e >= u.total) { return; }
  let tap = e % u.taps;
  let c = (e / u.taps) % u.ci;
  let o = e / (u.taps * u.ci);
  let stride = u.taps * u.ci * u.cg4;
  var idx = (tap * u.ci + c) * u.cg4 + o;
  var acc = 0.0;
  for (var s = 0u; s < u.slices; s++) {
    acc += part[idx];
    idx += stride;
  }
  dw[((u.oOff + o) * u.iT + u.iOff + c) * u.taps + tap] = acc;
}

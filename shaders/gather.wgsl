// Gather along an axis: out[o, j, i] = x[o, idx[j], i].
// Layout: x viewed as [outer, axis_len, inner], idx flat [n_idx] (i32), out [outer, n_idx, inner],
// all contiguous. An index outside [0, axis_len) cannot raise an error from a shader, so the element
// is poisoned with the bits `u.poison` (a NaN for f32; a uniform, because a constant NaN is a WGSL
// compile error) where it is visible, instead of reading a wrong row; the reference backend throws.
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535), n = outer · n_idx · inner.
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;
struct U { n: u32, inner: u32, n_idx: u32, axis_len: u32, poison: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let ii = i % u.inner;
  let t = i / u.inner;
  let j = t % u.n_idx;
  let o = t / u.n_idx;
  let a = idx[j];
  if (a < 0 || u32(a) >= u.axis_len) {
    out[i] = bitcast<{{T}}>(u.poison);
    return;
  }
  out[i] = x[(o * u.axis_len + u32(a)) * u.inner + ii];
}

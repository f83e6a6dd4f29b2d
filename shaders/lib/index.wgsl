// Indexing helpers shared by kernels (included with `#include <lib/index>`).
// Shapes and strides travel in uniforms as array<vec4<u32>, 2> (rank ≤ 8, 16-byte aligned).

// Flat invocation id of a 1-D dispatch that the host may have folded into 2-D (more than 65535
// workgroups): workgroup (x, y) is linear workgroup x + y * num_workgroups.x.
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg_size: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * wg_size + lid;
}

fn at8(v: array<vec4<u32>, 2>, i: u32) -> u32 {
  return v[i / 4u][i % 4u];
}

// Offset of output element `flat` (row-major in `shape`) under `strides`.
fn offset_of(flat: u32, rank: u32, shape: array<vec4<u32>, 2>, strides: array<vec4<u32>, 2>) -> u32 {
  var rem = flat;
  var off = 0u;
  for (var k = i32(rank) - 1; k >= 0; k--) {
    let d = at8(shape, u32(k));
    off += (rem % d) * at8(strides, u32(k));
    rem /= d;
  }
  return off;
}

// a / d for a < 2^31 and a / d < 2^23, without an integer division: CPU adapters (lavapipe) compile a
// vector u32 division into one scalar `div` per lane (~10× the cost of the rest of a simple
// elementwise kernel), while f32 division stays vectorized. The f32 quotient is within 1 of the true
// one under that bound, and one compare-and-select step corrects it.
fn div_fast(a: u32, d: u32) -> u32 {
  let q = u32(f32(a) / f32(d));
  let r = i32(a) - i32(q * d);
  return q - select(0u, 1u, r < 0) + select(0u, 1u, r >= i32(d));
}

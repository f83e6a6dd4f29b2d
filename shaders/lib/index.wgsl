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

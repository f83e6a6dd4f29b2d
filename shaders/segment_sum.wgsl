// Deterministic scatter-add, second half: gx[o, a, i] = Σ_{k in segment a} g[o, j_k, i], with the
// j_k in increasing order (from index_sort.wgsl), so every run adds in the same order as the
// reference backend's plain loop over j — no atomics, no run-to-run differences.
// Layout: g [outer, n_idx, inner], gx [outer, axis_len, inner] contiguous; csr as in index_sort.wgsl.
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535), n = outer · axis_len · inner.
#include <lib/index>

@group(0) @binding(0) var<storage, read> g: array<{{T}}>;
@group(0) @binding(1) var<storage, read> csr: array<u32>;
@group(0) @binding(2) var<storage, read_write> gx: array<{{T}}>;
struct U { n: u32, inner: u32, n_idx: u32, axis_len: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let ii = i % u.inner;
  let t = i / u.inner;
  let a = t % u.axis_len;
  let o = t / u.axis_len;
  var acc = {{T}}(0);
  for (var k = csr[a]; k < csr[a + 1u]; k++) {
    let j = csr[u.axis_len + 1u + k];
    acc += g[(o * u.n_idx + j) * u.inner + ii];
  }
  gx[i] = acc;
}

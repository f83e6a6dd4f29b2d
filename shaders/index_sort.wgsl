// Counting sort of gather indices into CSR form, the first half of the deterministic scatter-add
// (gather's backward). For every axis position a:
//   csr[a + 1]            = #{ j : 0 <= idx[j] <= a }           (segment ends; csr[0] = 0)
//   csr[axis_len + 1 + k] = the j with idx[j] == a, in increasing j, for k in [csr[a], csr[a + 1])
// Indices outside [0, axis_len) belong to no segment (gather poisoned them in the forward).
// Layout: idx [n_idx] i32; csr [axis_len + 1 + n_idx] u32.
// Dispatch: ceil(axis_len / 256) workgroups of 256, one invocation per position (two scans of idx
// each: O(axis_len · n_idx), independent of the size of the gradient).
#include <lib/index>

@group(0) @binding(0) var<storage, read> idx: array<i32>;
@group(0) @binding(1) var<storage, read_write> csr: array<u32>;
struct U { n_idx: u32, axis_len: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let a = flat_index(wid, nwg, lid, 256u);
  if (a >= u.axis_len) { return; }
  let ai = i32(a);
  var before = 0u;
  var count = 0u;
  for (var j = 0u; j < u.n_idx; j++) {
    let v = idx[j];
    if (v >= 0 && v < ai) { before++; }
    if (v == ai) { count++; }
  }
  if (a == 0u) { csr[0] = 0u; }
  csr[a + 1u] = before + count;
  var k = u.axis_len + 1u + before;
  for (var j = 0u; j < u.n_idx; j++) {
    if (idx[j] == ai) {
      csr[k] = j;
      k++;
    }
  }
}

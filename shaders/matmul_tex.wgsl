// Batched matmul for CPU adapters with 8-lane subgroups (lavapipe), operands read from textures:
//   C[b] = op(A)[b] @ op(B)[b], C is [batch, M, N] row-major.
// Why textures: on lavapipe a storage-buffer load with a computed index is a bounds-checked scalar
//   load per SIMD lane (~5 instructions per float). A read-only storage texture (rgba32float) is
//   fetched by a short routine (~60 instructions for 8 lanes × 16 bytes: one 16-byte load per lane,
//   a bounds mask, an in-register transpose). A sampled texture_2d is about a third slower at 1024²:
//   its textureLoad goes through a generic sampler stub with two indirect calls. Hence `read` storage.
//   Staging both operands (copy or matmul_tex_pack.wgsl, O(MK + KN) work) pays from ~4 M MACs.
// Layout (zero-padded by the pack kernel, so the k loop needs no guard):
//   ta: row aIdx·MP + m, texel t = op(A)[m][4t .. 4t+3]  (MP = M rounded up to {{TM}}, K to {{KS}})
//   tb: row bIdx·KP + k, texel t = op(B)[k][4t .. 4t+3]  (KP = K rounded up to {{KS}}, N to 32·{{TNQ}})
//   aIdx / bIdx: the operand's own batch index: offset_of the output batch under batch strides counted
//   in whole matrices (0 on broadcast axes).
// Work split: a workgroup is one subgroup of 8 lanes and owns {{TM}} rows × 32·{{TNQ}} columns; lane l
//   accumulates, for each row, the column quads q0 + 8j (j < {{TNQ}}): {{TM}}·{{TNQ}} vec4 accumulators,
//   most of them in stack memory — loads and stores there are cheap next to texture fetches, and big
//   tiles are what amortize the fetches. Per step of {{KS}} along k each lane fetches the A texels of
//   rows r0 + 8h + lane (shared by subgroupBroadcast, lane ids must be constants, hence the host
//   generates the body) and {{KS}}·{{TNQ}} B texels. No workgroup memory, no barriers.
// Dispatch: (MP / {{TM}}, NP / (32·{{TNQ}}), batch) workgroups of 8; rows vary fastest, so workgroups
//   run back to back stream the same strip of B through the cache.
enable subgroups;
#include <lib/index>

@group(0) @binding(0) var ta: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tb: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
struct U { m: u32, n: u32, mp: u32, kp: u32, brank: u32, bshape: array<vec4<u32>, 2>, astr: array<vec4<u32>, 2>, bstr: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

// Stores one accumulator: C[r][col .. col+3], the parts inside M × N.
fn put(base: u32, r: u32, col: u32, v: vec4<f32>) {
  if (r >= u.m) { return; }
  for (var t = 0u; t < 4u; t++) {
    if (col + t < u.n) { c[base + r * u.n + col + t] = v[t]; }
  }
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.x * {{TM}}u;
  let q0 = wid.y * (8u * {{TNQ}}u) + lane;
  let aRow = offset_of(wid.z, u.brank, u.bshape, u.astr) * u.mp + r0 + lane;
  let bRow = offset_of(wid.z, u.brank, u.bshape, u.bstr) * u.kp;
  {{DECLS}}
  for (var k = 0u; k < u.kp; k += {{KS}}u) {
    {{LOADS}}
    {{FMAS}}
  }
  let base = wid.z * u.m * u.n;
  {{STORES}}
}

// Batched matmul with workgroup-memory tiles (for real GPUs, where barriers are cheap and shared
// tiles cut global traffic 16×). Same contract as matmul_reg.wgsl:
//   C[b] = op(A[b]) @ op(B[b]),  op(A) is M×K, op(B) is K×N, C is [batch, M, N] row-major.
// Layout: A is [.., M, K], or [.., K, M] when TRANS_A; B is [.., K, N], or [.., N, K] when TRANS_B
//   (read in place). Batch offsets of A and B come from `offset_of` with strides 0 on broadcast axes.
// Work split: a 16×16 workgroup owns a 64×64 tile of C, each invocation 4×4 of it. Per step of
//   KT=16 along k, the workgroup stages a 64×16 slice of op(A) and a 16×64 slice of op(B) in
//   workgroup memory (zero outside the matrix, so any M, N, K works), each invocation loading 4
//   elements of each, with consecutive invocations walking the operand's contiguous axis.
// Dispatch: (ceil(N / 64), ceil(M / 64), batch) workgroups of 16×16.
#include <lib/index>

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
struct U { m: u32, n: u32, k: u32, brank: u32, bshape: array<vec4<u32>, 2>, astr: array<vec4<u32>, 2>, bstr: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

const TRANS_A = {{TRANS_A}};
const TRANS_B = {{TRANS_B}};
const T = 64u;
const KT = 16u;

// Tiles stored k-major: sa[kk * 64 + row], sb[kk * 64 + col].
var<workgroup> sa: array<f32, 1024>;
var<workgroup> sb: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = u.m;
  let N = u.n;
  let K = u.k;
  let aBase = offset_of(wid.z, u.brank, u.bshape, u.astr);
  let bBase = offset_of(wid.z, u.brank, u.bshape, u.bstr);
  let r0 = wid.y * T;
  let c0 = wid.x * T;
  var acc: array<vec4<f32>, 4>;

  for (var k0 = 0u; k0 < K; k0 += KT) {
    for (var t = 0u; t < 4u; t++) {
      let e = lid + t * 256u;
      // A slice: walk k fastest when A's rows are contiguous along k, rows fastest when transposed.
      let ar = select(e / KT, e % T, TRANS_A);
      let ak = select(e % KT, e / T, TRANS_A);
      let gr = r0 + ar;
      let gk = k0 + ak;
      var av = 0.0;
      if (gr < M && gk < K) { av = a[aBase + select(gr * K + gk, gk * M + gr, TRANS_A)]; }
      sa[ak * T + ar] = av;
      let bc = select(e % T, e / KT, TRANS_B);
      let bk = select(e / T, e % KT, TRANS_B);
      let gc = c0 + bc;
      let gk2 = k0 + bk;
      var bv = 0.0;
      if (gc < N && gk2 < K) { bv = b[bBase + select(gk2 * N + gc, gc * K + gk2, TRANS_B)]; }
      sb[bk * T + bc] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let av = vec4<f32>(sa[kk * T + lid3.y * 4u], sa[kk * T + lid3.y * 4u + 1u], sa[kk * T + lid3.y * 4u + 2u], sa[kk * T + lid3.y * 4u + 3u]);
      let bv = vec4<f32>(sb[kk * T + lid3.x * 4u], sb[kk * T + lid3.x * 4u + 1u], sb[kk * T + lid3.x * 4u + 2u], sb[kk * T + lid3.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] = fma(vec4<f32>(av[i]), bv, acc[i]); }
    }
    workgroupBarrier();
  }

  let cBase = wid.z * M * N;
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + lid3.y * 4u + i;
    if (r >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = c0 + lid3.x * 4u + j;
      if (col < N) { c[cBase + r * N + col] = acc[i][j]; }
    }
  }
}

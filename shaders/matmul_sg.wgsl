// Batched matmul for CPU adapters with subgroups (lavapipe: 8-lane subgroups = one AVX2 register).
// On such drivers every per-invocation load is a bounds-checked scalar load per SIMD lane, so loads,
// not FMAs, set the speed. Here the 8 lanes of a subgroup share their A values: each lane loads ONE
// vec4 of A per step of 4 along k, and subgroupBroadcast (a register shuffle) hands every lane all
// 8 rows × 4 k of it. Only B is loaded per lane. No workgroup memory, no barriers.
//   C[b] = op(A[b]) @ op(B[b]),  op(A) is M×K, op(B) is K×N, C is [batch, M, N] row-major.
// Layout: A is [.., M, K], or [.., K, M] when TRANS_A; B is [.., K, N], or [.., N, K] when TRANS_B
//   (read in place). Batch offsets of A and B come from `offset_of` (strides 0 on broadcast axes).
// Work split: a subgroup owns 8 rows × 32 columns of C (each lane 8 rows × 4 columns); a workgroup
//   of 64 = 8 subgroups (2 along rows × 4 along columns) owns 16 × 128.
//   Non-transposed A: lane l loads op(A)[r0 + l, k..k+3]; transposed: op(A)[r0 + 4⌊l/4⌋ .. +3, k + l%4].
//   B: four vec4 per lane along its contiguous axis (transposed: shuffled into rows in registers).
// Variants: VEC (M, N, K multiples of 4): vec4 bindings, one load per vec4. Otherwise scalar loads
//   with clamped indices, and k past K reads as 0 (so the k loop runs to K rounded up to 4).
//   Rows and columns past the edge are clamped on load and never stored. All lanes run the k loop
//   (subgroupBroadcast needs them all); stores are the only guarded code.
// Needs: the `subgroups` feature and a fixed subgroup size of 8 (the host checks both); subgroup s
//   of a workgroup is invocations 8s..8s+7 (its first lane's local index / 8 names it).
// Dispatch: (ceil(M / 16), ceil(N / 128), batch) workgroups of 64: rows vary fastest, so workgroups
//   that run back to back stream the same 128-column strip of B through the cache (~20 % at 1024).
enable subgroups;
#include <lib/index>

@group(0) @binding(0) var<storage, read> a: array<{{ELEM}}>;
@group(0) @binding(1) var<storage, read> b: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
struct U { m: u32, n: u32, k: u32, brank: u32, bshape: array<vec4<u32>, 2>, astr: array<vec4<u32>, 2>, bstr: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

const TRANS_A = {{TRANS_A}};
const TRANS_B = {{TRANS_B}};
const VEC = {{VEC}};

// Four elements at flat indices i (consecutive from i.x, i.x % 4 == 0, in the VEC variant); lanes of
// `ok` that are false read 0 (k past K). The host fills these in per variant.
fn loadA(i: vec4<u32>, ok: vec4<bool>) -> vec4<f32> { {{LOAD_A}} }
fn loadB(i: vec4<u32>, ok: vec4<bool>) -> vec4<f32> { {{LOAD_B}} }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let M = u.m;
  let N = u.n;
  let K = u.k;
  let s = subgroupBroadcast(lidx, 0u) / 8u;
  let r0 = (wid.x * 2u + s / 4u) * 8u;
  let c0 = ((wid.y * 4u + s % 4u) * 8u + lane) * 4u;
  let aBase = offset_of(wid.z, u.brank, u.bshape, u.astr);
  let bBase = offset_of(wid.z, u.brank, u.bshape, u.bstr);
  let q4 = vec4<u32>(0u, 1u, 2u, 3u);
  let cols = min(vec4<u32>(c0) + q4, vec4<u32>(N - 1u));
  // This lane's share of A: one row (non-transposed) or four rows at one k offset (transposed).
  let aRow = min(r0 + lane, M - 1u);
  let aRows = min(vec4<u32>(r0 + 4u * (lane / 4u)) + q4, vec4<u32>(M - 1u));
  let aK = lane % 4u;
  let kEnd = (K + 3u) & ~3u;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  for (var k = 0u; k < kEnd; k += 4u) {
    let ks = vec4<u32>(k) + q4;
    let kOk = ks < vec4<u32>(K);
    let kc = min(ks, vec4<u32>(K - 1u));
    var av: vec4<f32>;
    if (TRANS_A) {
      av = loadA(aBase + kc[aK] * M + aRows, vec4<bool>(kOk[aK]));
    } else {
      av = loadA(aBase + aRow * K + kc, kOk);
    }
    // bv[q] = op(B)[k + q, c0..c0+3]
    var bv: array<vec4<f32>, 4>;
    if (TRANS_B) {
      let t0 = loadB(bBase + cols.x * K + kc, kOk);
      let t1 = loadB(bBase + cols.y * K + kc, kOk);
      let t2 = loadB(bBase + cols.z * K + kc, kOk);
      let t3 = loadB(bBase + cols.w * K + kc, kOk);
      bv = array<vec4<f32>, 4>(vec4(t0.x, t1.x, t2.x, t3.x), vec4(t0.y, t1.y, t2.y, t3.y), vec4(t0.z, t1.z, t2.z, t3.z), vec4(t0.w, t1.w, t2.w, t3.w));
    } else {
      bv = array<vec4<f32>, 4>(loadB(bBase + kc.x * N + cols, vec4<bool>(kOk.x)), loadB(bBase + kc.y * N + cols, vec4<bool>(kOk.y)),
                               loadB(bBase + kc.z * N + cols, vec4<bool>(kOk.z)), loadB(bBase + kc.w * N + cols, vec4<bool>(kOk.w)));
    }
    // acc_i += op(A)[r0 + i, k + q] · bv[q] for i < 8, q < 4, each A value broadcast from the lane
    // that loaded it (host-generated: broadcast lane ids must be constants).
    {{FMAS}}
  }

  let cBase = wid.z * M * N;
  let acc = array<vec4<f32>, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7);
  for (var i = 0u; i < 8u; i++) {
    let r = r0 + i;
    if (r >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < N) { c[cBase + r * N + c0 + j] = acc[i][j]; }
    }
  }
}

// Batched matmul, register-tiled, no workgroup memory and no barriers (for CPU adapters: lavapipe
// and SwiftShader emulate barriers, and every per-invocation memory load costs a bounds-checked scalar
// load per SIMD lane, so the kernel is about loading each value once and using it as often as possible).
//   C[b] = op(A[b]) @ op(B[b]),  op(A) is M×K, op(B) is K×N, C[b] is M×N, all row-major and contiguous.
// Layout: A is [.., M, K], or [.., K, M] when TRANS_A (read in place, never copied); B is [.., K, N],
//   or [.., N, K] when TRANS_B. Batch dims broadcast: the batch offsets of A and B come from
//   `offset_of` over the output batch shape with each operand's strides (0 on broadcast axes).
// Work split: each invocation owns a 4×4 block of C. Per step of 4 along k it loads a 4×4 block of
//   op(A) and of op(B) as four vec4 each, along whichever axis is contiguous in memory, and does 64
//   FMAs. Transposition only changes which axis a vec4 runs along (a register shuffle, no copy).
// Variants: VEC (M, N, K all multiples of 4): A and B are bound as array<vec4<f32>> and every load is
//   one vec4. Otherwise they are array<f32>, rows/columns past the edge are clamped on load (their
//   results are never stored) and k has a scalar tail, so the inner loop has no branch either way.
// Dispatch: (ceil(N / 32), ceil(M / 32), batch) workgroups of 8×8.
#include <lib/index>

@group(0) @binding(0) var<storage, read> a: array<{{ELEM}}>;
@group(0) @binding(1) var<storage, read> b: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
struct U { m: u32, n: u32, k: u32, brank: u32, bshape: array<vec4<u32>, 2>, astr: array<vec4<u32>, 2>, bstr: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

const TRANS_A = {{TRANS_A}};
const TRANS_B = {{TRANS_B}};
const VEC = {{VEC}};

// Four consecutive elements from flat index i (i % 4 == 0 in the VEC variant), or four scattered
// elements i0..i3 when the matrix is not vec4-aligned.
// (The host fills these in per variant; `a_at`/`b_at` are single elements for the k tail.)
fn loadA(i: vec4<u32>) -> vec4<f32> { {{LOAD_A}} }
fn loadB(i: vec4<u32>) -> vec4<f32> { {{LOAD_B}} }
fn a_at(i: u32) -> f32 { {{AT_A}} }
fn b_at(i: u32) -> f32 { {{AT_B}} }

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.m;
  let N = u.n;
  let K = u.k;
  let r0 = (wid.y * 8u + lid.y) * 4u;
  let c0 = (wid.x * 8u + lid.x) * 4u;
  if (VEC && (r0 >= M || c0 >= N)) { return; }
  let aBase = offset_of(wid.z, u.brank, u.bshape, u.astr);
  let bBase = offset_of(wid.z, u.brank, u.bshape, u.bstr);

  // Rows of op(A) and columns of op(B) this invocation reads, clamped to the matrix (VEC tiles
  // are whole, so clamping is a no-op there). Element (row, k) of op(A) is at a[aRow + k * aStepK].
  let mLast = vec4<u32>(M - 1u);
  let nLast = vec4<u32>(N - 1u);
  let rows = min(vec4<u32>(r0) + vec4<u32>(0u, 1u, 2u, 3u), mLast);
  let cols = min(vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u), nLast);
  let aRow = aBase + rows * select(K, 1u, TRANS_A);
  let aStepK = select(1u, M, TRANS_A);
  let bCol = bBase + cols * select(1u, K, TRANS_B);
  let bStepK = select(N, 1u, TRANS_B);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let k4 = K & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    // av[i] = op(A)[r0 + i, k..k+3]; bv[q] = op(B)[k + q, c0..c0+3].
    var av: array<vec4<f32>, 4>;
    var bv: array<vec4<f32>, 4>;
    if (TRANS_A) {
      // Contiguous along m: load op(A)[r0..r0+3, k + q] for each q, then transpose in registers.
      let t0 = loadA(aRow + k * aStepK);
      let t1 = loadA(aRow + (k + 1u) * aStepK);
      let t2 = loadA(aRow + (k + 2u) * aStepK);
      let t3 = loadA(aRow + (k + 3u) * aStepK);
      av = array<vec4<f32>, 4>(vec4(t0.x, t1.x, t2.x, t3.x), vec4(t0.y, t1.y, t2.y, t3.y), vec4(t0.z, t1.z, t2.z, t3.z), vec4(t0.w, t1.w, t2.w, t3.w));
    } else {
      let ks = vec4<u32>(k, k + 1u, k + 2u, k + 3u);
      av = array<vec4<f32>, 4>(loadA(aRow.x + ks), loadA(aRow.y + ks), loadA(aRow.z + ks), loadA(aRow.w + ks));
    }
    if (TRANS_B) {
      // Contiguous along k: load op(B)[k..k+3, c0 + j] per column j, then transpose in registers.
      let ks = vec4<u32>(k, k + 1u, k + 2u, k + 3u);
      let t0 = loadB(bCol.x + ks);
      let t1 = loadB(bCol.y + ks);
      let t2 = loadB(bCol.z + ks);
      let t3 = loadB(bCol.w + ks);
      bv = array<vec4<f32>, 4>(vec4(t0.x, t1.x, t2.x, t3.x), vec4(t0.y, t1.y, t2.y, t3.y), vec4(t0.z, t1.z, t2.z, t3.z), vec4(t0.w, t1.w, t2.w, t3.w));
    } else {
      bv = array<vec4<f32>, 4>(loadB(bCol + k * bStepK), loadB(bCol + (k + 1u) * bStepK), loadB(bCol + (k + 2u) * bStepK), loadB(bCol + (k + 3u) * bStepK));
    }
    for (var q = 0u; q < 4u; q++) {
      acc0 = fma(vec4<f32>(av[0][q]), bv[q], acc0);
      acc1 = fma(vec4<f32>(av[1][q]), bv[q], acc1);
      acc2 = fma(vec4<f32>(av[2][q]), bv[q], acc2);
      acc3 = fma(vec4<f32>(av[3][q]), bv[q], acc3);
    }
  }
  // K % 4 tail (only the scalar variant has one).
  for (var k = k4; k < K; k++) {
    let ar = vec4<f32>(a_at(aRow.x + k * aStepK), a_at(aRow.y + k * aStepK), a_at(aRow.z + k * aStepK), a_at(aRow.w + k * aStepK));
    let br = vec4<f32>(b_at(bCol.x + k * bStepK), b_at(bCol.y + k * bStepK), b_at(bCol.z + k * bStepK), b_at(bCol.w + k * bStepK));
    acc0 = fma(vec4<f32>(ar.x), br, acc0);
    acc1 = fma(vec4<f32>(ar.y), br, acc1);
    acc2 = fma(vec4<f32>(ar.z), br, acc2);
    acc3 = fma(vec4<f32>(ar.w), br, acc3);
  }

  let cBase = wid.z * M * N;
  let acc = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = r0 + i;
    if (r >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (c0 + j < N) { c[cBase + r * N + c0 + j] = acc[i][j]; }
    }
  }
}

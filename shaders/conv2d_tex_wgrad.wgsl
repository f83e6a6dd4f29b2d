// conv2d weight gradient, pass 1 of 2, as a GEMM over operands staged in textures, for CPU adapters
// with 8-lane subgroups (lavapipe); the tile and the inner block are matmul_tex.wgsl's. Rows are the
// weight's (input channel, tap) pairs, columns its output channels, k runs over output pixels:
//   part[s][tap][c][o] (+)= Σ_{(nl, y) in slice s, x} xs[m][nl, y, x] · dy[n0 + nl, o, y, x]
// with m = c·taps + tap, tap = i·kw + j; xs[m] is the input as tap (i, j) sees it, staged once in
// four column segments of W4e (conv2d_tex_seg_pack.wgsl: tap j of quad x4 is texel sw·x4 + j·dw,
// holding pixels x4 + q·W4e), and dy is staged transposed in the same pixel order
// (conv2d_tex_dypack.wgsl: k = 4·x4 + q is pixel x4 + q·W4e). Slices split the chunk's
// output rows so that small layers still have work for every thread; the first chunk stores, later
// chunks add (acc = 1); conv2d_wgrad_reduce.wgsl then sums the slices into dw (OIHW).
// Layout: ta: the staged input, texel (sw·x4 + j·dw, (nl·C8 + c)·HP + sh·y + i·dh); tb: texel
//   (o4, (nl·OH + y)·4·W4e + 4·x4 + q) for pixel x4 + q·W4e; part is [slices][taps][C][CG4] (CG4 = O rounded up to 4). Rows are
//   padded to whole pairs of quads (W4e even), so one step of {{KS}} pixels stays in one row.
// Work split: a workgroup is one subgroup of 8 lanes and owns {{TM}} rows m × 32 output channels
//   (lane l: channels 4·(8·wid.y + l) .. +3). A lane's own A rows r0 + 8h + l (shared by
//   subgroupBroadcast) have fixed texture offsets (arow, computed once into ap{h}); rows past M fetch
//   row M − 1 and store nothing. Every (slice, row, channel) is stored by the first chunk.
// Dispatch: (MP / {{TM}}, ceil(O / 32), slices) workgroups of 8; slice s takes rows s·rps .. of the chunk.
enable subgroups;

#include <lib/tex_wgrad_io>

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.x * {{TM}}u;
  let q0 = wid.y * 8u + lane;
  {{APRE}}
  {{DECLS}}
  let row0 = wid.z * u.rps;
  let row1 = min(u.rows, row0 + u.rps);
  let nl0 = row0 / u.oh; // first image of the slice, within the chunk
  var k = row0 * 4u * u.w4;
  var y = row0 - nl0 * u.oh;
  var plane = nl0 * u.c8 * u.hp;
  for (var row = row0; row < row1; row++) {
    let yy = plane + y * u.sh;
    for (var x4 = 0u; x4 < u.w4; x4 += 2u) {
      {{LOADS}}
      {{FMAS}}
      k += {{KS}}u;
    }
    y++;
    if (y == u.oh) { y = 0u; plane += u.c8 * u.hp; }
  }
  {{STORES}}
}

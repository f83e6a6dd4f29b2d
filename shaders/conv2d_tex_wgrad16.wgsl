// conv2d weight gradient, pass 1 of 2, for layers of at most 16 output channels: the GEMM of
// conv2d_tex_wgrad.wgsl (same operands, same partial sums, same slices; see its header) with the
// roles of the lanes turned around. There a lane owns 4 output channels and the tile is 32 wide, so
// on a 16-channel layer half of every lane's work is thrown away; here a lane owns 4 A rows
// (m = r0 + lane + 8j, j < 4, its own texels, no broadcast) × all 16 channels, and the B texels
// (4 channels of one pixel) are what the subgroup shares: lane l loads pixel k + l, and each of the
// step's 8 pixels is broadcast to all lanes. Per step of 8 pixels a lane does 128 vec4 FMAs and 32
// vec4 broadcasts, against 256 FMAs and 256 scalar broadcasts (half of them wasted) in the wide tile.
// Layout: as conv2d_tex_wgrad.wgsl (lib/tex_wgrad_io): ta the staged input, tb dy staged transposed
//   (texel (o4, pixel row)), part [slices][taps][C][CG4].
// Work split: a workgroup is one subgroup of 8 lanes and owns 32 rows m × 16 output channels; rows
//   past M fetch row M − 1 and store nothing; channels past O are never stored.
// Dispatch: (MP / 32, 1, slices) workgroups of 8; slice s takes output rows s·rps .. of the chunk.
enable subgroups;

#include <lib/tex_wgrad_io>

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.x * 32u;
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
      k += 8u;
    }
    y++;
    if (y == u.oh) { y = 0u; plane += u.c8 * u.hp; }
  }
  {{STORES}}
}

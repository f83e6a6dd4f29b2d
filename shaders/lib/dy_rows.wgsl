// Where conv2d_tex_dypack.wgsl puts a pixel (included with
// `#include <lib/dy_rows>`): the staged input's quads hold pixels {x4, x4 + S, x4 + 2S, x4 + 3S}
// (conv2d_tex_seg_pack.wgsl, S = XP / 4), so pixel x = x4 + q·S of output row r goes to staged row
// r·XP + 4·x4 + q, the order in which the weight-gradient GEMM walks k.
fn dy_staged_row(r: u32, x: u32, xp: u32) -> u32 {
  let seg = xp / 4u;
  let q = x / seg;
  return r * xp + 4u * (x - q * seg) + q;
}

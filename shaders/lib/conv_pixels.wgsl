// Pixel geometry shared by the implicit-GEMM conv kernels conv2d_fwd and conv2d_dgrad (included with
// `#include <lib/conv_pixels>`, next to <lib/conv_gemm>, which calls `pixels_of`): the uniform block
// `U` and the split of 4 flat pixel indices of the image written into image base offset, patch origin
// and range. The including file binds `u: U` and supplies `fn origin(r: vec4<u32>, s: u32, p: i32)
// -> vec4<i32>`, the first row (column) its taps start from for rows (columns) `r` under stride `s`
// and padding `p`; the taps themselves are its `tap_offsets`.

// c_red: channels summed over; c_out: channels produced; cg = ceil(c_out / 4);
// src_*: the image read; dst_*: the image written; pixels = N·dst_h·dst_w.
struct U {
  n: u32, c_red: u32, c_out: u32, cg: u32,
  src_h: u32, src_w: u32, dst_h: u32, dst_w: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  pixels: u32,
}

// Per-pixel patch origin: image base offset (channel 0 of the image read), first row and column, in range.
struct Pix { base: vec4<u32>, y0: vec4<i32>, x0: vec4<i32>, ok: vec4<bool> }

fn pixels_of(p: vec4<u32>) -> Pix {
  let hw = u.dst_h * u.dst_w;
  let n = p / vec4(hw);
  let r = p % vec4(hw);
  let y = r / vec4(u.dst_w);
  let xo = r % vec4(u.dst_w);
  let base = n * vec4(u.c_red * u.src_h * u.src_w);
  return Pix(base, origin(y, u.sh, u.ph), origin(xo, u.sw, u.pw), p < vec4(u.pixels));
}

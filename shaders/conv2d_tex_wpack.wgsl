// Stages conv2d's weights for conv2d_tex.wgsl as the A operand of its GEMM, tap-major along k:
//   texel (t, o) = [ w[o, c, tap] for k = 4t + q, tap = k / C8, c = k % C8 ], 0 where c ≥ C or o ≥ O.
// Tap-major with C padded to 8 puts every step of 8 along k inside one tap, so the kernel's inner
// loop walks channels with one texel row stride and no divisions.
// Layout: w is OIHW (contiguous); the texture region is taps·C8 / 4 texels wide and OP rows high
//   (OP = O rounded up to the kernel's row tile).
// Dispatch: one invocation per texel of the region, ceil(texels / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var out: texture_storage_2d<rgba32float, write>;
struct U { o: u32, c: u32, c8: u32, taps: u32, width: u32, texels: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 64u);
  if (i >= u.texels) { return; }
  let t = i % u.width;
  let o = i / u.width;
  var v = vec4<f32>(0.0);
  if (o < u.o) {
    for (var q = 0u; q < 4u; q++) {
      let k = 4u * t + q;
      let c = k % u.c8;
      if (c < u.c) { v[q] = w[(o * u.c + c) * u.taps + k / u.c8]; }
    }
  }
  textureStore(out, vec2<u32>(t, o), v);
}

// Stages conv2d's weights for conv2d_tex.wgsl as the A operand of its GEMM, tap-major along k:
//   forward (flip = 0): texel (t, o) = [ w[o, c, tap] for k = 4t + q, tap = k / C8, c = k % C8 ];
//   dgrad (flip = 1), a forward conv of dy whose produced channels are the layer's inputs c and whose
//   summed channels are its outputs o, taps rotated by 180°:
//                       texel (t, c) = [ w[o, c, taps − 1 − tap] for k = 4t + q, tap = k / O8, o = k % O8 ];
//   0 past the summed or produced channel counts. For one block of a block-diagonal conv, o and c
//   count from the block's first output and input channels (oOff, iOff) of the full weight (IT inputs).
// Tap-major with C padded to 8 puts every step of 8 along k inside one tap, so the kernel's inner
// loop walks channels with one texel row stride and no divisions.
// Layout: w is OIHW (contiguous, the full weight); the staged region (buffer rows of `stride` texels, then copied into
//   the texture by tex-stage.ts) is taps·C8 / 4 texels wide and OP rows high
//   (OP = O rounded up to the kernel's row tile).
// Dispatch: one invocation per texel of the region, ceil(texels / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>

@group(0) @binding(0) var<storage, read> w: array<f32>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
// p: channels produced (rows), r: channels summed, r8: r rounded up to 8.
struct U { p: u32, r: u32, r8: u32, taps: u32, width: u32, texels: u32, flip: u32, stride: u32, oOff: u32, iOff: u32, iT: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 64u);
  if (i >= u.texels) { return; }
  let t = i % u.width;
  let row = i / u.width;
  var v = vec4<f32>(0.0);
  if (row < u.p) {
    for (var q = 0u; q < 4u; q++) {
      let k = 4u * t + q;
      let r = k % u.r8;
      let tap = k / u.r8;
      if (r < u.r) {
        // OIHW: forward reads w[oOff + row, iOff + r, tap]; dgrad reads w[oOff + r, iOff + row, taps − 1 − tap].
        let at = select(((u.oOff + row) * u.iT + u.iOff + r) * u.taps + tap, ((u.oOff + r) * u.iT + u.iOff + row) * u.taps + u.taps - 1u - tap, u.flip == 1u);
        v[q] = w[at];
      }
    }
  }
  out[row * u.stride + t] = v;
}

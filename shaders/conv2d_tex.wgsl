// conv2d forward as a GEMM over operands staged in textures, for CPU adapters with 8-lane subgroups
// (lavapipe); the tile and the inner block are matmul_tex.wgsl's (see its header for why textures):
//   out[n0 + nl, o, y, x] = bias[o] + Σ_{tap, c} wt[o][tap·C8 + c] · xs[tap][nl, c, y, x]
// where wt is the weights staged tap-major (conv2d_tex_wpack.wgsl) and xs the input staged once
// (conv2d_tex_seg_pack.wgsl: horizontal taps as texel offsets, vertical taps as row offsets).
// A quad is four output columns one segment apart, {x4, x4 + S, x4 + 2S, x4 + 3S} with S = W4 =
// ceil(OW / 4), so that every tap of every column of the quad is one texel.
// Layout: ta: texel (k / 4, o), k = tap·C8 + c (rows past O are zero). tb: texel (sw·x4 + j·dw,
//   (nl·C8 + c)·HP + sh·y + i·dh) holds what tap (i, j) reads for the quad x4 of output row y.
//   out is NCHW with OT channels, of which this dispatch writes o0 .. o0 + O − 1 (one block of a
//   block-diagonal conv; all of them for a dense one) of images n0 .. n0 + nb − 1; bias[bo + o].
// Work split: a workgroup is one subgroup of 8 lanes and owns {{TM}} output channels × 8 quads of
//   output pixels (quads count W4 per output row, so lanes may span rows and images); lane l's quad
//   q = 8·wid.y + l. Lanes past the last quad fetch a valid one and store nothing (subgroupBroadcast
//   needs every lane in the loop). Per step of {{KS}} channels a lane fetches the A texels of rows
//   r0 + 8h + l (shared by subgroupBroadcast) and one B texel per channel.
// Dispatch: (OP / {{TM}}, ceil(quads / 8), 1) workgroups of 8; channel tiles vary fastest, so the
//   workgroups that run back to back read the same staged pixels.
enable subgroups;

@group(0) @binding(0) var<storage, read> bias: array<f32>;
@group(0) @binding(1) var ta: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var tb: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
struct U {
  o: u32, c8: u32, taps: u32, kw: u32,
  sh: u32, dh: u32, hp: u32, w4: u32,
  oh: u32, ow: u32, quads: u32, n0: u32,
  sw: u32, dw: u32, o0: u32, ot: u32,
  bo: u32,
}
@group(0) @binding(4) var<uniform> u: U;

// Stores output channel r of this lane's quad (columns x4 + t·W4 of row y of image n), bias added.
fn put(n: u32, r: u32, y: u32, x4: u32, ok: bool, v: vec4<f32>) {
  if (!ok || r >= u.o) { return; }
  let base = ((n * u.ot + u.o0 + r) * u.oh + y) * u.ow + x4;
  let b = bias[u.bo + r];
  for (var t = 0u; t < 4u; t++) {
    if (x4 + t * u.w4 < u.ow) { out[base + t * u.w4] = v[t] + b; }
  }
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.x * {{TM}}u;
  let q = wid.y * 8u + lane;
  let ok = q < u.quads;
  let qc = min(q, u.quads - 1u);
  let perImage = u.oh * u.w4;
  let nl = qc / perImage;
  let y = (qc % perImage) / u.w4;
  let x4 = qc % u.w4;
  let aRow = r0 + lane;
  let rowBase = nl * u.c8 * u.hp + y * u.sh;
  {{DECLS}}
  var k = 0u;
  for (var tap = 0u; tap < u.taps; tap++) {
    let ti = tap / u.kw;
    let bx = u.sw * x4 + (tap - ti * u.kw) * u.dw;
    let by = rowBase + ti * u.dh;
    for (var c = 0u; c < u.c8; c += {{KS}}u) {
      let yc = by + c * u.hp;
      {{LOADS}}
      {{FMAS}}
      k += {{KS}}u;
    }
  }
  let n = u.n0 + nl;
  {{STORES}}
}

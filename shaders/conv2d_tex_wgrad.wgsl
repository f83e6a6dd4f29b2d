// conv2d weight gradient as a GEMM over operands staged in textures, for CPU adapters with 8-lane
// subgroups (lavapipe); the tile and the inner block are matmul_tex.wgsl's. Rows are the weight's
// (input channel, tap) pairs, columns its output channels, k runs over the output pixels of a chunk:
//   dw[o, m] (+)= Σ_{nl, y, x} xs[m][nl, y, x] · dy[n0 + nl, o, y, x],  m = c·taps + tap, tap = i·kw + j
// where xs[m] is the input as tap (i, j) sees it (conv2d_tex_pack.wgsl) and dy is staged transposed
// (conv2d_tex_dypack.wgsl). The first chunk stores, later chunks add (acc = 1).
// Layout: ta: the staged input, texel (j·W4e + x4, (nl·C8 + c)·HP + sh·y + i·dh); tb: texel
//   (o4, (nl·OH + y)·4·W4e + x); dw is OIHW, i.e. [O][M]. Rows are padded to whole pairs of quads
//   (W4e even), so one step of {{KS}} pixels stays in one row.
// Work split: a workgroup is one subgroup of 8 lanes and owns {{TM}} rows m × 32 output channels
//   (lane l: channels 4·(8·wid.y + l) .. +3). A lane's own A rows r0 + 8h + l (shared by
//   subgroupBroadcast) have fixed texture offsets ax, ay, computed once; rows past M fetch row M − 1
//   and store nothing.
// Dispatch: (MP / {{TM}}, ceil(O / 32), 1) workgroups of 8.
enable subgroups;

@group(0) @binding(0) var ta: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tb: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
struct U {
  m: u32, o: u32, taps: u32, kw: u32,
  dh: u32, sh: u32, hp: u32, c8: u32,
  oh: u32, w4: u32, rows: u32, acc: u32,
}
@group(0) @binding(3) var<uniform> u: U;

// Texture offsets of A row m: column block of tap j, row offset of channel c and tap row i.
fn arow(m: u32) -> vec2<u32> {
  let mc = min(m, u.m - 1u);
  let c = mc / u.taps;
  let tap = mc - c * u.taps;
  let i = tap / u.kw;
  return vec2<u32>((tap - i * u.kw) * u.w4, c * u.hp + i * u.dh);
}

// Stores (or adds) rows r's gradient for output channels col .. col + 3.
fn put(r: u32, col: u32, v: vec4<f32>) {
  if (r >= u.m) { return; }
  for (var t = 0u; t < 4u; t++) {
    let at = (col + t) * u.m + r;
    if (col + t < u.o) { dw[at] = select(v[t], dw[at] + v[t], u.acc == 1u); }
  }
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let r0 = wid.x * {{TM}}u;
  let q0 = wid.y * 8u + lane;
  {{APRE}}
  {{DECLS}}
  var k = 0u;
  var y = 0u;
  var plane = 0u;
  for (var row = 0u; row < u.rows; row++) {
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

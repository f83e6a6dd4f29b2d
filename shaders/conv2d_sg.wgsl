// conv2d forward ({{DGRAD}} = 0) or input gradient ({{DGRAD}} = 1) as an implicit GEMM for CPU
// adapters with 8-lane subgroups (lavapipe: one subgroup = one AVX2 register of 8 lanes).
//   forward: out[n,o,y,x] = bias[o] + Σ_{i,j,c} in[n, c, y·sh − ph + i·dh, x·sw − pw + j·dw] · w[o,c,i,j]
//   dgrad:   dx[n,c,y,x]  = Σ_{i,j,o} dy[n, o, (y + ph − i·dh)/sh, (x + pw − j·dw)/sw] · w[o,c,i,j]
//            (a tap counts only where both divisions are exact and land inside dy)
// On such drivers every per-invocation load is a bounds-checked scalar load per SIMD lane, so loads,
// not FMAs, set the speed. All lanes of a workgroup produce the same 8 channels, so per summed
// channel each lane loads ONE weight (its own channel) and subgroupBroadcast (a register shuffle)
// hands every lane all 8; the 4 image values per lane (one per pixel) are the only other loads.
// 5 loads feed 32 FMAs, where the register variant (conv2d_fwd.wgsl) needs 12. No workgroup memory.
// Loop order is tap-outer, channel-inner (per-pixel offsets and padding tests once per tap).
// Layout: src NCHW (forward: x; dgrad: dy); wt = weights pre-transposed by the host to
//   [KH·KW][red][c8] (red = channels summed over, c8 = produced channels rounded up to 8, zero-padded);
//   bias [c8] (zeros for dgrad); out NCHW.
// Work split: invocation lid of a 64-wide workgroup owns pixels block·256 + lid + {0, 64, 128, 192}
//   (neighbouring lanes read neighbouring addresses) × 8 produced channels z·8 .. z·8 + 7.
// Needs: the `subgroups` feature with 8-lane subgroups (the host checks). No early returns: every
//   lane runs the loops (subgroupBroadcast needs them all); stores are the only guarded code.
// Dispatch: x = c8 / 8 channel blocks, y = ceil(pixels / 256) pixel blocks. Channel blocks vary
//   fastest, so the workgroups that run one after another read the same input pixels (cache reuse).
enable subgroups;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// c_red: channels summed over; c_out: channels produced; c8: c_out rounded up to 8; src_*: the image
// read; dst_*: the image written; pixels: how many this dispatch writes (forward: N·dst_h·dst_w).
// dgrad runs once per stride phase (py, px): it writes the pixels with y ≡ py (mod sh), x ≡ px
// (mod sw) (a grid grid_w wide; pixels = N × the grid), which only taps with (py + ph − i·dh) ≡ 0
// (mod sh), and likewise along x, reach; the other taps are skipped outright (a uniform test)
// rather than masked per pixel, so a stride-2 dgrad does no wasted FMAs.
struct U {
  n: u32, c_red: u32, c_out: u32, c8: u32,
  src_h: u32, src_w: u32, dst_h: u32, dst_w: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  pixels: u32, py: u32, px: u32, grid_w: u32,
}
@group(0) @binding(4) var<uniform> u: U;

const DGRAD: u32 = {{DGRAD}}u;
const FAST1X1: u32 = {{FAST1X1}}u;

// Per-pixel origin: image base offset in src, then forward: top-left input row/column of the
// patch; dgrad: y + ph and x + pw (a tap subtracts i·dh, j·dw).
struct Pix { base: vec4<u32>, y0: vec4<i32>, x0: vec4<i32>, ok: vec4<bool>, dst: vec4<u32> }

fn pixels_of(p: vec4<u32>) -> Pix {
  let ok = p < vec4(u.pixels);
  let hw = u.dst_h * u.dst_w;
  if (DGRAD == 1u) {
    // p runs over the phase grid: row-major (n, yy, xx), pixel (py + yy·sh, px + xx·sw).
    let per_image = u.pixels / u.n;
    let n = p / vec4(per_image);
    let r = p % vec4(per_image);
    let y = vec4(u.py) + (r / vec4(u.grid_w)) * vec4(u.sh);
    let xo = vec4(u.px) + (r % vec4(u.grid_w)) * vec4(u.sw);
    let base = n * vec4(u.c_red * u.src_h * u.src_w);
    return Pix(base, vec4<i32>(y) + vec4(u.ph), vec4<i32>(xo) + vec4(u.pw), ok, n * vec4(u.c_out * hw) + y * vec4(u.dst_w) + xo);
  }
  let n = p / vec4(hw);
  let r = p % vec4(hw);
  let y = vec4<i32>(r / vec4(u.dst_w));
  let xo = vec4<i32>(r % vec4(u.dst_w));
  let base = n * vec4(u.c_red * u.src_h * u.src_w);
  return Pix(base, y * vec4(i32(u.sh)) - vec4(u.ph), xo * vec4(i32(u.sw)) - vec4(u.pw), ok, n * vec4(u.c_out * hw) + r);
}

// dgrad: whether tap row i (or column j) reaches this phase's pixels at all (uniform).
fn tap_used(v: u32, pad: i32, k: u32, d: u32, s: u32) -> bool {
  return (i32(v) + pad - i32(k * d)) % i32(s) == 0;
}

// src offsets (channel 0) of tap (i, j) for the 4 pixels; -1 where the tap reads nothing.
fn tap_offsets(q: Pix, i: u32, j: u32) -> vec4<i32> {
  let sw = vec4(i32(u.src_w));
  if (FAST1X1 == 1u) {
    return select(vec4(-1), vec4<i32>(q.base) + q.y0 * sw + q.x0, q.ok);
  }
  if (DGRAD == 1u) {
    let ty = q.y0 - vec4(i32(i * u.dh));
    let tx = q.x0 - vec4(i32(j * u.dw));
    let oy = ty / vec4(i32(u.sh));
    let ox = tx / vec4(i32(u.sw));
    let inside = q.ok & (ty >= vec4(0)) & (tx >= vec4(0)) & (oy * vec4(i32(u.sh)) == ty) & (ox * vec4(i32(u.sw)) == tx)
      & (oy < vec4(i32(u.src_h))) & (ox < sw);
    return select(vec4(-1), vec4<i32>(q.base) + oy * sw + ox, inside);
  }
  let iy = q.y0 + vec4(i32(i * u.dh));
  let ix = q.x0 + vec4(i32(j * u.dw));
  let inside = q.ok & (iy >= vec4(0)) & (iy < vec4(i32(u.src_h))) & (ix >= vec4(0)) & (ix < sw);
  return select(vec4(-1), vec4<i32>(q.base) + iy * sw + ix, inside);
}

// acc[k][j]: produced channel c0 + k at pixel j of q.
fn store(q: Pix, c0: u32, k: u32, acc: vec4<f32>) {
  let o = c0 + k;
  if (o >= u.c_out) { return; }
  let off = o * u.dst_h * u.dst_w;
  let b = bias[o];
  for (var j = 0u; j < 4u; j++) {
    if (q.ok[j]) { out[q.dst[j] + off] = acc[j] + b; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let blk = wid.y;
  let c0 = wid.x * 8u;
  let p = vec4(blk * 256u + lid) + vec4(0u, 64u, 128u, 192u);
  let q = pixels_of(p);
  let hw = u.src_h * u.src_w;
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  var a4 = vec4(0.0); var a5 = vec4(0.0); var a6 = vec4(0.0); var a7 = vec4(0.0);
  for (var i = 0u; i < u.kh; i++) {
    if (DGRAD == 1u && !tap_used(u.py, u.ph, i, u.dh, u.sh)) { continue; }
    for (var j = 0u; j < u.kw; j++) {
      if (DGRAD == 1u && !tap_used(u.px, u.pw, j, u.dw, u.sw)) { continue; }
      let offs = tap_offsets(q, i, j);
      let ok = offs >= vec4(0);
      var o = vec4<u32>(max(offs, vec4(0)));
      var wi = (i * u.kw + j) * u.c_red * u.c8 + c0 + lane;
      for (var c = 0u; c < u.c_red; c++) {
        let wl = wt[wi];
        let xv = select(vec4(0.0), vec4(src[o.x], src[o.y], src[o.z], src[o.w]), ok);
        a0 = fma(vec4(subgroupBroadcast(wl, 0u)), xv, a0);
        a1 = fma(vec4(subgroupBroadcast(wl, 1u)), xv, a1);
        a2 = fma(vec4(subgroupBroadcast(wl, 2u)), xv, a2);
        a3 = fma(vec4(subgroupBroadcast(wl, 3u)), xv, a3);
        a4 = fma(vec4(subgroupBroadcast(wl, 4u)), xv, a4);
        a5 = fma(vec4(subgroupBroadcast(wl, 5u)), xv, a5);
        a6 = fma(vec4(subgroupBroadcast(wl, 6u)), xv, a6);
        a7 = fma(vec4(subgroupBroadcast(wl, 7u)), xv, a7);
        wi += u.c8;
        o += vec4(hw);
      }
    }
  }
  store(q, c0, 0u, a0); store(q, c0, 1u, a1); store(q, c0, 2u, a2); store(q, c0, 3u, a3);
  store(q, c0, 4u, a4); store(q, c0, 5u, a5); store(q, c0, 6u, a6); store(q, c0, 7u, a7);
}

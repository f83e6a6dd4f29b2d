// conv2d weight gradient (wgrad), pass 1 of 2: partial sums over a slice of the N·OH·OW reduction.
//   part[s][tap][c][o] = Σ_{(n,y,x) in slice s} dy[n,o,y,x] · in[n, c, y·sh − ph + i·dh, x·sw − pw + j·dw]
// GEMM view: M = output channels, N = taps × input channels, K = N·OH·OW (split into slices so the
// reduction parallelizes; conv2d_wgrad_reduce.wgsl adds the slices and writes OIHW).
// A tile is 4 output channels × 4 input channels at one tap, so the padding test is per pixel and
// shared by the whole tile (and by the whole workgroup in the register variant: uniform branches).
// Layout: dy NCHW (N, Co, OH, OW); x NCHW (N, Ci, H, W);
//   part = [slices][KH·KW][Ci][cg] vec4 over 4 output channels (cg = ceil(Co/4)).
// Variants:
//   {{TILED}} = 0 (CPU adapters): register tiling, no workgroup memory. Invocation t (64 per workgroup)
//     owns tile ((tap·cig + ci block)·cg + co group) of 4 output × 4·{{NG}} input channels; a slice is
//     a range of (n, y) rows of dy. Neighbouring invocations share the input channels, so their x
//     loads are uniform and only the dy loads differ per invocation.
//   {{TILED}} = 1 (GPUs): 16×16 invocations own 64 output × 64 input channels at one tap; 16 pixels of
//     dy and input per step are staged in workgroup memory; a slice is a range of flattened pixels.
// Dispatch: x = tiles (folded into y past 65535), z = slices.
#include <lib/index>

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<vec4<f32>>;
// cg = ceil(Co/4), cig = ceil(Ci/(4·NG)) (register) or ceil(Ci/64) (tiled) input-channel blocks;
// per_slice: dy rows (register) or pixels (tiled) per slice.
struct U {
  n: u32, ci: u32, h: u32, w: u32,
  co: u32, oh: u32, ow: u32, kh: u32,
  kw: u32, sh: u32, sw: u32, ph: i32,
  pw: i32, dh: u32, dw: u32, cg: u32,
  cig: u32, tiles: u32, per_slice: u32,
}
@group(0) @binding(3) var<uniform> u: U;

const TILED: u32 = {{TILED}}u;
const NG: u32 = {{NG}}u; // register variant: groups of 4 input channels per invocation (1 or 2)

var<workgroup> Ds: array<vec4<f32>, 256>; // [16 pixels][16 groups of 4 output channels]
var<workgroup> Xs: array<f32, 1024>;      // [16 pixels][64 input channels]

fn store(s: u32, tap: u32, c: u32, g: u32, acc: vec4<f32>) {
  if (c < u.ci && g < u.cg) { part[((s * u.kh * u.kw + tap) * u.ci + c) * u.cg + g] = acc; }
}

fn run_register(t: u32, s: u32) {
  if (t >= u.tiles) { return; }
  let g = t % u.cg;
  let cb = (t / u.cg) % u.cig;
  let tap = t / (u.cg * u.cig);
  let i = tap / u.kw;
  let j = tap % u.kw;
  let ohw = u.oh * u.ow;
  let hw = u.h * u.w;
  let c0 = cb * 4u * NG;
  // Channels past Co / Ci read a valid channel (clamped) and are never stored: no masks in the loop.
  let dyc = min(vec4(g * 4u) + vec4(0u, 1u, 2u, 3u), vec4(u.co - 1u)) * vec4(ohw);
  let xc = min(vec4(c0) + vec4(0u, 1u, 2u, 3u), vec4(u.ci - 1u)) * vec4(hw);
  let xc2 = min(vec4(c0 + 4u) + vec4(0u, 1u, 2u, 3u), vec4(u.ci - 1u)) * vec4(hw);
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  var b0 = vec4(0.0); var b1 = vec4(0.0); var b2 = vec4(0.0); var b3 = vec4(0.0);
  let r1 = min((s + 1u) * u.per_slice, u.n * u.oh);
  for (var r = s * u.per_slice; r < r1; r++) {
    let n = r / u.oh;
    let y = r % u.oh;
    let iy = i32(y * u.sh) - u.ph + i32(i * u.dh);
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    let drow = vec4(n * u.co * ohw + y * u.ow) + dyc;
    let xbase = n * u.ci * hw + u32(iy) * u.w;
    let xrow = vec4(xbase) + xc;
    let xrow2 = vec4(xbase) + xc2;
    // Output columns whose tap column lies inside the image: x·sw + j·dw − pw ∈ [0, W).
    let off = i32(j * u.dw) - u.pw;
    let x_lo = u32(max(0, (-off + i32(u.sw) - 1) / i32(u.sw)));
    let lim = i32(u.w) - 1 - off; // integer division truncates, so a negative limit is handled apart
    let x_hi = u32(select(0, min(lim / i32(u.sw) + 1, i32(u.ow)), lim >= 0));
    for (var xo = x_lo; xo < x_hi; xo++) {
      let ix = u32(i32(xo * u.sw) + off);
      let d = vec4(dy[drow.x + xo], dy[drow.y + xo], dy[drow.z + xo], dy[drow.w + xo]);
      let v = vec4(x[xrow.x + ix], x[xrow.y + ix], x[xrow.z + ix], x[xrow.w + ix]);
      a0 = fma(d, vec4(v.x), a0);
      a1 = fma(d, vec4(v.y), a1);
      a2 = fma(d, vec4(v.z), a2);
      a3 = fma(d, vec4(v.w), a3);
      if (NG == 2u) {
        // 4 more input channels against the same 4 dy values: twice the FMAs per dy load.
        let v2 = vec4(x[xrow2.x + ix], x[xrow2.y + ix], x[xrow2.z + ix], x[xrow2.w + ix]);
        b0 = fma(d, vec4(v2.x), b0);
        b1 = fma(d, vec4(v2.y), b1);
        b2 = fma(d, vec4(v2.z), b2);
        b3 = fma(d, vec4(v2.w), b3);
      }
    }
  }
  store(s, tap, c0, g, a0);
  store(s, tap, c0 + 1u, g, a1);
  store(s, tap, c0 + 2u, g, a2);
  store(s, tap, c0 + 3u, g, a3);
  if (NG == 2u) {
    store(s, tap, c0 + 4u, g, b0);
    store(s, tap, c0 + 5u, g, b1);
    store(s, tap, c0 + 6u, g, b2);
    store(s, tap, c0 + 7u, g, b3);
  }
}

fn run_tiled(t: u32, s: u32, lid: u32) {
  // Tiles are indexed uniformly per workgroup: t = (tap·cig + input block)·ceil(cg/16) + output block.
  if (t >= u.tiles) { return; } // whole workgroup (t is per workgroup): barriers stay uniform
  let gb_n = (u.cg + 15u) / 16u;
  let zb = t % gb_n;
  let cb = (t / gb_n) % u.cig;
  let tap = t / (gb_n * u.cig);
  let i = tap / u.kw;
  let j = tap % u.kw;
  let lx = lid % 16u;
  let ly = lid / 16u;
  let ohw = u.oh * u.ow;
  let hw = u.h * u.w;
  let pixels = u.n * ohw;
  let p1 = min((s + 1u) * u.per_slice, pixels);
  let gs = zb * 16u + lx;   // output-channel group staged by this invocation
  let cs = cb * 64u + lx;   // first of 4 input channels staged (cs + 16·k)
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  for (var p0 = s * u.per_slice; p0 < p1; p0 += 16u) {
    let p = p0 + ly;       // pixel staged by this invocation
    let n = p / ohw;
    let y = (p % ohw) / u.ow;
    let xo = p % u.ow;
    let iy = i32(y * u.sh) - u.ph + i32(i * u.dh);
    let ix = i32(xo * u.sw) - u.pw + i32(j * u.dw);
    let pin = p < p1;
    let ok = pin && iy >= 0 && iy < i32(u.h) && ix >= 0 && ix < i32(u.w);
    var d = vec4(0.0);
    for (var c = 0u; c < 4u; c++) {
      let o = gs * 4u + c;
      if (pin && o < u.co) { d[c] = dy[(n * u.co + o) * ohw + y * u.ow + xo]; }
    }
    Ds[ly * 16u + lx] = d;
    for (var k = 0u; k < 4u; k++) {
      let c = cs + 16u * k;
      var v = 0.0;
      if (ok && c < u.ci) { v = x[(n * u.ci + c) * hw + u32(iy) * u.w + u32(ix)]; }
      Xs[ly * 64u + lx + 16u * k] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let dv = Ds[k * 16u + ly];
      a0 = fma(dv, vec4(Xs[k * 64u + lx]), a0);
      a1 = fma(dv, vec4(Xs[k * 64u + lx + 16u]), a1);
      a2 = fma(dv, vec4(Xs[k * 64u + lx + 32u]), a2);
      a3 = fma(dv, vec4(Xs[k * 64u + lx + 48u]), a3);
    }
    workgroupBarrier();
  }
  let g = zb * 16u + ly;
  store(s, tap, cb * 64u + lx, g, a0);
  store(s, tap, cb * 64u + lx + 16u, g, a1);
  store(s, tap, cb * 64u + lx + 32u, g, a2);
  store(s, tap, cb * 64u + lx + 48u, g, a3);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blk = wid.x + wid.y * nwg.x;
  if (TILED == 1u) { run_tiled(blk, wid.z, lid); } else { run_register(blk * 64u + lid, wid.z); }
}

// conv2d weight gradient (wgrad), pass 1 of 2, for CPU adapters with 8-lane subgroups (lavapipe):
//   part[s][tap][c][o] = Σ_{(n,y,x) in slice s} dy[n,o,y,x] · in[n, c, y·sh − ph + i·dh, x·sw − pw + j·dw]
// (conv2d_wgrad_reduce.wgsl adds the slices and writes OIHW.)
// Every per-invocation load is a bounds-checked scalar load per SIMD lane there, so loads set the
// speed. A subgroup owns one tap, 8 input channels and 32 output channels (4 per lane, one vec4).
// Per pixel each lane loads its own 4 dy values and ONE input value (channel c0 + lane), and
// subgroupBroadcast (a register shuffle) hands every lane all 8 input values: 5 loads feed 32 FMAs,
// where conv2d_wgrad.wgsl needs 12. The tap is the same for the whole subgroup, so the padding test
// is a uniform loop bound. No workgroup memory, no barriers.
// Layout: dy NCHW (N, Co, OH, OW); x NCHW (N, Ci, H, W);
//   part = [slices][KH·KW][Ci][cg] vec4 over 4 output channels (cg = ceil(Co/4)).
// Work split: subgroup k of workgroup b owns tile t = b·8 + k = (tap·cib + input block)·gb + output
//   block (cib = ceil(Ci/8), gb = ceil(cg/8)); a slice is a range of (n, y) rows of dy.
// Needs: the `subgroups` feature with 8-lane subgroups (the host checks); subgroup k of a workgroup is
//   invocations 8k..8k+7. Whole subgroups return together (the tile is per subgroup).
// Dispatch: x = ceil(tiles / 8) workgroups of 64 (folded into y past 65535), z = slices.
enable subgroups;
// The tile, hence the tap and every loop bound, is the same for all lanes of a subgroup, but WGSL's
// uniformity analysis only knows workgroup-uniform values, so it cannot prove that here.
diagnostic(off, subgroup_uniformity);

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<vec4<f32>>;
// cg = ceil(Co/4); cib = ceil(Ci/8); gb = ceil(cg/8); per_slice: dy rows per slice.
struct U {
  n: u32, ci: u32, h: u32, w: u32,
  co: u32, oh: u32, ow: u32, kh: u32,
  kw: u32, sh: u32, sw: u32, ph: i32,
  pw: i32, dh: u32, dw: u32, cg: u32,
  cib: u32, gb: u32, tiles: u32, per_slice: u32,
}
@group(0) @binding(3) var<uniform> u: U;

fn store(s: u32, tap: u32, c: u32, g: u32, acc: vec4<f32>) {
  if (c < u.ci && g < u.cg) { part[((s * u.kh * u.kw + tap) * u.ci + c) * u.cg + g] = acc; }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  let t = (wid.x + wid.y * nwg.x) * 8u + subgroupBroadcast(lid, 0u) / 8u;
  if (t >= u.tiles) { return; }
  let s = wid.z;
  let g = (t % u.gb) * 8u + lane;
  let c0 = ((t / u.gb) % u.cib) * 8u;
  let tap = t / (u.gb * u.cib);
  let i = tap / u.kw;
  let j = tap % u.kw;
  let ohw = u.oh * u.ow;
  let hw = u.h * u.w;
  // Channels past Co / Ci read a valid channel (clamped) and are never stored: no masks in the loop.
  let dyc = min(vec4(g * 4u) + vec4(0u, 1u, 2u, 3u), vec4(u.co - 1u)) * vec4(ohw);
  let xc = min(c0 + lane, u.ci - 1u) * hw;
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  var a4 = vec4(0.0); var a5 = vec4(0.0); var a6 = vec4(0.0); var a7 = vec4(0.0);
  // Output columns whose tap column lies inside the image: x·sw + j·dw − pw ∈ [0, W).
  let off = i32(j * u.dw) - u.pw;
  let x_lo = u32(max(0, (-off + i32(u.sw) - 1) / i32(u.sw)));
  let lim = i32(u.w) - 1 - off; // integer division truncates, so a negative limit is handled apart
  let x_hi = u32(select(0, min(lim / i32(u.sw) + 1, i32(u.ow)), lim >= 0));
  let r1 = min((s + 1u) * u.per_slice, u.n * u.oh);
  for (var r = s * u.per_slice; r < r1; r++) {
    let n = r / u.oh;
    let y = r % u.oh;
    let iy = i32(y * u.sh) - u.ph + i32(i * u.dh);
    if (iy < 0 || iy >= i32(u.h)) { continue; }
    let drow = vec4(n * u.co * ohw + y * u.ow) + dyc;
    let xrow = n * u.ci * hw + xc + u32(iy) * u.w;
    for (var xo = x_lo; xo < x_hi; xo++) {
      let d = vec4(dy[drow.x + xo], dy[drow.y + xo], dy[drow.z + xo], dy[drow.w + xo]);
      let v = x[xrow + u32(i32(xo * u.sw) + off)];
      a0 = fma(d, vec4(subgroupBroadcast(v, 0u)), a0);
      a1 = fma(d, vec4(subgroupBroadcast(v, 1u)), a1);
      a2 = fma(d, vec4(subgroupBroadcast(v, 2u)), a2);
      a3 = fma(d, vec4(subgroupBroadcast(v, 3u)), a3);
      a4 = fma(d, vec4(subgroupBroadcast(v, 4u)), a4);
      a5 = fma(d, vec4(subgroupBroadcast(v, 5u)), a5);
      a6 = fma(d, vec4(subgroupBroadcast(v, 6u)), a6);
      a7 = fma(d, vec4(subgroupBroadcast(v, 7u)), a7);
    }
  }
  store(s, tap, c0, g, a0); store(s, tap, c0 + 1u, g, a1); store(s, tap, c0 + 2u, g, a2); store(s, tap, c0 + 3u, g, a3);
  store(s, tap, c0 + 4u, g, a4); store(s, tap, c0 + 5u, g, a5); store(s, tap, c0 + 6u, g, a6); store(s, tap, c0 + 7u, g, a7);
}

// The implicit-GEMM main loops shared by conv2d forward and input-gradient kernels (included with
// `#include <lib/conv_gemm>`). The including file supplies the geometry — `Pix` and `pixels_of` (from
// <lib/conv_pixels>), `tap_offsets`, `store` — the bindings `x`, `wt`, `u` and the constants `TILED`,
// `FAST1X1`, `NG`; WGSL resolves module-scope names regardless of order, so those may come after
// this text.

var<workgroup> As: array<vec4<f32>, 256>; // [16 channels summed][16 groups of 4 output channels]
var<workgroup> Bs: array<f32, 1024>;      // [16 channels summed][64 pixels]

fn gather(offs: vec4<u32>, ok: vec4<bool>, coff: u32) -> vec4<f32> {
  let v = vec4(x[offs.x + coff], x[offs.y + coff], x[offs.z + coff], x[offs.w + coff]);
  return select(vec4(0.0), v, ok);
}

fn run_register(blk: u32, z: u32, lid: u32) {
  let g = z * NG;
  let p = vec4(blk * 256u + lid) + vec4(0u, 64u, 128u, 192u);
  let q = pixels_of(p);
  let hw = u.src_h * u.src_w;
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  var b0 = vec4(0.0); var b1 = vec4(0.0); var b2 = vec4(0.0); var b3 = vec4(0.0);
  for (var i = 0u; i < u.kh; i++) {
    for (var j = 0u; j < u.kw; j++) {
      let offs = tap_offsets(q, i, j);
      let ok = offs >= vec4(0);
      let o = vec4<u32>(max(offs, vec4(0)));
      var wi = (i * u.kw + j) * u.c_red * u.cg + g;
      var coff = 0u;
      for (var c = 0u; c < u.c_red; c++) {
        let xv = gather(o, ok, coff);
        let wv = wt[wi];
        a0 = fma(wv, vec4(xv.x), a0);
        a1 = fma(wv, vec4(xv.y), a1);
        a2 = fma(wv, vec4(xv.z), a2);
        a3 = fma(wv, vec4(xv.w), a3);
        if (NG == 2u) {
          // A second group of 4 channels reuses the same 4 gathered inputs: twice the FMAs per gather.
          let wv2 = wt[wi + 1u];
          b0 = fma(wv2, vec4(xv.x), b0);
          b1 = fma(wv2, vec4(xv.y), b1);
          b2 = fma(wv2, vec4(xv.z), b2);
          b3 = fma(wv2, vec4(xv.w), b3);
        }
        wi += u.cg;
        coff += hw;
      }
    }
  }
  store(p.x, g * 4u, a0); store(p.y, g * 4u, a1); store(p.z, g * 4u, a2); store(p.w, g * 4u, a3);
  if (NG == 2u) {
    let c1 = g * 4u + 4u;
    store(p.x, c1, b0); store(p.y, c1, b1); store(p.z, c1, b2); store(p.w, c1, b3);
  }
}

fn run_tiled(blk: u32, zb: u32, lid: u32) {
  let lx = lid % 16u;
  let ly = lid / 16u;
  let p = vec4(blk * 64u + lx) + vec4(0u, 16u, 32u, 48u);
  let q = pixels_of(p);
  let hw = u.src_h * u.src_w;
  let g_stage = zb * 16u + lx; // channel group this invocation stages
  var a0 = vec4(0.0); var a1 = vec4(0.0); var a2 = vec4(0.0); var a3 = vec4(0.0);
  for (var i = 0u; i < u.kh; i++) {
    for (var j = 0u; j < u.kw; j++) {
      let offs = tap_offsets(q, i, j);
      let o = vec4<u32>(max(offs, vec4(0)));
      let tap = i * u.kw + j;
      for (var c0 = 0u; c0 < u.c_red; c0 += 16u) {
        let ck = c0 + ly; // channel this invocation stages
        let wok = ck < u.c_red && g_stage < u.cg;
        As[lid] = select(vec4(0.0), wt[select(0u, (tap * u.c_red + ck) * u.cg + g_stage, wok)], wok);
        let xv = gather(o, (offs >= vec4(0)) & vec4(ck < u.c_red), select(0u, ck * hw, ck < u.c_red));
        Bs[ly * 64u + lx] = xv.x;
        Bs[ly * 64u + lx + 16u] = xv.y;
        Bs[ly * 64u + lx + 32u] = xv.z;
        Bs[ly * 64u + lx + 48u] = xv.w;
        workgroupBarrier();
        for (var k = 0u; k < 16u; k++) {
          let wv = As[k * 16u + ly];
          a0 = fma(wv, vec4(Bs[k * 64u + lx]), a0);
          a1 = fma(wv, vec4(Bs[k * 64u + lx + 16u]), a1);
          a2 = fma(wv, vec4(Bs[k * 64u + lx + 32u]), a2);
          a3 = fma(wv, vec4(Bs[k * 64u + lx + 48u]), a3);
        }
        workgroupBarrier();
      }
    }
  }
  let c0 = zb * 64u + ly * 4u;
  store(p.x, c0, a0); store(p.y, c0, a1); store(p.z, c0, a2); store(p.w, c0, a3);
}

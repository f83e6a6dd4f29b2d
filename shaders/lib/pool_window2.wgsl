// The 2×2 stride-2 window of output element o of an OH × OW pooling that tiles its input exactly
// (pool2d_max2, pool2d_backward_max2; included with `#include <lib/pool_window2>`).
// `top`: the vec2 index of the window's top-left input pair (an input row is OW vec2s, the row below
// is top + OW); `at`: the flat position (2·oy)·W + 2·ox of that element in its plane, W = 2·OW.
struct Window2 { top: u32, at: u32 }

fn window2(o: u32, oh: u32, ow: u32) -> Window2 {
  let plane = o / (oh * ow);
  let r = o - plane * oh * ow;
  let oy = r / ow;
  let ox = r - oy * ow;
  return Window2((plane * 2u * oh + 2u * oy) * ow + ox, 4u * oy * ow + 2u * ox);
}

// Output row orow (= plane·OH + oy) of an OH × OW pooling over 2×2 windows of stride 2 that tiles its
// input exactly (pool2d_max2, pool2d_backward_max2; included with `#include <lib/pool_window2>`).
// The window of column ox has its top-left input pair at vec2 index `top + ox` (an input row is OW
// vec2s, the row below is + OW) and its top-left element at flat position `at + 2·ox` in the plane
// ((2·oy)·W + 2·ox, W = 2·OW).
struct Row2 { top: u32, at: u32 }

fn row2(orow: u32, oh: u32, ow: u32) -> Row2 {
  let oy = orow % oh;
  return Row2(2u * orow * ow, 4u * oy * ow);
}

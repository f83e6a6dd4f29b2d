/** The functional ops the layers call, gathered in one place (src/ops owns them). */
export { conv2d } from '../ops/conv.js';
export { batchNorm, type BatchNormOptions } from '../ops/batchnorm.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type Pool2dOptions as PoolOptions } from '../ops/pool.js';
export { dropout } from '../ops/dropout.js';
export { matmul } from '../ops/matmul.js';
export { flatten, transpose, concat } from '../ops/shape.js';
export { add, mul, relu } from '../ops/elementwise.js';

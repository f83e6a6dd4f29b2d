// Importing this module registers every kernel of both backends.
import './cpu/basic.js';
import './cpu/reduce.js';
import './webgpu/basic.js';
import './webgpu/reduce.js';
import './cpu/optim.js';
import './webgpu/optim.js';
import './cpu/nr.js';
import './webgpu/nr.js';
import './cpu/gather.js';
import './cpu/concat.js';
import './webgpu/gather.js';
import './webgpu/concat.js';
import './cpu/batchnorm.js';
import './webgpu/batchnorm.js';
import './cpu/conv.js';
import './webgpu/conv.js';

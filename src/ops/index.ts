export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';

export * from './optim.js';
export * from './shape.js';
export * from './batchnorm.js';
export * from './conv.js';
export * from './pool.js';
export * from './dropout.js';
export * from './loss.js';
export * from './matmul.js';

/** Parameter-free layers: ReLU, pooling, Flatten, Dropout. Each is a thin Module over its op. */
import type { Pair } from '../core/conv-geom.js';
import { fail } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d, avgPool2d, dropout, flatten, maxPool2d, relu, type PoolOptions } from './functional.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

abstract class Pool2d extends Module {
  readonly opts: PoolOptions;
  constructor(kernelSize: Pair, stride?: Pair, padding: Pair = 0) {
    super();
    // PyTorch: stride defaults to the kernel size.
    this.opts = { kernelSize, stride: stride ?? kernelSize, padding };
  }
}
export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
}
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
}

/** Global average pooling only (output size 1), the one the models need. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize = 1) {
    super();
    if (outputSize !== 1) fail('AdaptiveAvgPool2d', `only output size 1 (global average pooling) is supported, got ${outputSize}`);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Dropout with probability `p`, active in training mode. Masks come from the seeded global
 * generator (the op draws from it when no seed is given), so runs are reproducible.
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) fail('Dropout', `p must lie in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

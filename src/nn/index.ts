/**
 * Modules, layers, initializers and the model zoo (`rj.nn`). Optimizers and schedules are `rj.optim`.
 *
 *   rj.manualSeed(0);
 *   const model = rj.createModel('vgg19', { widthMultiplier: 1 / 8, inChannels: 1, inputSize: 28 });
 *   const opt = new rj.optim.SGD(model, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 *   const sched = new rj.optim.MultiStepLR(opt, { milestones: [150, 225] });
 *   const loss = rj.tidy(() => {
 *     opt.zeroGrad();
 *     const l = rj.crossEntropy(model.forward(x), y);
 *     l.backward();
 *     opt.step();
 *     return l;
 *   });
 *   // per epoch: sched.step(); checkpoints: model.stateDict(), model.describe(), opt.stateDict()
 */
export { Module, type ParamRef, type StateDict, type LoadOptions } from './module.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm.js';
export { Linear, type LinearOptions } from './linear.js';
export { ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout } from './layers.js';
export { Sequential } from './sequential.js';
export * as init from './init.js';
export { ZooModel, type ConvBnUnit, type ChannelNode, type ModelOptions, type ModelDescription } from './graph.js';
export { createModel, modelFromDescription, MODEL_NAMES, VGG, ResNet, DenseNet } from './models/index.js';

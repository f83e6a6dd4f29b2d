/** Modules, layers, initializers and the model zoo (`rj.nn`). Optimizers are `rj.optim`. */
export { Module, type ParamRef, type StateDict, type LoadOptions } from './module.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm.js';
export { Linear, type LinearOptions } from './linear.js';
export { ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout } from './layers.js';
export { Sequential } from './sequential.js';
export * as init from './init.js';
export { ZooModel, type NRUnit, type ChannelNode, type ModelOptions, type ModelDescription } from './graph.js';
export { createModel, modelFromDescription, MODEL_NAMES, VGG, ResNet, DenseNet } from './models/index.js';

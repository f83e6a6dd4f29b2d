/** Neural Rejuvenation (Qiao et al., CVPR 2019): the public pieces (the CLI extension lives in cli.ts). */
export { NeuralRejuvenation, type NROptions, type NRState, type UtilPoint } from './nr.js';
export { LambdaController, type LambdaOptions } from './lambda.js';
export { resource, utilization, planWidths, expansionRate, effectiveParams, type ResourceMode, type WidthPlan, type Resource } from './plan.js';
export { gammaLayout, type ChannelGraph, type Source, type UnitSpec } from './channels.js';
export { channelGraphOf, rebuildModel } from './fromModel.js';
export { rejuvenateModel, installMasks, installSchemeA, type Split, type SurgeryResult } from './surgery.js';
export { installScheme, neuralRescale, type Scheme } from './schemes.js';
export { twoHeads, twoHeadLoss } from './heads.js';
export { gammaStats, gatherSurvived, maskedInit, packLayout, type GammaLayout, type GammaStats } from './ops.js';
// The split for deployment (in memory; the pair folder and `rejuv export` are Node-only: export-files.ts).
export {
  splitNetwork, splitIndex, splitSizes, pairLogits, pairForwardLoss, maskedLogits, comparePair, formatSplitSizes,
  type SplitPair, type SplitIndex, type UnitSplitIndex, type SplitSizes, type NetworkSize, type SplitOptions,
} from './export.js';

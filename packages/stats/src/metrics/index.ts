export { accuracy } from './accuracy.js';
export { type BrierScoreOptions, brierScore } from './brier-score.js';
export { type CalibrationOptions, expectedCalibrationError } from './calibration.js';
export { type ConfusionMatrix, type ConfusionMatrixOptions, confusionMatrix } from './confusion-matrix.js';
export { demographicParityDifference, equalizedOddsDifference, type FairnessOptions } from './fairness.js';
export type { Label } from './labels.js';
export { type LogLossOptions, logLoss } from './log-loss.js';
export {
  type Average,
  type PrecisionRecallF1,
  type PrecisionRecallF1Options,
  precisionRecallF1,
} from './precision-recall-f1.js';
export { mae, r2, rmse } from './regression.js';
export { rocAuc } from './roc-auc.js';

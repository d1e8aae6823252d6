export {
  type EstimatedPerformance,
  type ExpectedConfusion,
  estimateBinaryPerformance,
  fitCalibrator,
} from './cbpe.js';
export { IsotonicRegression } from './isotonic-regression.js';

// Mergeable sketches for monitoring profiles: stored serialized per endpoint × model version ×
// feature × window, merged to compare windows, never rebuilt from raw events.
export { SKETCH_FORMAT_VERSION, SketchFormatError, SketchTag } from './bytes.js';
export {
  type ColumnKind,
  ColumnProfile,
  type ColumnProfileOptions,
  type ColumnProfileSummary,
  type ColumnValue,
  SUMMARY_QUANTILES,
  type SummaryNumber,
} from './column-profile.js';
export {
  DEFAULT_FREQUENT_ITEMS_CAPACITY,
  type FrequentItemEstimate,
  FrequentItems,
  type FrequentItemsOptions,
  type SketchItem,
} from './frequent-items.js';
export { hashValue, xxhash64 } from './hash.js';
export { DEFAULT_HLL_PRECISION, HyperLogLog, type HyperLogLogOptions } from './hyperloglog.js';
export { type ProfileDrift, type ProfileDriftOptions, profileDrift } from './profile-drift.js';
export { DEFAULT_QUANTILE_K, QuantileSketch, type QuantileSketchOptions } from './quantile-sketch.js';

export { type McNemarOptions, type McNemarResult, mcnemar } from './mcnemar.js';
export {
  type PairedBootstrapOptions,
  type PairedBootstrapResult,
  pairedBootstrap,
} from './paired-bootstrap.js';
export { Xoshiro128 } from './prng.js';

export { type CohenKappaOptions, cohenKappa } from './cohen-kappa.js';
export { fleissKappa, fleissKappaFromRatings } from './fleiss-kappa.js';
export { type KrippendorffOptions, krippendorffAlpha, type MeasurementLevel } from './krippendorff-alpha.js';
export { pairwiseAgreement, percentAgreement } from './percent-agreement.js';
export { type Span, type SpanAgreement, type SpanMatch, spanF1 } from './span-f1.js';

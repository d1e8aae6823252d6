export { type CohenKappaOptions, cohenKappa } from './cohen-kappa.js';
export { fleissKappa, fleissKappaFromRatings } from './fleiss-kappa.js';
export { type KrippendorffOptions, krippendorffAlpha, type MeasurementLevel } from './krippendorff-alpha.js';

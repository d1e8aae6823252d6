// @plumb/stats: pure numerics, no I/O, no dependencies of ours.

export * from './agreement/index.js';
export * from './drift/index.js';
export * from './estimation/index.js';
export * from './metrics/index.js';
export * from './significance/index.js';
export * from './sketches/index.js';

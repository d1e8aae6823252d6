// @plumb/sdk: the wire contract (zod schemas, error envelope) and the typed client.
export * from './client.js';
export * from './errors.js';
export * from './schemas/audit.js';
export * from './schemas/blobs.js';
export * from './schemas/common.js';
export * from './schemas/datasets.js';
export * from './schemas/endpoints.js';
export * from './schemas/evals.js';
export * from './schemas/events.js';
export * from './schemas/health.js';
export * from './schemas/keys.js';
export * from './schemas/models.js';
export * from './schemas/oip.js';
export * from './schemas/performance.js';
export * from './schemas/pipelines.js';
export * from './schemas/projects.js';
export * from './schemas/runs.js';

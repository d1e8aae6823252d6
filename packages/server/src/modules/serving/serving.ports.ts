import type { ModelVersionInfo } from '../registry/registry.contracts.js';

/** What serving needs of the model registry, read per request so alias moves apply at once. */
export interface ServingRegistry {
  /** `name@vN`, `name@<alias>` or `name@latest` within a project. */
  resolve(projectId: string, ref: string): Promise<ModelVersionInfo>;
  /** The model's risk class: minimal, limited, high or unacceptable. */
  riskClass(projectId: string, model: string): Promise<string>;
}

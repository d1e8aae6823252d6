import { PlumbError } from '../../core/errors.js';
import { credentialOf, type SecretSource } from '../../core/secrets.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';

/** The version's upstream, refusing (as the caller's error) a version that is not OpenAI-compatible. */
export function openAiArtifact(endpoint: string, info: ModelVersionInfo) {
  const artifact = info.artifact;
  if (artifact.kind !== 'openai') {
    throw new PlumbError(
      'invalid_argument',
      `endpoint ${endpoint} serves ${info.ref}, which is not an OpenAI-compatible upstream; chat completions need one`,
      { details: { param: 'model', modelVersion: info.ref } },
    );
  }
  return artifact;
}

/**
 * The version's API key, read now; a key that is not there fails this version like an upstream
 * that does not answer, so the fallback chain applies.
 */
export async function upstreamKey(
  secrets: SecretSource,
  info: ModelVersionInfo,
): Promise<string | undefined> {
  const ref = info.artifact.kind === 'openai' ? credentialOf(info.artifact) : null;
  if (ref === null) return undefined;
  try {
    return await secrets.read(ref);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PlumbError('unavailable', `${info.ref}: no API key for the upstream: ${message}`);
  }
}

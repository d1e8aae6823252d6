import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlumbError } from './errors.js';

/**
 * Where an upstream's API key is read, by reference: an environment variable of the server, or
 * a file in the server's secrets folder (`<PLUMB_HOME>/secrets`). The registry stores only the
 * reference; the key is read when a call is made, so rotating it needs no new version.
 */
export type CredentialRef = { env: string } | { file: string };

/** Variable names: letters, digits and `_`, not starting with a digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** File names inside the secrets folder: no path, no leading dot. */
export const SECRET_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Plumb's own secrets (the admin key, the redaction key, the database URL with its password)
 * live in PLUMB_* variables: a registered upstream may never name one, or whoever may register
 * a version could have Plumb send them to a server of their choosing.
 */
export function isReservedEnvName(name: string): boolean {
  return name.toUpperCase().startsWith('PLUMB_');
}

/** The reference an upstream artifact names, if any. */
export function credentialOf(artifact: { apiKeyEnv?: string; apiKeyFile?: string }): CredentialRef | null {
  if (artifact.apiKeyEnv !== undefined) return { env: artifact.apiKeyEnv };
  if (artifact.apiKeyFile !== undefined) return { file: artifact.apiKeyFile };
  return null;
}

export function describeCredential(ref: CredentialRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `secret file ${ref.file}`;
}

export interface SecretSource {
  /** The key; `failed_precondition` naming the reference when it is not there or is empty. */
  read(ref: CredentialRef): Promise<string>;
}

/** Keys from this process's environment (read at each call) and from files in `dir`. */
export class ProcessSecrets implements SecretSource {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
  ) {}

  async read(ref: CredentialRef): Promise<string> {
    const what = describeCredential(ref);
    let value: string | undefined;
    if ('env' in ref) {
      if (!ENV_NAME.test(ref.env) || isReservedEnvName(ref.env))
        throw new PlumbError('failed_precondition', `the ${what} may not hold an upstream's key`);
      value = this.env[ref.env];
      if (value === undefined)
        throw new PlumbError('failed_precondition', `the ${what} is not set on the Plumb server`);
    } else {
      if (!SECRET_FILE_NAME.test(ref.file))
        throw new PlumbError('failed_precondition', `the ${what} is not a plain file name`);
      const path = join(this.dir, ref.file);
      try {
        value = await readFile(path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new PlumbError(
          'failed_precondition',
          code === 'ENOENT'
            ? `the ${what} does not exist in ${this.dir}`
            : `the ${what} could not be read (${code ?? 'error'})`,
        );
      }
    }
    // A file usually ends with a newline, and a key never contains one.
    const key = value.trim();
    if (key === '') throw new PlumbError('failed_precondition', `the ${what} is empty`);
    return key;
  }
}

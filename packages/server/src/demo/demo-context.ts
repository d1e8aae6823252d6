import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlumbClient } from '@plumb/sdk';

/** What the demo talks to and where it keeps its files. */
export interface DemoContext {
  url: string;
  /** The person running the demo: the admin key `plumb serve` created. Approves; never requests. */
  admin: PlumbClient;
  /** The demo's own maintainer key: every step is done, and audited, as `plumb-demo`. */
  client: PlumbClient;
  /** The demo key's secret, handed to the trainer it starts. */
  demoKey: string;
  /** PLUMB_HOME/demo: exported data files, trained models, the encoding table. */
  dir: string;
  say: (line: string) => void;
  /** Writes the monitoring profiles held in memory, when the server runs in this process. */
  flushProfiles?: () => Promise<void>;
}

const DEMO_KEY_NAME = 'plumb-demo';

/**
 * Connects as the admin and as the demo's maintainer key, creating that key on the first run
 * and keeping its secret in PLUMB_HOME/demo (mode 0600) so later runs act as the same key. The
 * demo requests promotions under its own name so that the person at the terminal, holding the
 * admin key, is a different principal and may approve them.
 */
export async function connectDemo(
  url: string,
  adminKey: string,
  home: string,
  say: (line: string) => void,
): Promise<DemoContext> {
  const dir = join(home, 'demo');
  mkdirSync(dir, { recursive: true });
  const admin = new PlumbClient({ url, apiKey: adminKey, timeoutMs: 120_000 });
  const keyFile = join(dir, 'demo-key.json');
  let secret: string | undefined;
  if (existsSync(keyFile)) {
    secret = (JSON.parse(readFileSync(keyFile, 'utf8')) as { secret?: string }).secret;
    if (secret) {
      const probe = new PlumbClient({ url, apiKey: secret });
      // A key revoked, or a database replaced under the same home, is made again.
      if (
        !(await probe.whoami().then(
          () => true,
          () => false,
        ))
      )
        secret = undefined;
    }
  }
  if (!secret) {
    const created = await admin.keys.create({ name: DEMO_KEY_NAME, role: 'maintainer' });
    secret = created.secret;
    writeFileSync(keyFile, `${JSON.stringify({ secret }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
  }
  const client = new PlumbClient({ url, apiKey: secret, timeoutMs: 120_000 });
  return { url, admin, client, demoKey: secret, dir, say };
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` leaves the web UI, from both src/http and dist/http. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * The UI may load only its own files and talk only to this origin: no inline script or style
 * tags, no frames, no form posts elsewhere. Styles set through the DOM (charts, the graph) are
 * not affected by style-src.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the APIs: they keep their JSON errors and are never answered with the UI. */
const API_PREFIXES = ['/api', '/v1', '/v2', '/metrics', '/healthz', '/readyz'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  type: string;
  /** Vite names files under assets/ by content hash, so they never change. */
  immutable: boolean;
}

/** The built UI, read once: only files present at start are ever served, so no path can escape. */
export interface WebAssets {
  files: ReadonlyMap<string, Asset>;
  index: Asset;
}

/** Reads the build output; null when the UI was not built (an API-only install). */
export function loadWebAssets(dir: string = DEFAULT_WEB_DIR): WebAssets | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(dir, path).split(sep).join('/')}`;
        files.set(url, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return { files, index: files.get('/index.html')! };
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Answers GET and HEAD for every non-API path before authentication: a built file when one
 * matches, otherwise index.html so the client router shows the page. Must be registered before
 * the hook that asks for a key.
 */
export function registerWebStatic(app: FastifyInstance, web: WebAssets): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path)) return;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path;
    }
    const file = web.files.get(decoded);
    // A missing asset is a 404, not the page: a stale page asking for an old chunk must fail visibly.
    if (!file && decoded.startsWith('/assets/')) {
      return reply.status(404).type('text/plain; charset=utf-8').send('not found');
    }
    const asset = file ?? web.index;
    reply
      .header('content-security-policy', WEB_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(asset.type);
    return reply.send(asset.body);
  });
}

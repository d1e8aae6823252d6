import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the sources of sibling packages, so no build is needed before `npm test`.
    alias: { '@plumb/stats': src('stats'), '@plumb/sdk': src('sdk') },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // What a page or a background job shows may take a machine running the whole suite longer
    // than expect.poll's default second; a poll that succeeds returns as soon as it does.
    expect: { poll: { timeout: 10_000 } },
  },
});

import { defineConfig } from 'vitest/config'

// Two projects: `unit` (codecs, state machines, simulations, in-process HTTPS)
// runs two files at a time; `processes` (real multi-process organisms on
// loopback) runs one file at a time, after the unit tests, so the node
// processes do not compete with simulations for this machine's two cores.
// `browser` (the conduit's page in Debian's chromium, `npm run test:browser`)
// is a separate CI stage.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: ['test/e2e/**', 'test/browser/**'], maxWorkers: 2 } },
      { extends: true, test: { name: 'processes', include: ['test/e2e/**/*.test.ts'], maxWorkers: 1, fileParallelism: false } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], maxWorkers: 1, fileParallelism: false } },
    ],
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Multi-process tests spawn real nodes; two workers fit the 2-core machines we run on.
    maxWorkers: 2,
  },
})

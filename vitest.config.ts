import { defineConfig } from 'vitest/config';

// Two tiers: pure unit tests next to the code, and integration tests that start real
// servers (kube-apiserver, etcd, the DynamoDB server) through test/helpers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 240_000,
          // Each file brings up its own servers; two cores cannot run many at once.
          fileParallelism: false,
        },
      },
    ],
  },
});

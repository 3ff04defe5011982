import { defineConfig } from 'vitest/config';

// Two tiers: pure unit tests next to the code, and integration tests that start real
// servers (kube-apiserver, etcd, the DynamoDB server) through test/helpers.
// The AWS SDK warns that its 2027 releases need Node 22; the warning adds noise to every file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
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

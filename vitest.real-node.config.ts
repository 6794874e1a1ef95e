import { defineConfig } from 'vitest/config';

// The real-node tier: tests that need real containers (isolation, limits) on the real node of
// scripts/test-cluster/real-node.sh. Not part of `npm test` yet: `npm run test:real-node`.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'k8s-real',
          include: ['test/k8s-real/**/*.test.ts'],
          globalSetup: ['test/support/global-real-node.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});

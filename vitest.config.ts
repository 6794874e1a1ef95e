import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { scrubProcessEnv } from './scripts/lib/child-env.js';
import type { BrowserName } from './test/support/browser.js';

// ci-fixer's own configuration from the caller's shell (LLM_*, GITHUB_*, GIT_TOKEN, REDIS_URL, …)
// never reaches the tests, their global setups or the processes they start (scripts/lib/child-env.ts).
// NODE_ENV is vitest's own ('test'). The test run's own inputs are named CI_FIXER_TEST_*.
const scrubbed = scrubProcessEnv(['NODE_ENV']);
if (process.env.NODE_ENV === 'production') process.env.NODE_ENV = 'test';
if (scrubbed.length > 0)
  console.warn(`vitest: ignoring ci-fixer settings from the environment: ${scrubbed.join(', ')}`);

function browserProject(name: string, browser: BrowserName): TestProjectInlineConfiguration {
  return {
    test: {
      name,
      include: ['test/browser/**/*.test.ts'],
      globalSetup: ['test/support/global-build.ts', 'test/support/global-redis.ts'],
      provide: { consoleBrowser: browser },
      testTimeout: 240_000,
      hookTimeout: 180_000,
      // One file at a time, and (as every such project) never beside another such file: each
      // runs a ci-fixer and a browser, on two cores.
      fileParallelism: false,
    },
  };
}

// Six tiers, one file each for their shared services. Global setups resolve real
// services (Redis, the test cluster) once per run and hand them to tests via inject(); the tiers
// that run the built ci-fixer (e2e, k8s, browser) rebuild a stale dist/ first.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-redis.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-build.ts', 'test/support/global-redis.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          globalSetup: [
            'test/support/global-build.ts',
            'test/support/global-redis.ts',
            'test/support/global-cluster.ts',
          ],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Real containers through podman's Docker API socket: the Dockerfile built and run, the
        // testcontainers Redis path, `docker compose up --build`. One file at a time: each builds
        // the image, which takes both cores.
        test: {
          name: 'containers',
          include: ['test/containers/**/*.test.ts'],
          globalSetup: ['test/support/global-redis.ts', 'test/support/global-containers.ts'],
          setupFiles: ['test/support/containers-beside-no-firewall.ts'],
          testTimeout: 1_500_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Real containers on the real node (scripts/test-cluster/real-node.sh): isolation, limits,
        // Services through kube-proxy, NetworkPolicy through kube-router. Its own cluster.
        test: {
          name: 'k8s-real',
          include: ['test/k8s-real/**/*.test.ts'],
          globalSetup: ['test/support/global-real-node.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      // The console in two browsers, against ci-fixer run as a built process (npm run build): Debian's
      // chromium, and Debian's firefox-esr over WebDriver BiDi. The same files, one project each.
      browserProject('browser', 'chromium'),
      browserProject('browser-firefox', 'firefox'),
    ],
  },
});

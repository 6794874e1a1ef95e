import { describe, expect, it } from 'vitest';
import { sandboxBaseEnv } from '../../src/sandbox/local.js';

describe('sandboxBaseEnv', () => {
  it("keeps the host's environment but drops ci-fixer's own settings and npm's run context", () => {
    const env = sandboxBaseEnv({
      PATH: '/usr/bin',
      HOME: '/root',
      API_TOKENS: 'secret-api-token',
      GIT_TOKEN: 'secret-git-token',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KUBECONFIG: '/root/.kube/config',
      npm_lifecycle_event: 'test',
      npm_package_name: 'ci-fixer',
      npm_config_local_prefix: '/work/main',
      INIT_CWD: '/work/main',
      npm_config_cache: '/root/.npm',
      UNSET: undefined,
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', npm_config_cache: '/root/.npm' });
  });
});

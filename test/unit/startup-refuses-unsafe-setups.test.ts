// Startup checks: a local-driver worker refuses GitHub credentials (task code could read them
// from it) unless ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS, and an App with an empty GITHUB_ALLOW
// warns in production. The API alone needs no App key and no worker needs API tokens.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { checkStartupSafety } from '../../src/main.js';
import { captureLogger } from '../support/local-sandbox.js';

const APP = { GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: '-----BEGIN KEY-----\\nabc\\n-----END KEY-----' };

describe('startup safety', () => {
  it('refuses a local-driver worker holding an App key or a personal token', () => {
    const { logger } = captureLogger();
    for (const env of [APP, { GITHUB_PERSONAL_TOKEN: 'ghp_x' }]) {
      const config = loadConfig({ ...env, SANDBOX_DRIVER: 'local' });
      for (const mode of ['worker', 'all'] as const) {
        expect(() => checkStartupSafety(mode, config, logger)).toThrow(ConfigError);
        expect(() => checkStartupSafety(mode, config, logger)).toThrow(/ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS=true/);
      }
      expect(() => checkStartupSafety('api', config, logger)).not.toThrow();
      const allowed = loadConfig({ ...env, SANDBOX_DRIVER: 'local', ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS: 'true' });
      expect(() => checkStartupSafety('worker', allowed, logger)).not.toThrow();
    }
    expect(() =>
      checkStartupSafety('worker', loadConfig({ ...APP, SANDBOX_DRIVER: 'kubernetes', KUBECONFIG: '/k' }), logger),
    ).not.toThrow();
  });

  it('warns in production when an App is configured and GITHUB_ALLOW is empty', () => {
    const prod = {
      NODE_ENV: 'production',
      API_TOKENS: 't0ken',
      REDIS_URL: 'redis://r:6379',
      SANDBOX_DRIVER: 'kubernetes',
      KUBECONFIG: '/k',
    };
    const warned = (env: Record<string, string>) => {
      const { logger, records } = captureLogger();
      checkStartupSafety('api', loadConfig(env, 'api'), logger);
      return records.some(
        (r) => r.msg === 'github_allow_empty_every_installation_accepted' && r.variable === 'GITHUB_ALLOW',
      );
    };
    expect(warned({ ...prod, GITHUB_APP_ID: '1' })).toBe(true);
    expect(warned({ ...prod, GITHUB_APP_ID: '1', GITHUB_ALLOW: 'octo-org' })).toBe(false);
    expect(warned({ ...prod })).toBe(false);
    expect(warned({ ...prod, NODE_ENV: 'development', GITHUB_APP_ID: '1' })).toBe(false);
  });

  it('lets each process hold only what it uses', () => {
    // The API: the App id without its key.
    expect(loadConfig({ GITHUB_APP_ID: '1' }, 'api').github.appId).toBe('1');
    expect(() => loadConfig({ GITHUB_APP_ID: '1' }, 'worker')).toThrow(/must be set together/);
    // A production worker: no API tokens, and no dev token either.
    const worker = loadConfig(
      { NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', SANDBOX_DRIVER: 'kubernetes', KUBECONFIG: '/k' },
      'worker',
    );
    expect(worker.auth).toEqual({ tokens: [], usingDevToken: false });
    expect(() =>
      loadConfig(
        { NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', SANDBOX_DRIVER: 'kubernetes', KUBECONFIG: '/k' },
        'api',
      ),
    ).toThrow(/API_TOKENS/);
  });
});

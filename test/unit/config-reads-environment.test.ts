import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEV_API_TOKEN, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { replaceTable } from '../../scripts/config-table.js';

describe('config', () => {
  it('runs on embedded defaults with nothing set: local sandbox, dev token, embedded Redis', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3001);
    // The dev token is well known, so the API stays on loopback unless told otherwise.
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.sandbox.driver).toBe('local');
    expect(config.sandbox.explicit).toBe(false);
    expect(config.auth).toEqual({
      tokens: [{ name: 'dev', token: DEV_API_TOKEN, scopes: ['submit', 'read:all', 'cancel'], singleUser: true }],
      usingDevToken: true,
    });
    expect(config.redis.url).toBeUndefined();
    expect(config.tasks.logMaxLines).toBe(10_000);
    expect(config.tasks.logMaxBytes).toBe(5 * 1024 * 1024);
    expect(config.sandbox.kubernetes.image).toBe('nikolaik/python-nodejs:python3.11-nodejs20-bullseye');
  });

  it('picks the kubernetes driver when a kubeconfig or in-cluster config is present', () => {
    expect(loadConfig({ KUBECONFIG: '/tmp/kc' }).sandbox.driver).toBe('kubernetes');
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }).sandbox.driver).toBe('kubernetes');
    expect(loadConfig({ KUBECONFIG: '/tmp/kc', SANDBOX_DRIVER: 'local' }).sandbox.driver).toBe('local');
  });

  it("runs sandboxes in SANDBOX_NAMESPACE, else in the pod's own namespace (POD_NAMESPACE), else in default", () => {
    const ns = (env: Record<string, string>) => loadConfig(env).sandbox.kubernetes.namespace;
    expect(ns({ SANDBOX_NAMESPACE: 'sandboxes', POD_NAMESPACE: 'team-a' })).toBe('sandboxes');
    expect(ns({ POD_NAMESPACE: 'team-a' })).toBe('team-a');
    expect(ns({})).toBe('default');
  });

  it('places sandbox pods on the configured nodes and names the field of a malformed entry', () => {
    const k = loadConfig({
      SANDBOX_NODE_SELECTOR: 'ci-fixer.dev/real-node=true, pool=sandbox',
      SANDBOX_TOLERATIONS: 'ci-fixer.dev/real-node=true:NoSchedule,dedicated:NoExecute',
    }).sandbox.kubernetes;
    expect(k.nodeSelector).toEqual({ 'ci-fixer.dev/real-node': 'true', pool: 'sandbox' });
    expect(k.tolerations).toEqual([
      { key: 'ci-fixer.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(loadConfig({}).sandbox.kubernetes).toMatchObject({ nodeSelector: {}, tolerations: [] });
    expect(() => loadConfig({ SANDBOX_NODE_SELECTOR: 'pool' })).toThrow(/SANDBOX_NODE_SELECTOR/);
    expect(() => loadConfig({ SANDBOX_NODE_SELECTOR: 'a=b=c' })).toThrow(/SANDBOX_NODE_SELECTOR/);
    expect(() => loadConfig({ SANDBOX_TOLERATIONS: 'key=value:Sometimes' })).toThrow(/SANDBOX_TOLERATIONS/);
    expect(() => loadConfig({ SANDBOX_TOLERATIONS: 'bad key:NoSchedule' })).toThrow(/SANDBOX_TOLERATIONS/);
  });

  it('names the install on its sandbox objects, a valid label value defaulting to ci-fixer', () => {
    expect(loadConfig({}).sandbox.kubernetes.instance).toBe('ci-fixer');
    expect(loadConfig({ SANDBOX_INSTANCE: 'team-a.ci-fixer' }).sandbox.kubernetes.instance).toBe('team-a.ci-fixer');
    for (const bad of ['', 'has space', '-leading', 'x'.repeat(64), 'a,b=c'])
      expect(() => loadConfig({ SANDBOX_INSTANCE: bad })).toThrow(/SANDBOX_INSTANCE/);
  });

  it('listens on every interface once real tokens are set, or where HOST says', () => {
    expect(loadConfig({ API_TOKENS: 'a1b2c3' }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).http.host).toBe('0.0.0.0');
    expect(loadConfig({ API_TOKENS: 'a1b2c3', HOST: '10.1.2.3' }).http.host).toBe('10.1.2.3');
  });

  it('splits token lists and collects every secret for redaction', () => {
    const config = loadConfig({ API_TOKENS: ' a1b2c3 , d4e5f6 ', GIT_TOKEN: 'ghp_x1y2', REDACT: 'extra-secret' });
    expect(config.auth.tokens.map((t) => t.token)).toEqual(['a1b2c3', 'd4e5f6']);
    expect(config.secrets).toEqual(['a1b2c3', 'd4e5f6', 'ghp_x1y2', 'extra-secret']);
  });

  it('refuses unsafe defaults in production, naming what is missing', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379' })).toThrow(/API_TOKENS/);
    expect(() => loadConfig({ NODE_ENV: 'production', API_TOKENS: 'x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production', API_TOKENS: 'x', REDIS_URL: 'redis://r' })).toThrow(
      /SANDBOX_DRIVER=local/,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', API_TOKENS: 'x', REDIS_URL: 'redis://r', SANDBOX_DRIVER: 'local' }).sandbox
        .driver,
    ).toBe('local');
  });

  it('names the variable of a bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
  });

  it('is documented in the README exactly as the schema says', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(replaceTable(readme)).toBe(readme);
  });
});

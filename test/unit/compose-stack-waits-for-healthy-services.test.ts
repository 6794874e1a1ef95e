// docker-compose.yml, read as Compose would read it (YAML merge keys resolved): Redis, the API and
// a worker from one image, each with a healthcheck, the app waiting for a healthy Redis, and the
// local sandbox driver chosen explicitly (production config refuses an implicit one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { checkStartupSafety } from '../../src/main.js';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';

interface Service {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  read_only?: boolean;
  cap_drop?: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const { redis, api, worker } = compose.services;

/** The environment a container would get, with ${VAR:-default} / ${VAR:?msg} given `vars`. */
function interpolate(env: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      v.replace(
        /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
        (_, name: string, op?: string, rest?: string) => vars[name] ?? (op === '-' ? (rest ?? '') : ''),
      ),
    ]),
  );
}

/** What a user's shell might export: GitHub credentials included, which compose must not hand the worker. */
const SHELL = {
  API_TOKENS: 'compose-test-token',
  REDIS_PASSWORD: 'compose-redis-password',
  GITHUB_APP_PRIVATE_KEY: 'pem-from-the-shell',
  GITHUB_PERSONAL_TOKEN: 'ghp_from_the_shell',
  GITHUB_WEBHOOK_SECRETS: 'whsec-from-the-shell',
};

describe('docker-compose.yml', () => {
  it('runs redis, api and worker, the app from the one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'redis', 'worker']);
    expect(api?.image).toBe('ci-fixer:latest');
    expect(worker?.image).toBe('ci-fixer:latest');
    expect(api?.command).toEqual(['api']);
    expect(worker?.command).toEqual(['worker']);
  });

  // The container tests run `docker compose up --build` on local images by setting NODE_IMAGE and
  // REDIS_IMAGE; unset, the stack must build and run exactly what the Dockerfile and README name.
  it("builds the app from the repository on the Dockerfile's own default base unless NODE_IMAGE is set", () => {
    const dockerfileDefault = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(dockerfileDefault).toBe('node:24-bookworm-slim');
    for (const app of [api, worker]) {
      expect(app?.build?.context).toBe('.');
      expect(interpolate(app?.build?.args ?? {}, {})).toEqual({ NODE_IMAGE: dockerfileDefault });
      expect(interpolate(app?.build?.args ?? {}, { NODE_IMAGE: 'local/node:24' })).toEqual({
        NODE_IMAGE: 'local/node:24',
      });
    }
    expect(interpolate({ image: redis?.image ?? '' }, {}).image).toBe('redis:7-alpine');
    expect(interpolate({ image: redis?.image ?? '' }, { REDIS_IMAGE: 'local/redis:7' }).image).toBe('local/redis:7');
  });

  it('gives every service a healthcheck and starts the app only on a healthy Redis', () => {
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(api?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3001/readyz');
    expect(worker?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9464/readyz');
    for (const app of [api, worker]) expect(app?.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('hands the app a configuration that production mode accepts, with the local sandbox driver', () => {
    for (const [mode, app] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      const env = interpolate(app?.environment ?? {}, SHELL);
      expect(env.SANDBOX_DRIVER).toBe('local');
      const config = loadConfig(env, mode);
      expect(config.production).toBe(true);
      expect(config.sandbox.driver).toBe('local');
      expect(config.redis.url).toBe('redis://:compose-redis-password@redis:6379');
      expect(() => checkStartupSafety(mode, config, createLogger('silent'))).not.toThrow();
    }
    expect(loadConfig(interpolate(api?.environment ?? {}, SHELL), 'api').auth.tokens.map((t) => t.token)).toEqual([
      'compose-test-token',
    ]);
  });

  it('gives the worker, which runs task code unisolated, no GitHub credentials and no API tokens', () => {
    const env = interpolate(worker?.environment ?? {}, SHELL);
    for (const key of ['GITHUB_APP_PRIVATE_KEY', 'GITHUB_PERSONAL_TOKEN', 'API_TOKENS', 'GITHUB_WEBHOOK_SECRETS'])
      expect(env, key).not.toHaveProperty(key);
    expect(Object.values(env).join('\n')).not.toContain('ghp_from_the_shell');
    // The API gets its tokens and webhook secrets, but no key either.
    const apiEnv = interpolate(api?.environment ?? {}, SHELL);
    expect(apiEnv).not.toHaveProperty('GITHUB_APP_PRIVATE_KEY');
    expect(apiEnv).not.toHaveProperty('GITHUB_PERSONAL_TOKEN');
    expect(apiEnv.GITHUB_WEBHOOK_SECRETS).toBe('whsec-from-the-shell');
  });

  it('puts a password on Redis, required from the shell, and carries it in REDIS_URL', () => {
    expect(redis?.command?.join(' ')).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(redis?.environment?.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?.+\}$/);
    expect(redis?.environment?.REDISCLI_AUTH).toMatch(/^\$\{REDIS_PASSWORD:\?.+\}$/);
  });

  it('refuses to start without API_TOKENS rather than falling back to a default', () => {
    expect(api?.environment?.API_TOKENS).toMatch(/^\$\{API_TOKENS:\?.+\}$/);
  });

  it('lets a stopping worker drain longer than WORKER_DRAIN_SECONDS', () => {
    const drain = Number(worker?.environment?.WORKER_DRAIN_SECONDS);
    expect(Number(worker?.stop_grace_period?.replace(/s$/, ''))).toBeGreaterThan(drain);
  });

  it('runs the app containers read-only with every capability dropped', () => {
    for (const app of [api, worker]) {
      expect(app?.read_only).toBe(true);
      expect(app?.cap_drop).toEqual(['ALL']);
    }
  });
});

// docker-compose.yml, read as Compose would read it (YAML merge keys resolved): Redis, the API and
// a worker from one image, each with a healthcheck, the app waiting for a healthy Redis, and the
// local sandbox driver chosen explicitly (production config refuses an implicit one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';

interface Service {
  image?: string;
  build?: string;
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
      v.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, rest?: string) => vars[name] ?? (op === '-' ? (rest ?? '') : '')),
    ]),
  );
}

describe('docker-compose.yml', () => {
  it('runs redis, api and worker, the app from the one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'redis', 'worker']);
    expect(api?.image).toBe('ci-fixer:latest');
    expect(worker?.image).toBe('ci-fixer:latest');
    expect(api?.command).toEqual(['api']);
    expect(worker?.command).toEqual(['worker']);
  });

  it('gives every service a healthcheck and starts the app only on a healthy Redis', () => {
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(api?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3001/readyz');
    expect(worker?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9464/readyz');
    for (const app of [api, worker]) expect(app?.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('hands the app a configuration that production mode accepts, with the local sandbox driver', () => {
    for (const app of [api, worker]) {
      const env = interpolate(app?.environment ?? {}, { API_TOKENS: 'compose-test-token' });
      expect(env.SANDBOX_DRIVER).toBe('local');
      const config = loadConfig(env);
      expect(config.production).toBe(true);
      expect(config.sandbox.driver).toBe('local');
      expect(config.redis.url).toBe('redis://redis:6379');
      expect(config.auth.tokens.map((t) => t.token)).toEqual(['compose-test-token']);
    }
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

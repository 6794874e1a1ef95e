// What the API port serves without a token, on the composed runtime: /metrics is on METRICS_PORT
// only (in every mode); the OpenAPI document stays public on purpose (the API's shape, no task
// data); every task route needs a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startRuntime, type Runtime } from '../../src/main.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';

describe('exposure of the API port', () => {
  const prefix = uniquePrefix('exposure');
  let runtime: Runtime;
  beforeAll(async () => {
    const config = loadConfig(
      {
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        API_TOKENS: 'exposure-token',
        PORT: '0',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
      },
      'api',
    );
    runtime = await startRuntime('api', config, createLogger('silent'));
  });
  afterAll(async () => {
    await runtime?.stop();
    const redis = connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  const api = (path: string) => fetch(`http://127.0.0.1:${runtime.port}${path}`, { signal: AbortSignal.timeout(5000) });

  it('serves /metrics on the metrics port only', async () => {
    expect((await api('/metrics')).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${runtime.metricsPort}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ci_fixer_queue_depth');
    expect(runtime.metricsPort).not.toBe(runtime.port);
  });

  it('serves the OpenAPI document without a token, and no task route', async () => {
    const doc = await api('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/tasks/00000000-0000-4000-8000-000000000000',
      '/api/v1/tasks/00000000-0000-4000-8000-000000000000/logs',
    ]) {
      expect((await api(path)).status, path).toBe(401);
    }
  });
});

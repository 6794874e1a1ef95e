// DNS rebinding: on the dev token or a loopback bind, only loopback names (plus PUBLIC_URL's host
// and ALLOWED_HOSTS) are served, so a web page that rebinds its own name to 127.0.0.1 cannot use
// the well-known dev token. Real HTTP on loopback, with the Host header a browser would send.
import { serve, type ServerType } from '@hono/node-server';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryTaskService } from '../support/memory-task-service.js';

let server: ServerType | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

async function listen(env: Record<string, string>): Promise<number> {
  const config = loadConfig(env);
  const app = createApp({
    tasks: new MemoryTaskService(),
    metrics: createMetrics(),
    logger: createLogger('silent'),
    config: { auth: config.auth, http: config.http },
  });
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
  });
}

/** GET with an explicit Host header (fetch would not let us set it). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { Host: host, Authorization: 'Bearer dev-token' }, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Host header on the loopback dev setup', () => {
  it('refuses a rebound name and serves loopback names', async () => {
    const port = await listen({});
    const rebound = await get(port, '/api/v1/tasks/00000000-0000-4000-8000-000000000000', `attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'forbidden' } });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await get(port, '/api/v1/tasks/00000000-0000-4000-8000-000000000000', host)).status, host).toBe(404);
    }
  });

  it('serves ALLOWED_HOSTS and the PUBLIC_URL host too', async () => {
    const port = await listen({ ALLOWED_HOSTS: 'dev.internal', PUBLIC_URL: 'https://fixer.example.test' });
    expect((await get(port, '/healthz', 'dev.internal')).status).toBe(200);
    expect((await get(port, '/healthz', 'fixer.example.test')).status).toBe(200);
    expect((await get(port, '/healthz', 'other.example')).status).toBe(403);
  });

  it('does not check Host once real tokens are set and the API listens beyond loopback', async () => {
    const port = await listen({ API_TOKENS: 'dev-token' });
    expect((await get(port, '/healthz', 'fixer.example.com')).status).toBe(200);
  });
});

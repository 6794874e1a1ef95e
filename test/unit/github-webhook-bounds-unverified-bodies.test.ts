// The webhook route reads a body before it can check its signature, so what anyone on the network
// can make it hold is bounded: 1 MiB per delivery by default (413 above), and at most
// GITHUB_WEBHOOK_MAX_UNVERIFIED bodies being read at once (503 with Retry-After above; GitHub
// redelivers). Over real HTTP on loopback, with uploads held open half-sent.
import { serve, type ServerType } from '@hono/node-server';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryTaskService } from '../support/memory-task-service.js';

const HEADERS = {
  'Content-Type': 'application/json',
  'X-GitHub-Event': 'ping',
  'X-GitHub-Delivery': 'd-1',
  'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}`,
};

describe('webhook bodies before their signature is checked', () => {
  const config = loadConfig({ API_TOKENS: 'api-token', GITHUB_WEBHOOK_SECRETS: 'webhook-secret' });
  const tasks = new MemoryTaskService();
  const app = createApp({
    tasks,
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    config: { auth: config.auth, http: config.http, github: config.github },
  });
  let server: ServerType;
  let port: number;

  beforeAll(async () => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  const deliver = (body: string) =>
    fetch(`http://127.0.0.1:${port}/webhooks/github`, { method: 'POST', headers: HEADERS, body });

  it('refuses a delivery over 1 MiB by default with 413', async () => {
    const res = await deliver(`{"zen":"${'x'.repeat(1024 * 1024 + 512)}"}`);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect((await deliver('{"zen":"small"}')).status).toBe(401);
    expect(config.github.webhookBodyLimitBytes).toBe(1024 * 1024);
  });

  it('answers 503 with Retry-After once 16 unverified bodies are being read, and recovers', async () => {
    // Sixteen uploads that declared 64 KiB and sent 10 bytes: each holds a slot while it lasts.
    const held: http.ClientRequest[] = [];
    for (let i = 0; i < 16; i++) {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/webhooks/github',
        headers: { ...HEADERS, 'Content-Length': String(64 * 1024) },
      });
      req.on('error', () => undefined); // destroyed below
      req.write('{"zen":"xx');
      held.push(req);
    }
    try {
      // The server reads all sixteen before the next one is turned away; poll until it is.
      let res: Response | undefined;
      for (let i = 0; i < 100; i++) {
        res = await deliver('{"zen":"small"}');
        if (res.status === 503) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(res?.status).toBe(503);
      expect(res?.headers.get('retry-after')).toBe('1');
      expect(((await res!.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    } finally {
      for (const req of held) req.destroy();
    }
    // The slots are released when those uploads end.
    let after = 0;
    for (let i = 0; i < 100 && after !== 401; i++) {
      after = (await deliver('{"zen":"small"}')).status;
      if (after !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(after).toBe(401);
    expect(config.github.webhookMaxUnverified).toBe(16);
  });
});

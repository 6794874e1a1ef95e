// Malformed and mutated deliveries over real HTTP: whatever arrives, the answer is a 2xx or 4xx,
// never a 5xx, and the server keeps answering. Most cases are validly signed, so they get past the
// signature check into parsing and event mapping, where a crash would hide.
import { serve, type ServerType } from '@hono/node-server';
import { sign } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, failedCheckRun, failedWorkflowRun, WEBHOOK_SECRET } from '../support/github-payloads.js';
import { buildWebhookApp } from '../support/github-webhook-app.js';

const RUNS = 600;
const FUZZ_BOUND_MS = 120_000;
const EVENTS = ['workflow_run', 'check_run', 'ping', 'push', 'issues', 'workflow_job', ''];

/** Every path to a value in a JSON document, e.g. ['workflow_run', 'pull_requests', 0, 'number']. */
function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  if (typeof value === 'object' && value !== null && out.length < 2000) {
    for (const [key, child] of Object.entries(value)) {
      const at = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(at);
      paths(child, at, out);
    }
  }
  return out;
}

function mutate(
  payload: Record<string, any>,
  at: Array<string | number>,
  replacement: unknown,
  remove: boolean,
): Record<string, any> {
  let node: any = payload;
  for (const key of at.slice(0, -1)) node = node[key];
  const last = at[at.length - 1] as string | number;
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = replacement;
  return payload;
}

const BASES = [
  failedWorkflowRun,
  failedCheckRun,
  () => example('ping'),
  () => example('workflow_run'),
  () => example('check_run'),
];

const mutatedPayload = fc
  .record({
    base: fc.integer({ min: 0, max: BASES.length - 1 }),
    pick: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }),
    remove: fc.boolean(),
    times: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ base, pick, value, remove, times }) => {
    let payload = (BASES[base] as () => Record<string, any>)();
    for (let i = 0; i < times; i++) {
      const all = paths(payload);
      if (all.length === 0) break;
      payload = mutate(
        payload,
        all[(pick + i * 7919) % all.length] as Array<string | number>,
        structuredClone(value),
        remove,
      );
    }
    return JSON.stringify(payload);
  });

const body = fc.oneof(
  { weight: 6, arbitrary: mutatedPayload },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '{"action":"completed"}', 'payload=%7B%7D') },
);

const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 80 });
const signatureKind = fc.constantFrom('valid', 'valid', 'valid', 'valid', 'wrong-secret', 'garbage', 'missing', 'sha1');

describe('webhook fuzzing', () => {
  let server: ServerType;
  let base: string;
  let sent = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    const { app } = buildWebhookApp({ bodyLimitBytes: 64 * 1024 });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // 600 HTTP round trips take ~7 s on an idle 2-core machine and more while a build runs beside;
  // the bound only catches a hang.
  it(
    `answers ${RUNS} mutated or malformed deliveries with 2xx/4xx only, then still answers`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          body,
          fc.oneof(fc.constantFrom(...EVENTS), headerText),
          signatureKind,
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'application/x-www-form-urlencoded',
            'text/plain',
            '',
          ),
          fc.oneof(fc.uuid(), headerText),
          headerText,
          async (text, event, kind, contentType, deliveryId, junk) => {
            const headers: Record<string, string> = { 'X-GitHub-Event': event, 'X-GitHub-Delivery': deliveryId };
            if (contentType !== '') headers['Content-Type'] = contentType;
            if (kind === 'valid') headers['X-Hub-Signature-256'] = await sign(WEBHOOK_SECRET, text === '' ? ' ' : text);
            if (kind === 'wrong-secret') headers['X-Hub-Signature-256'] = await sign('wrong', text === '' ? ' ' : text);
            if (kind === 'garbage') headers['X-Hub-Signature-256'] = junk;
            if (kind === 'sha1') headers['X-Hub-Signature'] = `sha1=${junk}`;
            const res = await fetch(`${base}/webhooks/github`, {
              method: 'POST',
              headers,
              body: text,
              signal: AbortSignal.timeout(10_000),
            });
            await res.arrayBuffer();
            sent += 1;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            expect(res.status, `${event} ${kind}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
            expect(res.status, `${event} ${kind}: ${text.slice(0, 200)}`).toBeLessThan(500);
          },
        ),
        { numRuns: RUNS },
      );
      expect(sent).toBeGreaterThanOrEqual(500);
      // Valid, signed failures did get through to tasks, so the fuzzing reached the mapping code.
      expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
      const ping = JSON.stringify({ zen: 'still here' });
      const alive = await fetch(`${base}/webhooks/github`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'ping',
          'X-GitHub-Delivery': 'after-fuzz',
          'X-Hub-Signature-256': await sign(WEBHOOK_SECRET, ping),
        },
        body: ping,
      });
      expect(alive.status).toBe(200);
      console.info(`webhook fuzz: ${sent} deliveries, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    },
    FUZZ_BOUND_MS,
  );
});

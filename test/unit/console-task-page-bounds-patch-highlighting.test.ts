// A task page for a huge patch with long lines: highlighting is bounded, so the page renders and
// the event loop that also answers /healthz and /api/v1 stays free. Before the bound, one 4 KiB
// line took seconds to highlight and a 1 MiB patch blocked the process for minutes.
import { serve, type ServerType } from '@hono/node-server';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HIGHLIGHTED_LINE } from '../../src/console/pages/diff.js';
import type { FixResult } from '../../src/task.js';
import { buildTestApp, TOKENS } from '../support/api-harness.js';

/** A long line that is slow to highlight as TypeScript, with markup that must come out escaped. */
const LONG_LINE = `const a = ${'1,'.repeat(2000)} '<script>&amp;'`;
const SHORT_LINE = 'export const answer = 42;';

function hugePatch(): string {
  const lines = ['diff --git a/src/gen.ts b/src/gen.ts', '--- a/src/gen.ts', '+++ b/src/gen.ts', '@@ -1,1 +1,300 @@'];
  lines.push(`+${SHORT_LINE}`);
  let size = lines.join('\n').length;
  while (size < 1024 * 1024) {
    lines.push(`+${LONG_LINE}`);
    size += LONG_LINE.length + 2;
  }
  return `${lines.join('\n')}\n`;
}

describe('a task page for a 1 MiB patch with long lines', () => {
  const { app, tasks } = buildTestApp({ console: true });
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
  });

  it('renders the long lines as escaped plain text while /healthz keeps answering', async () => {
    const patch = hugePatch();
    expect(patch.length).toBeGreaterThan(1024 * 1024);
    expect(LONG_LINE.length).toBeGreaterThan(MAX_HIGHLIGHTED_LINE);
    const result: FixResult = {
      outcome: 'fixed',
      fixer: 'generated',
      patch,
      patchTruncated: false,
      commands: [],
    };
    const task = tasks.seed({ state: 'succeeded', result });

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const headers = { Cookie: `ci_fixer_session=${TOKENS[0]}` };
    const [page, health] = await Promise.all([
      fetch(`${base}/tasks/${task.id}`, { headers, signal: AbortSignal.timeout(60_000) }),
      fetch(`${base}/healthz`, { signal: AbortSignal.timeout(60_000) }),
    ]);
    loop.disable();

    expect(health.status).toBe(200);
    expect(page.status).toBe(200);
    // No single stretch of work held the loop for long: a generous bound, far below the tens of
    // seconds the unbounded highlighter took on this patch.
    expect(loop.max / 1e6).toBeLessThan(3000);
    const html = await page.text();
    // Every long line is on the page, escaped, with no highlighting markup inside it.
    const escaped = `const a = ${'1,'.repeat(2000)} &#39;&lt;script&gt;&amp;amp;&#39;`;
    expect(html.split(escaped).length - 1).toBe(patch.split(LONG_LINE).length - 1);
    expect(html).not.toContain('<script>&amp;');
    // Short lines are still highlighted.
    expect(html).toMatch(/<span class="hljs-keyword">export<\/span>/);
  }, 90_000);
});

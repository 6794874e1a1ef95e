import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogPage } from '../../src/queue/types.js';
import { AUTH, buildTestApp } from '../support/api-harness.js';
import { logLines } from '../support/memory-task-service.js';

type App = ReturnType<typeof buildTestApp>['app'];

async function page(app: App, id: string, query: string): Promise<LogPage> {
  const res = await app.request(`/api/v1/tasks/${id}/logs?${query}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return (await res.json()) as LogPage;
}

describe('GET /api/v1/tasks/:id/logs pages by cursor', () => {
  it('returns every line exactly once across pages, and done only once the task is final', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'running' }, logLines(1234));
    const seen: string[] = [];
    let cursor = 0;
    for (let i = 0; i < 100; i++) {
      const p = await page(app, task.id, `cursor=${cursor}&limit=100`);
      expect(p.nextCursor).toBe(cursor + p.lines.length);
      expect(p.done).toBe(false);
      seen.push(...p.lines.map((l) => l.text));
      if (p.lines.length === 0) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(logLines(1234).map((l) => l.text));

    tasks.appendLogs(task.id, logLines(5, 1234));
    tasks.update(task.id, { state: 'failed' });
    const last = await page(app, task.id, `cursor=${cursor}&limit=3`);
    expect(last.lines.map((l) => l.text)).toEqual(['line 1234', 'line 1235', 'line 1236']);
    expect(last.done).toBe(false);
    const end = await page(app, task.id, `cursor=${last.nextCursor}&limit=3`);
    expect(end).toEqual({ lines: logLines(2, 1237), nextCursor: 1239, done: true });
  });

  it('never loses or repeats a line, whatever the page sizes and however the log grows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 15 })), {
          minLength: 1,
          maxLength: 30,
        }),
        async (steps) => {
          const { app, tasks } = buildTestApp();
          const task = tasks.seed({ state: 'running' });
          let written = 0;
          let cursor = 0;
          const seen: string[] = [];
          for (const [limit, growth] of steps) {
            tasks.appendLogs(task.id, logLines(growth, written));
            written += growth;
            const p = await page(app, task.id, `cursor=${cursor}&limit=${limit}`);
            seen.push(...p.lines.map((l) => l.text));
            cursor = p.nextCursor;
          }
          tasks.update(task.id, { state: 'succeeded' });
          for (let guard = 0; guard < 1000; guard++) {
            const p = await page(app, task.id, `cursor=${cursor}&limit=7`);
            seen.push(...p.lines.map((l) => l.text));
            cursor = p.nextCursor;
            if (p.done) break;
          }
          expect(seen).toEqual(logLines(written).map((l) => l.text));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('returns lines with ts, stream and text', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({}, [{ ts: '2026-01-01T00:00:00.000Z', stream: 'stderr', text: 'boom' }]);
    expect(await page(app, task.id, '')).toEqual({
      lines: [{ ts: '2026-01-01T00:00:00.000Z', stream: 'stderr', text: 'boom' }],
      nextCursor: 1,
      done: false,
    });
  });

  it('defaults to cursor 0 and 500 lines, and allows at most 5000', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'succeeded' }, logLines(6000));
    const first = await page(app, task.id, '');
    expect(first.lines).toHaveLength(500);
    expect(first.lines[0]?.text).toBe('line 0');
    const big = await page(app, task.id, 'cursor=500&limit=5000');
    expect(big.lines).toHaveLength(5000);
    expect(big.nextCursor).toBe(5500);
    expect(big.done).toBe(false);
  });

  it('answers a cursor past the end with an empty page that keeps the cursor', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'running' }, logLines(3));
    expect(await page(app, task.id, 'cursor=10')).toEqual({ lines: [], nextCursor: 10, done: false });
  });
});

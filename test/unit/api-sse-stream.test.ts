import { describe, expect, it, vi } from 'vitest';
import type { LogLine, TaskRecord } from '../../src/task.js';
import { AUTH, buildTestApp, type HarnessOptions } from '../support/api-harness.js';
import { logLines } from '../support/memory-task-service.js';
import { SseReader, type SseEvent } from '../support/sse-reader.js';

// Large poll and keep-alive intervals, so a test passes only through watch() hints unless it says otherwise.
const QUIET = { pollMs: 60_000, keepAliveMs: 60_000 };

function setup(options: HarnessOptions = {}) {
  return buildTestApp({ sse: QUIET, ...options });
}

async function open(
  app: ReturnType<typeof setup>['app'],
  id: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const res = await app.request(`/api/v1/tasks/${id}/events${query}`, { headers: { ...AUTH, ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return new SseReader(res);
}

const texts = (events: SseEvent[]): string[] =>
  events.filter((e) => e.event === 'log').map((e) => (JSON.parse(e.data) as LogLine).text);
const kinds = (events: SseEvent[]): string[] => events.map((e) => e.event);

describe('GET /api/v1/tasks/:id/events', () => {
  it('sends the state, then every line with its cursor as id, then end, and closes', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'succeeded' }, logLines(3));
    const events = await (await open(app, task.id)).all();
    expect(kinds(events)).toEqual(['state', 'log', 'log', 'log', 'end']);
    expect(JSON.parse(events[0]!.data)).toEqual(task);
    expect(events.map((e) => e.id)).toEqual(['0', '1', '2', '3', '3']);
    expect(events.slice(1, 4).map((e) => JSON.parse(e.data))).toEqual(logLines(3));
    expect(JSON.parse(events[4]!.data)).toEqual({ reason: 'final', state: 'succeeded', cursor: 3 });
    expect(tasks.watcherCount(task.id)).toBe(0);
  });

  it('sends a backlog larger than one round of pages without waiting for a hint', async () => {
    const { app, tasks } = setup({ sse: { ...QUIET, pageSize: 2 } });
    const task = tasks.seed({ state: 'succeeded' }, logLines(101));
    const events = await (await open(app, task.id)).all();
    expect(texts(events)).toEqual(logLines(101).map((l) => l.text));
    expect(events.at(-1)).toMatchObject({ event: 'end', id: '101' });
  });

  it('starts after the cursor from the query', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'failed' }, logLines(5));
    const events = await (await open(app, task.id, '?cursor=3')).all();
    expect(texts(events)).toEqual(['line 3', 'line 4']);
    expect(events.filter((e) => e.event === 'log').map((e) => e.id)).toEqual(['4', '5']);
  });

  it('lets Last-Event-ID win over the query cursor, as on an EventSource reconnect', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'failed' }, logLines(5));
    const events = await (await open(app, task.id, '?cursor=1', { 'Last-Event-ID': '4' })).all();
    expect(texts(events)).toEqual(['line 4']);
  });

  it('streams new lines and state changes as they happen and ends when the task is final', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'queued' }, logLines(2));
    const reader = await open(app, task.id);
    const first = await reader.until((e) => e.id === '2');
    expect(kinds(first)).toEqual(['state', 'log', 'log']);
    await vi.waitFor(() => expect(tasks.watcherCount(task.id)).toBe(1));

    tasks.update(task.id, { state: 'running', phase: 'cloning' });
    const running = await reader.until((e) => e.event === 'state');
    expect(JSON.parse(running[0]!.data)).toMatchObject({ state: 'running', phase: 'cloning' });

    tasks.appendLogs(task.id, logLines(3, 2));
    const more = await reader.until((e) => e.id === '5');
    expect(texts(more)).toEqual(['line 2', 'line 3', 'line 4']);

    tasks.appendLogs(task.id, logLines(1, 5), { notify: false });
    tasks.update(task.id, { state: 'succeeded', phase: 'reporting', finishedAt: new Date().toISOString() });
    const rest = await reader.all();
    expect(kinds(rest)).toEqual(['state', 'log', 'end']);
    expect((JSON.parse(rest[0]!.data) as TaskRecord).state).toBe('succeeded');
    expect(rest[1]!.id).toBe('6');
    expect(await reader.next()).toBeNull();
    expect(tasks.watcherCount(task.id)).toBe(0);
  });

  it('sends the final state before end when the task finishes between the state read and the log read', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'running' }, logLines(1));
    tasks.beforeReadLogs = (id) => {
      tasks.beforeReadLogs = null;
      tasks.update(id, { state: 'failed', error: { code: 'boom', message: 'boom' } }, { notify: false });
    };
    const events = await (await open(app, task.id)).all();
    expect(kinds(events)).toEqual(['state', 'log', 'state', 'end']);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ state: 'running' });
    expect(JSON.parse(events[2]!.data)).toMatchObject({ state: 'failed', error: { code: 'boom' } });
  });

  it('resumes a dropped stream from Last-Event-ID without losing or repeating a line', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'running' }, logLines(4));
    const firstReader = await open(app, task.id);
    const first = await firstReader.until((e) => e.id === '4');
    await firstReader.cancel();
    tasks.appendLogs(task.id, logLines(3, 4));
    tasks.update(task.id, { state: 'succeeded' });

    const lastId = first.at(-1)!.id!;
    const second = await (await open(app, task.id, '', { 'Last-Event-ID': lastId })).all();
    expect([...texts(first), ...texts(second)]).toEqual(logLines(7).map((l) => l.text));
    expect(kinds(second)).toEqual(['state', 'log', 'log', 'log', 'end']);
  });

  it('picks up a change whose hint was lost, through the fallback poll', async () => {
    const { app, tasks } = setup({ sse: { pollMs: 20, keepAliveMs: 60_000 } });
    const task = tasks.seed({ state: 'running' });
    const reader = await open(app, task.id);
    await reader.until((e) => e.event === 'state');
    tasks.appendLogs(task.id, logLines(1), { notify: false });
    tasks.update(task.id, { state: 'cancelled' }, { notify: false });
    const rest = await reader.all();
    expect(kinds(rest)).toEqual(['state', 'log', 'end']);
  });

  it('sends a keep-alive comment when there is nothing to say', async () => {
    const { app, tasks } = setup({ sse: { pollMs: 60_000, keepAliveMs: 10 } });
    const task = tasks.seed({ state: 'running' });
    const reader = await open(app, task.id);
    expect((await reader.next())?.event).toBe('state');
    expect(await reader.next()).toMatchObject({ comment: 'keep-alive' });
    await reader.cancel();
  });

  it('stops watching when the client goes away', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'running' });
    const reader = await open(app, task.id);
    await reader.next();
    await vi.waitFor(() => expect(tasks.watcherCount(task.id)).toBe(1));
    await reader.cancel();
    await vi.waitFor(() => expect(tasks.watcherCount(task.id)).toBe(0));
  });

  it('closes a stream that reached its maximum duration without claiming the end', async () => {
    const { app, tasks } = setup({ sse: { ...QUIET, maxStreamMs: 30 } });
    const task = tasks.seed({ state: 'running' }, logLines(1));
    const events = await (await open(app, task.id)).all();
    expect(kinds(events)).toEqual(['state', 'log']);
    expect(tasks.watcherCount(task.id)).toBe(0);
  });

  it('tells the client when the task disappears (retention expired)', async () => {
    const { app, tasks } = setup();
    const task = tasks.seed({ state: 'running' });
    const reader = await open(app, task.id);
    await reader.next();
    tasks.expire(task.id);
    const rest = await reader.all();
    expect(rest.map((e) => [e.event, JSON.parse(e.data).reason])).toEqual([['end', 'gone']]);
  });

  it('reports a failure of the service as an error event and closes', async () => {
    const { app, tasks, logs } = setup({ sse: { pollMs: 20, keepAliveMs: 60_000 } });
    const task = tasks.seed({ state: 'running' });
    const reader = await open(app, task.id);
    await reader.next();
    tasks.brokenWith = new Error('redis went away');
    const rest = await reader.all();
    expect(rest).toEqual([
      {
        event: 'error',
        id: undefined,
        data: JSON.stringify({ code: 'internal', message: 'stream failed; reconnect to resume' }),
      },
    ]);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'sse_failed', taskId: task.id }));
    expect(tasks.watcherCount(task.id)).toBe(0);
  });

  it('refuses streams beyond the cap with 503', async () => {
    const { app, tasks } = setup({ sse: { ...QUIET, maxStreams: 1 } });
    const task = tasks.seed({ state: 'running' });
    // Refused requests give their slot back.
    for (let i = 0; i < 3; i++) {
      expect(
        (await app.request('/api/v1/tasks/6f1c2f0e-3d7a-4b9e-9c41-2a5e8f7d1b30/events', { headers: AUTH })).status,
      ).toBe(404);
    }
    const reader = await open(app, task.id);
    const res = await app.request(`/api/v1/tasks/${task.id}/events`, { headers: AUTH });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'too many open event streams' } });
    await reader.cancel();
    await vi.waitFor(async () => {
      const again = await app.request(`/api/v1/tasks/${task.id}/events`, { headers: AUTH });
      await again.body?.cancel();
      expect(again.status).toBe(200);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { taskRecordSchema } from '../../src/api/schemas.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { TaskRecord } from '../../src/task.js';
import { MemoryTaskService } from '../support/memory-task-service.js';
import { AUTH, buildTestApp, jsonPost, TOKENS, VALID_SPEC } from '../support/api-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('submitting a task', () => {
  it('stores the parsed spec and answers 202 with relative URLs and a Location header', async () => {
    const { app, tasks } = buildTestApp();
    const spec = {
      ...VALID_SPEC,
      command: '  npm test  ',
      fixers: ['prettier'],
      timeoutSeconds: 60,
      labels: { team: 'web' },
    };
    const res = await app.request('/api/v1/tasks', jsonPost(spec));
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, string>;
    expect(body.id).toMatch(UUID);
    expect(body).toEqual({
      id: body.id,
      statusUrl: `/api/v1/tasks/${body.id}`,
      logsUrl: `/api/v1/tasks/${body.id}/logs`,
      eventsUrl: `/api/v1/tasks/${body.id}/events`,
    });
    expect(res.headers.get('location')).toBe(`/api/v1/tasks/${body.id}`);
    // The service gets the validated value: trimmed, with nothing the schema does not know.
    expect(tasks.submitted).toEqual([{ ...spec, command: 'npm test' }]);
  });

  it('uses PUBLIC_URL for absolute URLs when it is set', async () => {
    const { app } = buildTestApp({ publicUrl: 'https://fixer.example.test' });
    const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC));
    const body = (await res.json()) as Record<string, string>;
    expect(body.statusUrl).toBe(`https://fixer.example.test/api/v1/tasks/${body.id}`);
    expect(body.logsUrl).toBe(`https://fixer.example.test/api/v1/tasks/${body.id}/logs`);
    expect(res.headers.get('location')).toBe(body.statusUrl);
  });

  it('accepts every configured token', async () => {
    const { app, tasks } = buildTestApp();
    for (const token of TOKENS) {
      const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, { Authorization: `Bearer ${token}` }));
      expect(res.status).toBe(202);
    }
    expect(tasks.submitted).toHaveLength(TOKENS.length);
  });

  it('drops fields the schema does not know', async () => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', jsonPost({ ...VALID_SPEC, priority: 'urgent' }));
    expect(res.status).toBe(202);
    expect(tasks.submitted).toEqual([VALID_SPEC]);
  });
});

describe('reading a task', () => {
  it('returns state, phase, attempts, timestamps and result', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({
      state: 'succeeded',
      phase: 'reporting',
      attempts: 2,
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:09.000Z',
      result: {
        outcome: 'fixed',
        fixer: 'prettier',
        patch: 'diff --git a/x b/x',
        patchTruncated: false,
        commands: [{ command: 'npm test', exitCode: 0, durationMs: 12, timedOut: false }],
      },
    });
    const res = await app.request(`/api/v1/tasks/${task.id}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(task);
  });

  it('returns the diagnosis, the fixers kept, the reason and the model usage, as the response schema describes them', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({
      state: 'succeeded',
      phase: 'reporting',
      result: {
        outcome: 'not_fixed',
        fixer: null,
        fixers: [],
        diagnosis: {
          tool: 'node-test',
          category: 'test',
          step: { index: 1, command: 'node --test' },
          locations: [{ path: 'test/sum.test.js', line: 5, column: 1 }],
          excerpt: ['✖ adds two numbers', 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:'],
          summary: 'node-test failed in test/sum.test.js:5 (test)',
        },
        reason: 'the model gave up',
        model: {
          model: 'm',
          steps: 4,
          attempts: 1,
          promptTokens: 900,
          completionTokens: 80,
          modelTimeMs: 1200,
          summary: null,
        },
        patch: '',
        patchTruncated: false,
        commands: [{ command: 'node --version && node --test', exitCode: 1, durationMs: 300, timedOut: false }],
      },
    });
    const res = await app.request(`/api/v1/tasks/${task.id}`, { headers: AUTH });
    const body = await res.json();
    expect(body).toEqual(task);
    expect(taskRecordSchema.safeParse(body).success).toBe(true);
    expect(
      taskRecordSchema.safeParse({
        ...task,
        result: { ...task.result, diagnosis: { ...task.result!.diagnosis, tool: 'nope' } },
      }).success,
    ).toBe(false);
  });

  it('returns a submitted task as queued with no result yet', async () => {
    const { app } = buildTestApp();
    const { id } = (await (await app.request('/api/v1/tasks', jsonPost(VALID_SPEC))).json()) as { id: string };
    const task = (await (await app.request(`/api/v1/tasks/${id}`, { headers: AUTH })).json()) as TaskRecord;
    expect(task).toMatchObject({
      id,
      state: 'queued',
      phase: null,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      result: null,
      error: null,
      spec: VALID_SPEC,
    });
    expect(Date.parse(task.createdAt)).not.toBeNaN();
  });
});

describe('cancelling a task', () => {
  it('cancels a queued task at once and answers 200 with the final record', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'queued' });
    const res = await app.request(`/api/v1/tasks/${task.id}/cancel`, { method: 'POST', headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: task.id, state: 'cancelled' });
    expect((await tasks.get(task.id))?.state).toBe('cancelled');
  });

  it('answers 202 while a running task is being stopped', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'running', phase: 'reproducing' });
    const res = await app.request(`/api/v1/tasks/${task.id}/cancel`, { method: 'POST', headers: AUTH });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: task.id, state: 'running' });
  });
});

describe('request ids and access log', () => {
  it('echoes a client request id and logs the request under it', async () => {
    const { app, tasks, logs } = buildTestApp();
    const task = tasks.seed();
    const res = await app.request(`/api/v1/tasks/${task.id}`, { headers: { ...AUTH, 'X-Request-Id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'http_request',
        reqId: 'abc-123',
        method: 'GET',
        path: `/api/v1/tasks/${task.id}`,
        status: 200,
      }),
    );
  });

  it('makes up a request id when the client sends none, also on errors', async () => {
    const { app, logs } = buildTestApp();
    const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, {}));
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'http_request', reqId: id, status: 401 }));
  });

  it('never logs the bearer token', async () => {
    const { app, logs } = buildTestApp();
    await app.request('/api/v1/tasks', jsonPost(VALID_SPEC));
    await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, { Authorization: 'Bearer wrong-token-xyz' }));
    const text = JSON.stringify(logs);
    expect(text).not.toContain(TOKENS[0]);
    expect(text).not.toContain('wrong-token-xyz');
  });
});

describe('token configuration', () => {
  it.each([
    [[], 'at least one API token is required'],
    [['good-token', 'has space'], 'API_TOKENS entry 2: tokens may only contain'],
  ])('refuses to build the app with tokens %j', (tokens, message) => {
    const build = () =>
      createApp({
        tasks: new MemoryTaskService(),
        metrics: createMetrics(),
        logger: createLogger('silent'),
        config: { auth: { tokens, usingDevToken: false }, http: { publicUrl: undefined, bodyLimitBytes: 1024 } },
      });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(message);
  });
});

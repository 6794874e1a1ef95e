import { describe, expect, it } from 'vitest';
import { AUTH, buildTestApp, jsonPost, VALID_SPEC, type ErrorBody } from '../support/api-harness.js';
import { logLines } from '../support/memory-task-service.js';

const UNKNOWN_ID = '6f1c2f0e-3d7a-4b9e-9c41-2a5e8f7d1b30';

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as ErrorBody).error;
}

describe('POST /api/v1/tasks rejects bad input with a 4xx that names the problem', () => {
  it('answers malformed JSON with 400', async () => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: '{"repo": {',
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: 'bad_request', message: 'Malformed JSON in request body' });
    expect(tasks.submitted).toHaveLength(0);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
  ])('answers a %s body with 415', async (_name, contentType) => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': contentType },
      body: JSON.stringify(VALID_SPEC),
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe('unsupported_media_type');
    expect(tasks.submitted).toHaveLength(0);
  });

  it('answers a body without Content-Type with 415', async () => {
    const { app } = buildTestApp();
    const res = await app.request('/api/v1/tasks', {
      method: 'POST',
      headers: AUTH,
      body: new TextEncoder().encode(JSON.stringify(VALID_SPEC)),
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe('unsupported_media_type');
  });

  it.each([
    ['missing command', { repo: VALID_SPEC.repo }, 'command'],
    ['blank command', { ...VALID_SPEC, command: '   ' }, 'command'],
    ['missing repo', { command: 'npm test' }, 'repo'],
    ['http repo url', { ...VALID_SPEC, repo: { url: 'http://example.test/r.git', ref: 'main' } }, 'repo.url'],
    [
      'repo url with credentials',
      { ...VALID_SPEC, repo: { url: 'https://user:pw@example.test/r.git', ref: 'main' } },
      'repo.url',
    ],
    [
      'ref that looks like an option',
      { ...VALID_SPEC, repo: { url: VALID_SPEC.repo.url, ref: '--upload-pack=x' } },
      'repo.ref',
    ],
    ['missing ref', { ...VALID_SPEC, repo: { url: VALID_SPEC.repo.url } }, 'repo.ref'],
    ['unknown fixer', { ...VALID_SPEC, fixers: ['rm-rf'] }, 'fixers.0'],
    ['too short timeout', { ...VALID_SPEC, timeoutSeconds: 1 }, 'timeoutSeconds'],
    ['fractional timeout', { ...VALID_SPEC, timeoutSeconds: 30.5 }, 'timeoutSeconds'],
    ['label value of the wrong type', { ...VALID_SPEC, labels: { team: 7 } }, 'labels.team'],
    ['JSON array instead of an object', [VALID_SPEC], ''],
  ])('answers a %s with 400 naming the field', async (_name, body, field) => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', jsonPost(body));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('validation_failed');
    expect(error.details?.in).toBe('request body');
    expect(error.details?.issues?.map((i) => i.field)).toContain(field);
    if (field !== '') expect(error.message).toContain(`${field}: `);
    expect(tasks.submitted).toHaveLength(0);
  });

  it('answers a missing token with 401 and a bearer challenge', async () => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, {}));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="ci-fixer"');
    expect(await errorOf(res)).toEqual({ code: 'unauthorized', message: 'missing bearer token' });
    expect(tasks.submitted).toHaveLength(0);
  });

  it.each([
    ['a wrong token', 'Bearer not-a-token', 'invalid bearer token'],
    ['a token that is a prefix of a real one', 'Bearer token-', 'invalid bearer token'],
    ['another auth scheme', 'Basic dXNlcjpwdw==', 'malformed Authorization header; expected "Bearer <token>"'],
    [
      'a token with characters no token has',
      'Bearer tok en!',
      'malformed Authorization header; expected "Bearer <token>"',
    ],
  ])('answers %s with 401', async (_name, authorization, message) => {
    const { app, tasks } = buildTestApp();
    const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, { Authorization: authorization }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="ci-fixer", error="invalid_token"');
    expect(await errorOf(res)).toEqual({ code: 'unauthorized', message });
    expect(tasks.submitted).toHaveLength(0);
  });

  it('answers a body over the limit with 413 when Content-Length announces it', async () => {
    const { app, tasks } = buildTestApp({ bodyLimitBytes: 2048 });
    const body = JSON.stringify({ ...VALID_SPEC, labels: { pad: 'x'.repeat(200) }, command: 'y'.repeat(3000) });
    const res = await app.request('/api/v1/tasks', {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
      body,
    });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({
      code: 'payload_too_large',
      message: 'request body is larger than 2048 bytes',
    });
    expect(tasks.submitted).toHaveLength(0);
  });

  it('answers a chunked body over the limit with 413 without Content-Length', async () => {
    const { app, tasks } = buildTestApp({ bodyLimitBytes: 2048 });
    const res = await app.request('/api/v1/tasks', chunkedPost(`{"command":"${'z'.repeat(4000)}"}`));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(tasks.submitted).toHaveLength(0);
  });

  it('accepts a chunked body within the limit', async () => {
    const { app, tasks } = buildTestApp({ bodyLimitBytes: 2048 });
    const res = await app.request('/api/v1/tasks', chunkedPost(JSON.stringify(VALID_SPEC)));
    expect(res.status).toBe(202);
    expect(tasks.submitted).toEqual([VALID_SPEC]);
  });
});

describe('task routes reject unknown, malformed and unauthenticated reads', () => {
  it.each([
    ['GET', `/api/v1/tasks/${UNKNOWN_ID}`],
    ['GET', `/api/v1/tasks/${UNKNOWN_ID}/logs`],
    ['GET', `/api/v1/tasks/${UNKNOWN_ID}/events`],
    ['POST', `/api/v1/tasks/${UNKNOWN_ID}/cancel`],
    ['GET', '/api/v1/tasks/not-a-uuid'],
    ['GET', `/api/v1/tasks/${'f'.repeat(5000)}/logs`],
    ['GET', '/api/v1/tasks/..%2F..%2Fetc%2Fpasswd'],
    ['POST', '/api/v1/tasks/12345/cancel'],
  ])('answers %s %s with 404', async (method, path) => {
    const { app } = buildTestApp();
    const res = await app.request(path, { method, headers: AUTH });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'no such task' });
  });

  it.each([
    ['GET', ''],
    ['GET', '/logs'],
    ['GET', '/events'],
    ['POST', '/cancel'],
  ])('answers %s of a task without a token with 401', async (method, suffix) => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'running' });
    const res = await app.request(`/api/v1/tasks/${task.id}${suffix}`, { method });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('unauthorized');
    expect((await tasks.get(task.id))?.state).toBe('running');
  });

  it('answers a cancel of a finished task with 409', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({ state: 'succeeded', finishedAt: new Date().toISOString() });
    const res = await app.request(`/api/v1/tasks/${task.id}/cancel`, { method: 'POST', headers: AUTH });
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toEqual({ code: 'conflict', message: 'task is already succeeded' });
  });

  it.each([
    ['cursor=-1', 'cursor'],
    ['cursor=abc', 'cursor'],
    ['cursor=1e3', 'cursor'],
    ['limit=0', 'limit'],
    ['limit=5001', 'limit'],
    ['limit=12.5', 'limit'],
  ])('answers logs?%s with 400 naming %s', async (query, field) => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed({}, logLines(3));
    const res = await app.request(`/api/v1/tasks/${task.id}/logs?${query}`, { headers: AUTH });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('validation_failed');
    expect(error.details?.in).toBe('query');
    expect(error.details?.issues?.map((i) => i.field)).toEqual([field]);
  });

  it('answers an events request with a garbage Last-Event-ID with 400 naming the header', async () => {
    const { app, tasks } = buildTestApp();
    const task = tasks.seed();
    const res = await app.request(`/api/v1/tasks/${task.id}/events`, { headers: { ...AUTH, 'Last-Event-ID': 'x' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).details?.issues?.map((i) => i.field)).toEqual(['last-event-id']);
  });

  it('answers an unknown route with 404 JSON', async () => {
    const { app } = buildTestApp();
    const res = await app.request('/api/v2/nothing', { headers: AUTH });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'no route for GET /api/v2/nothing' });
  });
});

describe('failures inside the service', () => {
  it('answers an unexpected error with a generic 500 and logs it with the request id', async () => {
    const { app, tasks, logs } = buildTestApp();
    tasks.brokenWith = new Error('secret internals: connection to 10.0.0.7 refused');
    const res = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC, { ...AUTH, 'X-Request-Id': 'req-500' }));
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: 'internal', message: 'internal error' });
    expect(res.headers.get('x-request-id')).toBe('req-500');
    const logged = logs.find((l) => l.msg === 'request_failed');
    expect(logged).toMatchObject({
      reqId: 'req-500',
      err: { message: 'secret internals: connection to 10.0.0.7 refused' },
    });
  });

  it('keeps serving after every kind of bad input', async () => {
    const { app, tasks } = buildTestApp({ bodyLimitBytes: 1024 });
    const bad: Array<[string, RequestInit, number, string]> = [
      [
        '/api/v1/tasks',
        { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '{' },
        400,
        'bad_request',
      ],
      [
        '/api/v1/tasks',
        { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: 'null' },
        400,
        'validation_failed',
      ],
      [
        '/api/v1/tasks',
        { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '[['.repeat(400) },
        400,
        'bad_request',
      ],
      [
        '/api/v1/tasks',
        { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '\u0000\uffff' },
        400,
        'bad_request',
      ],
      ['/api/v1/tasks', chunkedPost('x'.repeat(5000)), 413, 'payload_too_large'],
      ['/api/v1/tasks', { method: 'POST', headers: { Authorization: 'Bearer' } }, 401, 'unauthorized'],
      ['/api/v1/tasks/%ZZ', { headers: AUTH }, 404, 'not_found'],
      [`/api/v1/tasks/${UNKNOWN_ID}/logs?limit=&cursor=`, { headers: AUTH }, 400, 'validation_failed'],
    ];
    for (const [path, init, status, code] of bad) {
      const res = await app.request(path, init);
      const what = `${path} ${String(init.body).slice(0, 20)}`;
      expect(res.status, what).toBe(status);
      expect(((await res.json()) as ErrorBody).error.code, what).toBe(code);
    }
    const ok = await app.request('/api/v1/tasks', jsonPost(VALID_SPEC));
    expect(ok.status).toBe(202);
    expect(tasks.submitted).toEqual([VALID_SPEC]);
  });
});

function chunkedPost(body: string): RequestInit {
  const bytes = new TextEncoder().encode(body);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 512) controller.enqueue(bytes.slice(offset, offset + 512));
      controller.close();
    },
  });
  return {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit;
}

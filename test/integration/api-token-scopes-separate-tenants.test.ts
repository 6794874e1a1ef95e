// Token scopes on the real Redis queue: tasks record the submitting token's name, `read:own` sees
// only its own tasks (others answer 404), webhook tasks need `read:all`, cancelling needs `cancel`,
// and a bare token (today's single-token setup) still does everything.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/api/app.js';
import { parseApiTokens } from '../../src/api/auth.js';
import { buildApiOver } from '../support/api-harness.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const SPEC = { repo: { url: 'file:///tmp/nowhere', ref: 'main' }, command: 'npm test' };
const TOKENS = parseApiTokens([
  'alice:alice-secret:submit+read:own+cancel',
  'bob:bob-secret:submit+read:own',
  'ops:ops-secret:read:all+cancel',
  'legacy-secret',
]);
const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

describe('API token scopes', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    stack = createQueueStack();
    app = buildApiOver(stack.tasks, TOKENS);
  });
  afterEach(() => stack.close());

  const submit = async (token: string) => {
    const res = await app.request('/api/v1/tasks', { method: 'POST', headers: as(token), body: JSON.stringify(SPEC) });
    return { status: res.status, body: (await res.json()) as { id: string; error?: { code: string } } };
  };

  it('records the submitter and lets read:own see only its own tasks', async () => {
    const alices = await submit('alice-secret');
    expect(alices.status).toBe(202);
    const stored = await stack.tasks.get(alices.body.id);
    expect(stored?.submittedBy).toBe('alice');

    for (const path of ['', '/logs']) {
      expect(
        (await app.request(`/api/v1/tasks/${alices.body.id}${path}`, { headers: as('alice-secret') })).status,
      ).toBe(200);
      expect((await app.request(`/api/v1/tasks/${alices.body.id}${path}`, { headers: as('bob-secret') })).status).toBe(
        404,
      );
      expect((await app.request(`/api/v1/tasks/${alices.body.id}${path}`, { headers: as('ops-secret') })).status).toBe(
        200,
      );
    }
    expect((await app.request(`/api/v1/tasks/${alices.body.id}/events`, { headers: as('bob-secret') })).status).toBe(
      404,
    );
    const read = (await (
      await app.request(`/api/v1/tasks/${alices.body.id}`, { headers: as('alice-secret') })
    ).json()) as { submittedBy: string };
    expect(read.submittedBy).toBe('alice');
  });

  it('keeps webhook tasks to read:all', async () => {
    const webhookTask = await stack.tasks.submit(SPEC);
    expect(webhookTask.submittedBy).toBeNull();
    expect((await app.request(`/api/v1/tasks/${webhookTask.id}`, { headers: as('alice-secret') })).status).toBe(404);
    expect((await app.request(`/api/v1/tasks/${webhookTask.id}`, { headers: as('ops-secret') })).status).toBe(200);
    expect((await app.request(`/api/v1/tasks/${webhookTask.id}`, { headers: as('legacy-secret') })).status).toBe(200);
  });

  it('needs submit to submit and cancel to cancel', async () => {
    const refused = await submit('ops-secret');
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('forbidden');

    const bobs = await submit('bob-secret');
    const bobCancels = await app.request(`/api/v1/tasks/${bobs.body.id}/cancel`, {
      method: 'POST',
      headers: as('bob-secret'),
    });
    expect(bobCancels.status).toBe(403);
    expect((await stack.tasks.get(bobs.body.id))?.state).toBe('queued');
    // alice may cancel, but only what she can read.
    expect(
      (await app.request(`/api/v1/tasks/${bobs.body.id}/cancel`, { method: 'POST', headers: as('alice-secret') }))
        .status,
    ).toBe(404);
    const opsCancels = await app.request(`/api/v1/tasks/${bobs.body.id}/cancel`, {
      method: 'POST',
      headers: as('ops-secret'),
    });
    expect(opsCancels.status).toBe(200);
    expect((await stack.tasks.get(bobs.body.id))?.state).toBe('cancelled');
  });

  it('lets a bare token submit, read everything and cancel, as before scopes existed', async () => {
    const legacy = await submit('legacy-secret');
    expect(legacy.status).toBe(202);
    const alices = await submit('alice-secret');
    expect((await app.request(`/api/v1/tasks/${alices.body.id}`, { headers: as('legacy-secret') })).status).toBe(200);
    expect(
      (await app.request(`/api/v1/tasks/${legacy.body.id}/cancel`, { method: 'POST', headers: as('legacy-secret') }))
        .status,
    ).toBe(200);
  });
});

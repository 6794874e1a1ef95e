// Bull Board shows every tenant's jobs (repository URLs, commands, failure reasons), so only a
// token with read:all may open it; a signed-in read:own tenant gets 403, on the page and its API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/api/app.js';
import { createConsoleUi } from '../../src/console/index.js';
import { buildApiOver } from '../support/api-harness.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const TOKENS = ['alice:alice-tok:submit+read:own', 'ops:ops-tok:read:all'];

describe('Bull Board', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    stack = createQueueStack();
    app = buildApiOver(stack.tasks, TOKENS, {
      ui: createConsoleUi({ tasks: stack.tasks, tokens: TOKENS, publicUrl: undefined, queue: stack.tasks.queue }),
    });
    await stack.tasks.submit(
      { repo: { url: 'https://example.test/bob-org/secret.git', ref: 'main' }, command: 'cat secrets' },
      { submittedBy: 'bob' },
    );
  });
  afterAll(() => stack?.close());

  const as = (token: string) => ({ headers: { Cookie: `ci_fixer_session=${token}` } });

  it('refuses a signed-in read:own tenant, on the page and on its API', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await app.request(path, as('alice-tok'));
      expect(res.status, path).toBe(403);
      const text = await res.text();
      expect(text, path).not.toContain('bob-org');
      expect(JSON.parse(text), path).toMatchObject({ error: { code: 'forbidden' } });
    }
  });

  it('shows the jobs to a read:all token', async () => {
    expect((await app.request('/admin/queues', as('ops-tok'))).status).toBe(200);
    const api = await app.request('/admin/queues/api/queues?activeQueue=fix-tasks&status=waiting', as('ops-tok'));
    expect(api.status).toBe(200);
    expect(await api.text()).toContain('bob-org/secret.git');
  });
});

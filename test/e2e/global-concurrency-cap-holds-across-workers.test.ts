// MAX_CONCURRENT_SANDBOXES caps tasks across every worker process, not per worker.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { createGatedCommand } from '../support/gated-command.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('the global concurrency cap', () => {
  const stack = useE2eStack('e2e-cap');

  it('never runs more than MAX_CONCURRENT_SANDBOXES tasks, though two workers of concurrency 2 could run 4', async () => {
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate'), 2);
    const env = { WORKER_CONCURRENCY: '2', MAX_CONCURRENT_SANDBOXES: '3' };
    const api = await stack.start('api', env);
    await stack.start('worker', env);
    await stack.start('worker', env);
    const client = taskClient(api.url, E2E_TOKEN);
    const repo = { url: stack.repo().url, ref: 'main' };
    const ids = await Promise.all(
      Array.from(
        { length: 8 },
        async () => (await client.submit({ repo, command: gate.command, timeoutSeconds: 60 })).id,
      ),
    );
    const finals = await Promise.all(ids.map((id) => client.waitFor(id, TERMINAL, 150_000)));
    expect(finals.map((t) => t.state)).toEqual(Array(8).fill('succeeded'));
    const seen = await gate.concurrency();
    expect(seen).toHaveLength(8);
    // 3 at once needs both workers (each holds at most 2); 4 would mean the global cap failed.
    expect(Math.max(...seen)).toBe(3);
  });
});

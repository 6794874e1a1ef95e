// A worker process dies with SIGKILL while it runs a task: the lock lapses, another worker's
// stalled-job check takes the task over, and it finishes. Nothing is lost.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { createGatedCommand } from '../support/gated-command.js';
import { waitUntil } from '../support/local-sandbox.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('a worker killed mid-task', () => {
  const stack = useE2eStack('e2e-kill');
  const fastFailover = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

  it('is retried on another worker and finishes', async () => {
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate'));
    const api = await stack.start('api', fastFailover);
    const workerA = await stack.start('worker', fastFailover);
    const client = taskClient(api.url, E2E_TOKEN);
    const { id } = await client.submit({ repo: { url: stack.repo().url, ref: 'main' }, command: gate.command, timeoutSeconds: 120 });

    await gate.waitForRunning(1);
    expect((await client.get(id)).state).toBe('running');
    expect(await workerA.stop('SIGKILL')).toBe('SIGKILL');

    const workerB = await stack.start('worker', fastFailover);
    // The second attempt starts its own command; then both may end.
    await client.waitFor(id, (t) => t.attempts === 2, 60_000);
    await waitUntil(async () => (await gate.started()).length >= 2, 'the second attempt to start its command');
    await gate.release();

    const final = await client.waitFor(id, TERMINAL, 60_000);
    expect(final.state).toBe('succeeded');
    expect(final.result?.outcome).toBe('not_reproduced');
    expect(final.attempts).toBe(2);
    await workerB.waitForLog('task_finished', (e) => e.taskId === id);
  });
});

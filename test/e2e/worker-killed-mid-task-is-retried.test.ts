// A worker process dies with SIGKILL while it runs a task: the lock lapses, another worker's
// stalled-job check takes the task over, and it finishes. Nothing is lost. Killed a second time,
// BullMQ gives up on the job without running our code: the record must still end `failed`.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { createGatedCommand } from '../support/gated-command.js';
import { waitUntil } from '../support/local-sandbox.js';
import { connect } from '../support/redis.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('a worker killed mid-task', () => {
  const stack = useE2eStack('e2e-kill');
  const fastFailover = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

  it('is retried on another worker and finishes', async () => {
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate'));
    const api = await stack.start('api', fastFailover);
    const workerA = await stack.start('worker', fastFailover);
    const client = taskClient(api.url, E2E_TOKEN);
    const { id } = await client.submit({
      repo: { url: stack.repo().url, ref: 'main' },
      command: gate.command,
      timeoutSeconds: 120,
    });

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

  it('ends failed with task_stalled when its workers are killed twice, instead of staying running', async () => {
    const prefix = stack.newPrefix('twice');
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate-twice'));
    const api = await stack.start('api', fastFailover, prefix);
    const client = taskClient(api.url, E2E_TOKEN);
    const workerA = await stack.start('worker', fastFailover, prefix);
    const { id } = await client.submit({
      repo: { url: stack.repo().url, ref: 'main' },
      command: gate.command,
      timeoutSeconds: 120,
    });
    await gate.waitForRunning(1);
    expect(await workerA.stop('SIGKILL')).toBe('SIGKILL');

    const workerB = await stack.start('worker', fastFailover, prefix);
    await client.waitFor(id, (t) => t.attempts === 2, 60_000);
    await waitUntil(async () => (await gate.started()).length >= 2, 'the second attempt to start its command');
    expect(await workerB.stop('SIGKILL')).toBe('SIGKILL');

    const workerC = await stack.start('worker', fastFailover, prefix);
    const final = await client.waitFor(id, TERMINAL, 60_000);
    expect(final).toMatchObject({
      state: 'failed',
      attempts: 2,
      error: { code: 'task_stalled' },
      result: { outcome: 'error' },
    });
    await workerC.waitForLog('task_failed_stalled', (e) => e.taskId === id);
    const log = await client.readAllLogs(id, 500);
    expect(log.lines.at(-1)?.text).toMatch(/^task failed: the task's worker stopped responding 2 times/);
    // Final: the retention clock runs on the record (the test stack's default, 7 days).
    const redis = connect();
    try {
      const ttl = await redis.ttl(`${prefix}:task:${id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
    } finally {
      redis.disconnect();
    }
    await gate.release();
  });
});

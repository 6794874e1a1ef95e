// SIGTERM on a worker: it stops taking tasks, lets active ones finish within the drain grace,
// and puts back on the queue (without spending an attempt) what it cannot finish. Exit code 0.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { createGatedCommand } from '../support/gated-command.js';
import { processGone, waitUntil } from '../support/local-sandbox.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('worker shutdown', () => {
  const stack = useE2eStack('e2e-drain');
  const repo = () => ({ url: stack.repo().url, ref: 'main' });
  afterEach(() => stack.killAll());

  it('lets an active task finish within the drain grace, then exits cleanly', async () => {
    const prefix = stack.newPrefix('drain');
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate-drain'));
    const api = await stack.start('api', {}, prefix);
    const worker = await stack.start('worker', { WORKER_DRAIN_SECONDS: '120', WORKER_LOCK_MS: '5000' }, prefix);
    const client = taskClient(api.url, E2E_TOKEN);
    const { id } = await client.submit({ repo: repo(), command: gate.command, timeoutSeconds: 120 });
    await gate.waitForRunning(1);

    const exit = worker.stop('SIGTERM', 120_000);
    await worker.waitForLog('worker_draining');
    // A task submitted while draining must wait for another worker, not start here.
    const late = await client.submit({ repo: repo(), command: 'true', timeoutSeconds: 60 });
    await gate.release();
    expect(await exit).toBe(0);

    const final = await client.get(id);
    expect(final).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(final.result?.outcome).toBe('not_reproduced');
    expect((await client.get(late.id)).state).toBe('queued');
  });

  it('requeues a task it cannot finish in time, without spending an attempt, and another worker finishes it', async () => {
    const prefix = stack.newPrefix('requeue');
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate-requeue'));
    const api = await stack.start('api', {}, prefix);
    const workerA = await stack.start('worker', { WORKER_DRAIN_SECONDS: '1', WORKER_LOCK_MS: '5000' }, prefix);
    const client = taskClient(api.url, E2E_TOKEN);
    const { id } = await client.submit({ repo: repo(), command: gate.command, timeoutSeconds: 120 });
    const [pid] = await gate.waitForRunning(1);

    expect(await workerA.stop('SIGTERM', 60_000)).toBe(0);
    expect(workerA.logs.some((e) => e.msg === 'task_requeued_on_shutdown' && e.taskId === id)).toBe(true);
    await waitUntil(() => processGone(pid!), 'the gated command to be gone');
    expect((await client.get(id)).state).toBe('queued');

    await stack.start('worker', { WORKER_LOCK_MS: '5000' }, prefix);
    await gate.waitForRunning(1);
    await gate.release();
    const final = await client.waitFor(id, TERMINAL, 60_000);
    expect(final.state).toBe('succeeded');
    // attempts counts starts; the requeue did not consume a BullMQ attempt, so no failure shows.
    expect(final.attempts).toBe(2);
    expect(final.error).toBeNull();
  });

  it('spends no attempt on a requeue: with TASK_ATTEMPTS=1 the requeued task still runs to its end', async () => {
    const prefix = stack.newPrefix('one-attempt');
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate-one-attempt'));
    const oneAttempt = { TASK_ATTEMPTS: '1', WORKER_LOCK_MS: '5000' };
    const api = await stack.start('api', oneAttempt, prefix);
    const workerA = await stack.start('worker', { ...oneAttempt, WORKER_DRAIN_SECONDS: '1' }, prefix);
    const client = taskClient(api.url, E2E_TOKEN);
    const { id } = await client.submit({ repo: repo(), command: gate.command, timeoutSeconds: 120 });
    await gate.waitForRunning(1);

    expect(await workerA.stop('SIGTERM', 60_000)).toBe(0);
    expect((await client.get(id)).state).toBe('queued');

    await stack.start('worker', oneAttempt, prefix);
    await waitUntil(async () => (await gate.started()).length >= 2, 'the requeued task to start its command again');
    await gate.release();
    const final = await client.waitFor(id, TERMINAL, 60_000);
    expect(final).toMatchObject({ state: 'succeeded', error: null, result: { outcome: 'not_reproduced' } });
  });
});

// Cancel is accepted by the API process and carried out by whichever worker process runs the task:
// the command's process is gone and the final state is `cancelled`.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { createGatedCommand } from '../support/gated-command.js';
import { processGone, waitUntil } from '../support/local-sandbox.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('cancel of a running task', () => {
  const stack = useE2eStack('e2e-cancel');

  it('stops the command on the worker process, tears down its sandbox, and ends cancelled', async () => {
    const gate = await createGatedCommand(path.join(stack.dir(), 'gate'));
    const api = await stack.start('api');
    const worker = await stack.start('worker');
    const client = taskClient(api.url, E2E_TOKEN);
    const repo = { url: stack.repo().url, ref: 'main' };
    const { id } = await client.submit({ repo, command: gate.command, timeoutSeconds: 120 });
    const [pid] = await gate.waitForRunning(1);

    const res = await client.cancel(id);
    expect(res.status).toBe(202);
    const final = await client.waitFor(id, TERMINAL, 60_000);
    expect(final.state).toBe('cancelled');
    await waitUntil(() => processGone(pid!), 'the gated command to be gone');
    expect(worker.logs.some((e) => e.msg === 'task_cancel_received' && e.taskId === id)).toBe(true);
    const { lines } = await client.readAllLogs(id, 100);
    expect(lines.at(-1)?.text).toBe('task cancelled');
    expect((await client.cancel(id)).status).toBe(409);
    // The worker is free again: the next task runs to the end.
    const next = await client.submit({ repo, command: 'true', timeoutSeconds: 60 });
    expect((await client.waitFor(next.id, TERMINAL, 60_000)).state).toBe('succeeded');
  });
});

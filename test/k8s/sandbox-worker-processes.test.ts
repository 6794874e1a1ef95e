// The built ci-fixer (dist/, run `npm run build` first) as real processes with
// SANDBOX_DRIVER=kubernetes on the test cluster: the platform's end-to-end prettier task, and a
// worker SIGKILLed mid-task whose orphaned sandbox Job the reaper removes while another worker
// retries the task; and a cancel through the API process that the worker process carries out over
// the cancel channel, leaving no Job behind.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { jobNameForTask } from '../../src/sandbox/kubernetes/labels.js';
import { startCiFixer, type CiFixerProcess } from '../support/ci-fixer-process.js';
import { sh } from '../support/fix-pipeline.js';
import { createGatedCommand } from '../support/gated-command.js';
import { waitFor } from '../support/k8s.js';
import { sandboxJobs, useSandboxNamespace } from '../support/k8s-sandbox.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

describe('ci-fixer processes with SANDBOX_DRIVER=kubernetes', () => {
  const ns = useSandboxNamespace('sbx-proc');
  const processes: CiFixerProcess[] = [];
  const prefixes: string[] = [];
  let dir: string;

  const env = (prefix: string, extra: Record<string, string> = {}) => ({
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    API_TOKENS: 'e2e-token',
    SANDBOX_DRIVER: 'kubernetes',
    KUBECONFIG: inject('kubeconfig'),
    SANDBOX_NAMESPACE: ns.name,
    ...extra,
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-k8s-proc-'));
  });
  // Each test's processes go with it: a reaper left running judges every sandbox Job in the
  // namespace by its own queue, so it would delete the next test's Jobs as orphans.
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  });
  afterAll(async () => {
    const redis = connect();
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('fixes a prettier failure submitted over HTTP, in a sandbox Job', async () => {
    const prefix = uniquePrefix('k8s-e2e');
    prefixes.push(prefix);
    const repo = await createFixtureRepo(path.join(dir, 'prettier-repo'), 'prettier');
    const app = await startCiFixer('all', env(prefix));
    processes.push(app);
    await app.waitForLog('sandbox_kubernetes_started');
    const client = taskClient(app.url, 'e2e-token');
    const { id } = await client.submit({ repo: { url: repo.url, ref: 'main' }, command: 'npx prettier --check .' });

    const final = await client.waitFor(id, TERMINAL, 180_000);
    expect(final.state).toBe('succeeded');
    expect(final.result?.outcome).toBe('fixed');
    expect(final.result?.fixer).toBe('prettier');
    const log = await client.readAllLogs(id, 200);
    expect(log.lines.map((l) => l.text)).toContain('sandbox ready (kubernetes)');
    expect(app.logs.some((e) => e.msg === 'sandbox_job_created' && e.taskId === id)).toBe(true);

    const check = path.join(dir, 'check');
    execFileSync('git', ['clone', '-q', repo.url, check]);
    await writeFile(path.join(dir, 'fix.patch'), final.result!.patch);
    execFileSync('git', ['apply', path.join(dir, 'fix.patch')], { cwd: check });
    expect((await sh('npx prettier --check .', check)).code).toBe(0);
    // The task's sandbox Job was torn down with it.
    await waitFor('the task Job to be gone', async () =>
      (await sandboxJobs(ns.name)).some((j) => j.taskId === id) ? undefined : true,
    );
  });

  it('retries a task on another worker after a SIGKILL, and the reaper removes the orphaned Job', async () => {
    const prefix = uniquePrefix('k8s-kill');
    prefixes.push(prefix);
    const repo = await createFixtureRepo(path.join(dir, 'passing-repo'), 'passing');
    const gate = await createGatedCommand(path.join(dir, 'gate'));
    // Worker B's stalled check moves the task only on its second pass (15 s after it starts);
    // its reaper (every second) sees the dead worker's lock expire (3 s) well before that.
    const timing = { WORKER_LOCK_MS: '3000', WORKER_STALLED_INTERVAL_MS: '15000', REAPER_INTERVAL_SECONDS: '1' };
    const api = await startCiFixer('api', env(prefix));
    processes.push(api);
    const workerA = await startCiFixer('worker', env(prefix, timing));
    processes.push(workerA);
    const client = taskClient(api.url, 'e2e-token');
    const { id } = await client.submit({
      repo: { url: repo.url, ref: 'main' },
      command: gate.command,
      timeoutSeconds: 120,
    });

    await gate.waitForRunning(1);
    const [orphan] = (await sandboxJobs(ns.name)).filter((j) => j.taskId === id);
    expect(orphan?.name).toBe(jobNameForTask(id));
    expect(await workerA.stop('SIGKILL')).toBe('SIGKILL');

    const workerB = await startCiFixer('worker', env(prefix, timing));
    processes.push(workerB);
    const reaped = await workerB.waitForLog('sandbox_job_reaped', (e) => e.uid === orphan?.uid, 60_000);
    expect(reaped).toMatchObject({ taskId: id, reason: 'task_inactive' });
    expect((await sandboxJobs(ns.name)).some((j) => j.uid === orphan?.uid)).toBe(false);

    await client.waitFor(id, (t) => t.attempts === 2, 90_000);
    await waitFor(
      'the second attempt to start its command',
      async () => ((await gate.started()).length >= 2 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    await gate.release();
    const final = await client.waitFor(id, TERMINAL, 90_000);
    expect(final).toMatchObject({ state: 'succeeded', attempts: 2, result: { outcome: 'not_reproduced' } });
    await waitFor('no sandbox Job of the task to remain', async () =>
      (await sandboxJobs(ns.name)).some((j) => j.taskId === id) ? undefined : true,
    );
  });

  it('cancels a running task through the API and the cancel channel: the task ends cancelled and its Job is gone', async () => {
    const prefix = uniquePrefix('k8s-cancel');
    prefixes.push(prefix);
    const repo = await createFixtureRepo(path.join(dir, 'cancel-repo'), 'passing');
    const gate = await createGatedCommand(path.join(dir, 'gate-cancel'));
    const api = await startCiFixer('api', env(prefix));
    processes.push(api);
    const worker = await startCiFixer('worker', env(prefix));
    processes.push(worker);
    const client = taskClient(api.url, 'e2e-token');
    const { id } = await client.submit({
      repo: { url: repo.url, ref: 'main' },
      command: gate.command,
      timeoutSeconds: 120,
    });
    await gate.waitForRunning(1);
    const [job] = (await sandboxJobs(ns.name)).filter((j) => j.taskId === id);
    expect(job?.name).toBe(jobNameForTask(id));

    const res = await client.cancel(id);
    expect(res.status).toBe(202);
    const final = await client.waitFor(id, TERMINAL, 90_000);
    expect(final).toMatchObject({ state: 'cancelled', result: null, error: null });
    await worker.waitForLog('task_cancel_received', (e) => e.taskId === id);
    expect(api.logs.some((e) => e.msg === 'task_cancel_requested' && e.taskId === id)).toBe(true);
    await waitFor("the cancelled task's Job to be gone", async () =>
      (await sandboxJobs(ns.name)).some((j) => j.uid === job?.uid) ? undefined : true,
    );
    expect((await client.readAllLogs(id, 200)).lines.at(-1)?.text).toBe('task cancelled');
    await gate.release();
  });
});

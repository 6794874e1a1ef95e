// Two ci-fixer installs sharing one sandbox namespace (SANDBOX_INSTANCE blue and green): blue's
// reaper removes blue's expired Job and leaves green's Job, just as old, alone; a blue worker
// never replaces a green Job that happens to have its task's Job name. On the test cluster.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { LABEL_INSTANCE } from '../../src/sandbox/kubernetes/labels.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { k8sClients, waitFor } from '../support/k8s.js';
import { sandboxJobs, startProvider, useSandboxNamespace, type TestProvider } from '../support/k8s-sandbox.js';

/** Every Job of the first test counts as expired once it is a second old. */
const MAX_AGE_SECONDS = 1;
/** No periodic pass during the test: only the explicit reap() calls (and the one at start). */
const REAPER_INTERVAL_SECONDS = 3600;

describe('the sandbox reaper, with two installs in one namespace', () => {
  const ns = useSandboxNamespace('reaper-installs');
  const providers: TestProvider[] = [];
  const sandboxes: Sandbox[] = [];
  const start = async (instance: string, maxAgeSeconds = MAX_AGE_SECONDS) => {
    const p = await startProvider(ns.name, { instance, maxAgeSeconds, reaperIntervalSeconds: REAPER_INTERVAL_SECONDS });
    providers.push(p);
    return p.provider;
  };
  afterAll(async () => {
    for (const s of sandboxes) await s.dispose().catch(() => undefined);
    for (const p of providers) await p.provider.stop();
  });

  it("deletes its own expired Job and leaves the other install's Job, and its pod, alone", async () => {
    const blueReaper = await start('blue');
    // The Jobs come from other worker processes: a provider never reaps its own open sandboxes.
    const blueWorker = await start('blue');
    const greenWorker = await start('green');
    const blueTask = randomUUID();
    const greenTask = randomUUID();
    sandboxes.push(await blueWorker.create({ taskId: blueTask, timeoutSeconds: 120 }));
    sandboxes.push(await greenWorker.create({ taskId: greenTask, timeoutSeconds: 120 }));

    const { batch, core } = k8sClients();
    const jobs = (await batch.listNamespacedJob({ namespace: ns.name })).items;
    const instanceOf = (taskId: string) =>
      jobs.find((j) => j.metadata?.annotations?.['ci-fixer.dev/task-id'] === taskId)?.metadata?.labels?.[
        LABEL_INSTANCE
      ];
    expect([instanceOf(blueTask), instanceOf(greenTask)]).toEqual(['blue', 'green']);
    const greenPods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: `${LABEL_INSTANCE}=green` });
    expect(greenPods.items).toHaveLength(1);

    // Both Jobs are past the maximum age once a second has passed (creation times are in seconds).
    const reaped = await waitFor(
      'the blue reaper to delete the expired blue Job',
      async () => {
        const result = await blueReaper.reap();
        return result.deleted.length > 0 ? result : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(reaped.deleted.map((d) => [d.taskId, d.reason])).toEqual([[blueTask, 'max_age']]);
    // It never even listed the green Job.
    expect(reaped.examined).toBe(1);

    const left = (await sandboxJobs(ns.name)).map((j) => j.taskId);
    expect(left).toContain(greenTask);
    expect(left).not.toContain(blueTask);
    // The green install's own reaper does remove it. Each poll runs a pass: one that fails to
    // delete (the API server busy under the whole tier's load) leaves the Job for the next pass,
    // as a periodic tick would; the reaper's warnings name why if none succeeds.
    const green = await startProvider(ns.name, {
      instance: 'green',
      maxAgeSeconds: MAX_AGE_SECONDS,
      reaperIntervalSeconds: REAPER_INTERVAL_SECONDS,
    });
    providers.push(green);
    // Deleted means gone, or marked for deletion while its pod is being removed.
    await waitFor(
      'the green reaper to delete the expired green Job',
      async () => {
        await green.provider.reap();
        const job = (await batch.listNamespacedJob({ namespace: ns.name })).items.find(
          (j) => j.metadata?.annotations?.['ci-fixer.dev/task-id'] === greenTask,
        );
        return job === undefined || job.metadata?.deletionTimestamp !== undefined ? true : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((err: unknown) => {
      const warnings = green.logs.filter((r) => typeof r.level === 'number' && r.level >= 40);
      throw new Error(`${String(err)}; the green reaper's warnings: ${JSON.stringify(warnings)}`);
    });
  });

  it('refuses to replace a Job of the same name that belongs to another install', async () => {
    // Installs of their own: the first test's providers (green ones reap at a second's age) must
    // not take this Job away while it is being raced for.
    const taskId = randomUUID();
    const teal = await start('teal', 3600);
    const amber = await start('amber', 3600);
    sandboxes.push(await teal.create({ taskId, timeoutSeconds: 120 }));
    const created = amber.create({ taskId, timeoutSeconds: 120 });
    await expect(created).rejects.toBeInstanceOf(InfrastructureError);
    await expect(created).rejects.toMatchObject({ code: 'sandbox_job_name_taken' });
    const jobs = (await sandboxJobs(ns.name)).filter((j) => j.taskId === taskId);
    expect(jobs).toHaveLength(1);
    const job = await k8sClients().batch.readNamespacedJob({ name: jobs[0]!.name, namespace: ns.name });
    expect(job.metadata?.labels?.[LABEL_INSTANCE]).toBe('teal');
  });
});

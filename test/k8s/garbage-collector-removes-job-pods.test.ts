import { describe, expect, it } from 'vitest';
import { jobPods, k8sClients, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('the garbage collector', () => {
  const ns = useTestNamespace('gc');
  const k = k8sClients();

  async function jobWithRunningPods(count: number): Promise<string> {
    const name = uniqueName('gc');
    const body = testJob(name);
    body.spec = { ...body.spec!, parallelism: count, completions: count };
    await k.batch.createNamespacedJob({ namespace: ns.name, body });
    await waitFor(`${count} running pods of Job ${name}`, async () => {
      const running = (await jobPods(k, ns.name, name)).filter((p) => p.status?.phase === 'Running');
      return running.length === count ? true : undefined;
    });
    return name;
  }

  it('removes the pods of a Job deleted with propagationPolicy Background', async () => {
    const name = await jobWithRunningPods(2);

    await k.batch.deleteNamespacedJob({ name, namespace: ns.name, propagationPolicy: 'Background' });

    await waitFor(`Job ${name} to be gone`, async () => {
      const jobs = await k.batch.listNamespacedJob({ namespace: ns.name, fieldSelector: `metadata.name=${name}` });
      return jobs.items.length === 0 ? true : undefined;
    });
    await waitFor(`the garbage collector to remove the pods of Job ${name}`, async () =>
      (await jobPods(k, ns.name, name)).length === 0 ? true : undefined,
    );
  });

  it('leaves the pods in place when the same deletion uses propagationPolicy Orphan', async () => {
    const name = await jobWithRunningPods(1);

    await k.batch.deleteNamespacedJob({ name, namespace: ns.name, propagationPolicy: 'Orphan' });

    // The garbage collector orphans dependents by stripping their owner reference.
    const orphans = await waitFor(`pods of Job ${name} to lose their owner reference`, async () => {
      const pods = await jobPods(k, ns.name, name);
      return pods.length === 1 && pods.every((p) => !p.metadata?.ownerReferences?.length) ? pods : undefined;
    });
    expect(orphans[0]?.status?.phase).toBe('Running');
  });
});

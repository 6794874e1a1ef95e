import { describe, expect, it } from 'vitest';
import { apiError, k8sClients, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('a ResourceQuota on count/jobs.batch', () => {
  const ns = useTestNamespace('quota');
  const k = k8sClients();

  it('admits Jobs up to the limit and rejects the next one with 403 exceeded quota', async () => {
    await k.core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'jobs' }, spec: { hard: { 'count/jobs.batch': '1' } } },
    });
    // Admission only enforces a quota once the quota controller has computed its usage.
    await waitFor('the quota controller to compute usage', async () => {
      const q = await k.core.readNamespacedResourceQuota({ name: 'jobs', namespace: ns.name });
      return q.status?.used?.['count/jobs.batch'] !== undefined ? true : undefined;
    });

    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(uniqueName('first')) });
    const refused = await apiError(() =>
      k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(uniqueName('second')) }),
    );

    expect(refused.code).toBe(403);
    expect(refused.reason).toBe('Forbidden');
    expect(refused.message).toContain('exceeded quota');
    expect(refused.message).toContain('count/jobs.batch');
    const jobs = await k.batch.listNamespacedJob({ namespace: ns.name });
    expect(jobs.items).toHaveLength(1);
  });
});

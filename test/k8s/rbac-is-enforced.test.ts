import { describe, expect, it } from 'vitest';
import {
  apiError,
  k8sClients,
  loadKubeConfig,
  testJob,
  uniqueName,
  useTestNamespace,
  waitFor,
} from '../support/k8s.js';

describe('RBAC authorization on the test cluster', () => {
  const ns = useTestNamespace('rbac');
  const admin = k8sClients();

  async function serviceAccountWithJobRole(): Promise<{ sa: string; user: string; groups: string[] }> {
    const sa = uniqueName('runner');
    await admin.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: sa } } });
    await admin.rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: sa },
        rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch'] }],
      },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: sa },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns.name }],
      },
    });
    return {
      sa,
      user: `system:serviceaccount:${ns.name}:${sa}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns.name}`, 'system:authenticated'],
    };
  }

  async function allowed(
    subject: { user: string; groups: string[] },
    attrs: { verb: string; resource: string; group?: string; namespace?: string },
  ): Promise<boolean> {
    const review = await admin.authz.createSubjectAccessReview({
      body: {
        spec: {
          user: subject.user,
          groups: subject.groups,
          resourceAttributes: {
            verb: attrs.verb,
            resource: attrs.resource,
            group: attrs.group ?? '',
            namespace: attrs.namespace,
          },
        },
      },
    });
    return review.status?.allowed === true;
  }

  it('allows what the bound Role grants and denies delete nodes and list secrets (SubjectAccessReview)', async () => {
    const subject = await serviceAccountWithJobRole();

    // RBAC reads bindings from an informer; a fresh binding becomes visible within moments.
    await waitFor('the RoleBinding to grant jobs create', async () =>
      (await allowed(subject, { verb: 'create', resource: 'jobs', group: 'batch', namespace: ns.name }))
        ? true
        : undefined,
    );
    expect(await allowed(subject, { verb: 'delete', resource: 'nodes' })).toBe(false);
    expect(await allowed(subject, { verb: 'list', resource: 'secrets', namespace: ns.name })).toBe(false);
    expect(await allowed(subject, { verb: 'create', resource: 'jobs', group: 'batch', namespace: 'default' })).toBe(
      false,
    );
  });

  it('refuses requests made with the account token with 403 and lets the granted one through', async () => {
    const subject = await serviceAccountWithJobRole();
    const tokenRequest = await admin.core.createNamespacedServiceAccountToken({
      name: subject.sa,
      namespace: ns.name,
      body: { spec: { expirationSeconds: 600, audiences: [] } },
    });
    const token = tokenRequest.status?.token;
    expect(token).toBeTruthy();
    const asAccount = k8sClients(loadKubeConfig({ name: subject.sa, token: token! }));

    const job = await waitFor('the account to be allowed to create a Job', async () =>
      asAccount.batch.createNamespacedJob({ namespace: ns.name, body: testJob(uniqueName('by-sa')) }),
    );
    expect(job.metadata?.namespace).toBe(ns.name);

    const secrets = await apiError(() => asAccount.core.listNamespacedSecret({ namespace: ns.name }));
    expect(secrets.code).toBe(403);
    expect(secrets.reason).toBe('Forbidden');
    expect(secrets.message).toContain(subject.user);
    const nodes = await apiError(() => asAccount.core.deleteNode({ name: 'kwok-node-0' }));
    expect(nodes.code).toBe(403);
    expect((await admin.core.readNode({ name: 'kwok-node-0' })).metadata?.name).toBe('kwok-node-0');
  });
});

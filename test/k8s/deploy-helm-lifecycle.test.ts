// The seed's Helm validation checklist on the real test cluster: install leaves both Deployments
// available, an upgrade with a changed value makes revision 2 with the value live, a rollback to
// revision 1 restores it, and uninstall leaves nothing of the chart behind.
//
// kwok nodes run no containers: pods become Running and Ready through kwok's simulated pod
// readiness, so "available" here proves scheduling, admission and controller behaviour, not that
// the image starts (test/unit/container-image-builds-from-repo.test.ts covers what it can of that).
import { AppsV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { k8sClients, useTestNamespace, waitFor } from '../support/k8s.js';
import { CHART, RELEASE, deploymentAvailable, helm, kubectl, releaseStatus } from '../support/helm-release.js';

const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted' };

describe('helm install, upgrade, rollback and uninstall', () => {
  // The release namespace enforces Pod Security "restricted" too: the chart's own pods must pass it.
  const ns = useTestNamespace('deploy-helm', RESTRICTED);
  const k = k8sClients();
  const apps = k.kc.makeApiClient(AppsV1Api);
  const sandboxNs = () => `${ns.name}-sandbox`;
  const config = async () =>
    (await k.core.readNamespacedConfigMap({ name: 'ci-fixer-config', namespace: ns.name })).data ?? {};
  const apiToken = async () =>
    (await k.core.readNamespacedSecret({ name: 'ci-fixer-secrets', namespace: ns.name })).data?.API_TOKENS;
  const checksum = async (name: string) =>
    (await apps.readNamespacedDeployment({ name, namespace: ns.name })).spec?.template.metadata?.annotations?.[
      'checksum/config'
    ];
  const redisPassword = async () =>
    (await k.core.readNamespacedSecret({ name: 'ci-fixer-secrets', namespace: ns.name })).data?.REDIS_PASSWORD;
  const revisionOne: { checksum?: string; token?: string; redisPassword?: string } = {};

  it('renders against the cluster with the seed dry run', async () => {
    const dry = await helm(['install', RELEASE, CHART, '-n', ns.name, '--dry-run', '--debug']);
    expect(dry.stdout).toContain('kind: Deployment');
    expect(dry.stdout).toContain('3000:3001');
    expect((await helm(['list', '-n', ns.name, '-q'])).stdout.trim()).toBe('');
  });

  it('helm install ci-fixer ./chart leaves both Deployments available', async () => {
    await helm(['install', RELEASE, CHART, '-n', ns.name, '--wait', '--timeout', '150s']);

    await deploymentAvailable(k, ns.name, 'ci-fixer-app', 1);
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker', 1);
    await deploymentAvailable(k, ns.name, 'ci-fixer-redis', 1);
    const status = await releaseStatus(ns.name);
    expect(status.version).toBe(1);
    expect(status.info.status).toBe('deployed');
    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      ns.name,
      '-l',
      'app=ci-fixer',
      '-o',
      'jsonpath={.items[*].status.phase}',
    ]);
    expect(pods.stdout.split(' ').sort()).toEqual(['Running', 'Running']);
    const byInstance = await kubectl([
      'get',
      'pods',
      '-n',
      ns.name,
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
      '-o',
      'name',
    ]);
    expect(byInstance.stdout.trim().split('\n')).toHaveLength(3);
    revisionOne.checksum = await checksum('ci-fixer-app');
    revisionOne.token = await apiToken();
    expect(revisionOne.token).toBeTruthy();
    revisionOne.redisPassword = await redisPassword();
    expect(Buffer.from(revisionOne.redisPassword ?? '', 'base64').toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((await config()).LOG_LEVEL).toBe('info');
  });

  it('helm upgrade with a changed value makes revision 2 with the value live', async () => {
    await helm([
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      ns.name,
      '--set',
      'worker.replicaCount=2',
      '--set',
      'config.logLevel=debug',
      '--wait',
      '--timeout',
      '150s',
    ]);

    expect((await releaseStatus(ns.name)).version).toBe(2);
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker', 2);
    expect((await config()).LOG_LEVEL).toBe('debug');
    // The config change rolled the api pods: its template checksum changed and the rollout finished.
    expect(await checksum('ci-fixer-app')).not.toBe(revisionOne.checksum);
    await deploymentAvailable(k, ns.name, 'ci-fixer-app', 1);
    // The generated API token and Redis password survive the upgrade (else the pods lose Redis).
    expect(await apiToken()).toBe(revisionOne.token);
    expect(await redisPassword()).toBe(revisionOne.redisPassword);
  });

  it('helm rollback ci-fixer 1 restores revision 1', async () => {
    await helm(['rollback', RELEASE, '1', '-n', ns.name, '--wait', '--timeout', '150s']);

    const status = await releaseStatus(ns.name);
    expect(status.version).toBe(3);
    expect(status.info.description).toBe('Rollback to 1');
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker', 1);
    expect((await config()).LOG_LEVEL).toBe('info');
    expect(await checksum('ci-fixer-app')).toBe(revisionOne.checksum);
    await deploymentAvailable(k, ns.name, 'ci-fixer-app', 1);
    expect(await apiToken()).toBe(revisionOne.token);
  });

  it('helm uninstall leaves no chart-owned objects', async () => {
    await helm(['uninstall', RELEASE, '-n', ns.name, '--wait', '--timeout', '150s']);

    const listable = await kubectl(['api-resources', '--verbs=list', '--namespaced', '-o', 'name']);
    expect(listable.code, listable.stderr).toBe(0);
    const kinds = listable.stdout
      .trim()
      .split('\n')
      .filter((r) => r !== 'events' && r !== 'events.events.k8s.io')
      .join(',');
    await waitFor(
      'no object labelled for the release in the release namespace',
      async () => {
        const left = await kubectl([
          'get',
          kinds,
          '-n',
          ns.name,
          '-l',
          `app.kubernetes.io/instance=${RELEASE}`,
          '-o',
          'name',
        ]);
        if (left.code !== 0) throw new Error(left.stderr);
        return left.stdout.trim() === '' ? true : undefined;
      },
      { timeoutMs: 90_000 },
    );
    for (const [name, namespace] of [
      ['ci-fixer-app', ns.name],
      ['ci-fixer-sandbox', sandboxNs()],
    ] as const) {
      const sa = await kubectl(['get', 'serviceaccount', name, '-n', namespace]);
      expect(sa.stderr, `ServiceAccount ${namespace}/${name}`).toContain('NotFound');
    }
    await waitFor(
      `sandbox namespace ${sandboxNs()} deleted`,
      async () => ((await kubectl(['get', 'namespace', sandboxNs()])).stderr.includes('NotFound') ? true : undefined),
      { timeoutMs: 90_000 },
    );
    expect((await helm(['list', '-n', ns.name, '-a', '-q'])).stdout.trim()).toBe('');
  });
});

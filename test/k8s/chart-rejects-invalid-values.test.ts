// Bad values fail before anything reaches the cluster, with a message that names the key and
// says what is wrong: the JSON schema for shapes, template checks for combinations.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestNamespace } from '../support/k8s.js';
import { CHART, helm, helmOffline } from '../support/helm-release.js';

const dir = mkdtempSync(join(tmpdir(), 'ci-fixer-values-'));
function valuesFile(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

async function renderError(args: string[]): Promise<string> {
  const result = await helmOffline(['template', 'ci-fixer', CHART, ...args]);
  expect(result.code, 'helm template should have failed').not.toBe(0);
  return result.stderr;
}

describe('invalid chart values', () => {
  const ns = useTestNamespace('chart-invalid');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are rejected by helm install with the key and the problem named, and nothing is installed', async () => {
    const bad = valuesFile(
      'bad.yaml',
      'replicaCount: two\nsandbox:\n  resources:\n    limits:\n      cpu: lots\n      memory: 1Gi\n',
    );

    const install = await helm(['install', 'ci-fixer', CHART, '-n', ns.name, '-f', bad], false);

    expect(install.code).not.toBe(0);
    expect(install.stderr).toContain("values don't meet the specifications of the schema");
    expect(install.stderr).toMatch(/\/replicaCount'?: got string, want integer/);
    expect(install.stderr).toMatch(/\/sandbox\/resources\/limits\/cpu'?: 'lots' does not match pattern/);
    const list = await helm(['list', '-n', ns.name, '-a', '-q']);
    expect(list.stdout.trim()).toBe('');
  });

  it('name a misspelt key', async () => {
    const message = await renderError(['-f', valuesFile('typo.yaml', 'replcaCount: 2\n')]);
    expect(message).toMatch(/additional properties 'replcaCount' not allowed/);
  });

  it('reject an unknown enum value with the allowed ones', async () => {
    const message = await renderError(['--set', 'service.type=Ingress']);
    expect(message).toContain('/service/type');
    expect(message).toMatch(/ClusterIP.*NodePort.*LoadBalancer/);
  });

  it('reject an external Redis without a URL', async () => {
    const message = await renderError(['--set', 'redis.bundled.enabled=false']);
    expect(message).toContain(
      'redis: set secret.redisUrl (or secret.existingSecret with a REDIS_URL key), or redis.bundled.enabled=true',
    );
  });

  it('reject the HPA and KEDA together', async () => {
    const message = await renderError([
      '--set',
      'autoscaling.enabled=true',
      '--set',
      'keda.enabled=true',
      '--api-versions',
      'keda.sh/v1alpha1/ScaledObject',
    ]);
    expect(message).toContain('autoscaling.enabled and keda.enabled are both true');
  });

  it('reject GPU sandboxes, which this version cannot run', async () => {
    const message = await renderError(['-f', join(CHART, 'values-prod.yaml'), '--set', 'gpu.enabled=true']);
    expect(message).toContain('gpu.enabled: GPU sandboxes are not supported by this version');
  });

  it('reject a sandbox namespace that is the release namespace', async () => {
    const message = await renderError(['--namespace', 'team-a', '--set', 'sandbox.namespace.name=team-a']);
    expect(message).toContain('sandbox.namespace.name equals the release namespace');
  });
});

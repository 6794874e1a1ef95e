// Two chart values for platforms whose Git server is private: sandbox.networkPolicy.extraEgress
// appends egress rules to the sandbox NetworkPolicy as given, and git.caBundle becomes a ConfigMap
// that only the worker mounts, read-only, with GIT_CA_FILE pointing at it.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderChart, type K8sObject } from '../support/chart-render.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const RENDER_MS = 60_000;

async function valuesFile(values: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'ci-fixer-chart-values-')), 'values.json');
  await writeFile(file, JSON.stringify(values));
  return file;
}

const envOf = (deployment: K8sObject) =>
  (deployment.spec.template.spec.containers[0].env ?? []) as Array<{ name: string; value?: string }>;

describe('sandbox.networkPolicy.extraEgress', () => {
  it(
    'appends the given rules after the DNS and internet rules, unchanged',
    async () => {
      const extra = [{ to: [{ ipBlock: { cidr: '10.89.255.1/32' } }], ports: [{ port: 8443, protocol: 'TCP' }] }];
      const r = await renderChart(['-f', await valuesFile({ sandbox: { networkPolicy: { extraEgress: extra } } })]);
      const egress = r.get('NetworkPolicy', 'ci-fixer-sandbox').spec.egress as K8sObject[];
      expect(egress).toHaveLength(3);
      expect(egress[2]).toEqual(extra[0]);
      // The denied ranges still apply to everything else.
      expect(egress[1]!.to[0].ipBlock.except).toContain('10.0.0.0/8');
    },
    RENDER_MS,
  );

  it(
    'adds nothing by default',
    async () => {
      const r = await renderChart();
      expect(r.get('NetworkPolicy', 'ci-fixer-sandbox').spec.egress).toHaveLength(2);
    },
    RENDER_MS,
  );
});

describe('git.caBundle', () => {
  it(
    'mounts the bundle read-only into the worker alone and points GIT_CA_FILE at it',
    async () => {
      const r = await renderChart(['-f', await valuesFile({ git: { caBundle: PEM } })]);
      expect(r.get('ConfigMap', 'ci-fixer-git-ca').data['ca.pem']).toBe(PEM);
      const worker = r.get('Deployment', 'ci-fixer-worker');
      const spec = worker.spec.template.spec;
      const mount = spec.containers[0].volumeMounts.find((m: K8sObject) => m.name === 'git-ca');
      expect(mount).toEqual({ name: 'git-ca', mountPath: '/etc/ci-fixer/git-ca', readOnly: true });
      expect(spec.volumes).toContainEqual({ name: 'git-ca', configMap: { name: 'ci-fixer-git-ca' } });
      expect(envOf(worker)).toContainEqual({ name: 'GIT_CA_FILE', value: '/etc/ci-fixer/git-ca/ca.pem' });
      // A changed bundle restarts the worker, which reads it at startup.
      expect(worker.spec.template.metadata.annotations['checksum/git-ca']).toMatch(/^[0-9a-f]{64}$/);

      const api = r.get('Deployment', 'ci-fixer-app');
      expect(envOf(api).map((e) => e.name)).not.toContain('GIT_CA_FILE');
      expect(JSON.stringify(api.spec.template.spec)).not.toContain('git-ca');
      // Not in the shared ConfigMap either: only the worker has the file.
      expect(r.get('ConfigMap', 'ci-fixer-config').data.GIT_CA_FILE).toBeUndefined();
    },
    RENDER_MS,
  );

  it(
    'renders no ConfigMap, mount or variable when empty',
    async () => {
      const r = await renderChart();
      expect(r.all('ConfigMap').map((c) => c.metadata.name)).not.toContain('ci-fixer-git-ca');
      const worker = r.get('Deployment', 'ci-fixer-worker');
      expect(envOf(worker).map((e) => e.name)).not.toContain('GIT_CA_FILE');
      expect(JSON.stringify(worker.spec.template.spec)).not.toContain('git-ca');
    },
    RENDER_MS,
  );

  it(
    'refuses a value that holds no certificate',
    async () => {
      await expect(renderChart(['--set', 'git.caBundle=not-a-pem'])).rejects.toThrow(/caBundle/);
    },
    RENDER_MS,
  );
});

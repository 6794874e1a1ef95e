import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VersionApi } from '@kubernetes/client-node';
import { loadKubeConfig, useTestNamespace } from '../support/k8s.js';

const run = promisify(execFile);
const scripts = resolve(import.meta.dirname, '../../scripts/test-cluster');

describe('the cached helm binary', () => {
  const ns = useTestNamespace('helm');
  let helm = '';
  let chart = '';

  beforeAll(async () => {
    const { stdout } = await run('bash', [`${scripts}/build.sh`, '--print-bin-dir'], { timeout: 10_000 });
    helm = join(stdout.trim(), 'helm');
    chart = await mkdtemp(join(tmpdir(), 'ci-fixer-chart-'));
    await mkdir(join(chart, 'templates'));
    await writeFile(
      join(chart, 'Chart.yaml'),
      'apiVersion: v2\nname: probe\nversion: 0.1.0\nkubeVersion: ">=1.30.0-0"\n',
    );
    await writeFile(join(chart, 'values.yaml'), 'greeting: hello\n');
    await writeFile(
      join(chart, 'templates', 'configmap.yaml'),
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ .Release.Name }}-probe',
        'data:',
        '  greeting: {{ .Values.greeting | quote }}',
        '  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    if (chart) await rm(chart, { recursive: true, force: true });
  });

  const env = () => ({
    ...process.env,
    HELM_CACHE_HOME: join(chart, '.cache'),
    HELM_CONFIG_HOME: join(chart, '.config'),
    HELM_DATA_HOME: join(chart, '.data'),
  });

  it('reports a v3 version', async () => {
    const { stdout } = await run(helm, ['version', '--short'], { timeout: 20_000, env: env() });
    expect(stdout.trim()).toMatch(/^v3\.\d+\.\d+/);
  });

  it('renders a chart with values offline', async () => {
    const { stdout } = await run(helm, ['template', 'demo', chart, '--set', 'greeting=hi'], {
      timeout: 20_000,
      env: env(),
    });
    expect(stdout).toContain('name: demo-probe');
    expect(stdout).toContain('greeting: "hi"');
  });

  it('validates the rendered chart against the test cluster and sees its Kubernetes version', async () => {
    const server = await loadKubeConfig().makeApiClient(VersionApi).getCode();
    const { stdout } = await run(
      helm,
      ['template', 'demo', chart, '--validate', '--namespace', ns.name, '--kubeconfig', inject('kubeconfig')],
      {
        timeout: 30_000,
        env: env(),
      },
    );
    expect(stdout).toContain(`kubeVersion: "${server.gitVersion}"`);
  });
});

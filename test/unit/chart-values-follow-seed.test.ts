// The chart's metadata and values files hold the seed guide's numbers, agree with the app's own
// config defaults, and are documented key by key in chart/README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOCS } from '../../src/config.js';
import { CHART_DIR, REPO_ROOT } from '../../scripts/lib/cluster-tools.js';

const read = (file: string) => parse(readFileSync(join(CHART_DIR, file), 'utf8')) as Record<string, any>;
const chart = read('Chart.yaml');
const values = read('values.yaml');
const prod = read('values-prod.yaml');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const configDefault = (name: string) => CONFIG_DOCS.find((d) => d.name === name)?.default;

/** Dotted paths of every leaf (and every empty map or list) of a values tree. */
function leafPaths(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || Object.keys(node).length === 0)
    return [prefix];
  return Object.entries(node).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe('chart metadata and values', () => {
  it('Chart.yaml names the chart as the seed does, with the app version from package.json', () => {
    expect(chart).toMatchObject({
      apiVersion: 'v2',
      name: 'ci-fixer',
      description: 'CI-Fixer - Kubernetes-native CI fix automation',
      type: 'application',
      version: '0.1.0',
    });
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('values.yaml holds the seed Minikube defaults', () => {
    expect(values.replicaCount).toBe(1);
    expect(values.image).toMatchObject({ repository: 'ci-fixer', tag: 'latest', pullPolicy: 'IfNotPresent' });
    expect(values.service).toEqual({ type: 'ClusterIP', port: 80 });
    expect(values.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(values.sandbox.image).toBe('nikolaik/python-nodejs:python3.11-nodejs20-bullseye');
    expect(values.sandbox.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '1Gi' },
    });
    expect(values.nodeSelector).toEqual({});
    expect(values.tolerations).toEqual([]);
    expect(values.affinity).toEqual({});
  });

  it('values-prod.yaml holds the seed production overrides', () => {
    expect(prod.replicaCount).toBe(2);
    expect(prod.image).toEqual({ repository: '<your-registry>/ci-fixer', pullPolicy: 'Always' });
    expect(prod.service).toEqual({ type: 'LoadBalancer' });
    expect(prod.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2000m', memory: '4Gi' },
    });
    expect(prod.sandbox.resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '1000m', memory: '2Gi' },
    });
    expect(prod.gpu).toEqual({ enabled: false });
  });

  it('sandbox and worker defaults equal the app config defaults, so chart and `npm start` agree', () => {
    expect(values.sandbox.image).toBe(configDefault('SANDBOX_IMAGE'));
    expect(values.sandbox.resources.requests.cpu).toBe(configDefault('SANDBOX_CPU_REQUEST'));
    expect(values.sandbox.resources.limits.cpu).toBe(configDefault('SANDBOX_CPU_LIMIT'));
    expect(values.sandbox.resources.requests.memory).toBe(configDefault('SANDBOX_MEMORY_REQUEST'));
    expect(values.sandbox.resources.limits.memory).toBe(configDefault('SANDBOX_MEMORY_LIMIT'));
    expect(values.sandbox.ephemeralStorageLimit).toBe(configDefault('SANDBOX_EPHEMERAL_STORAGE_LIMIT'));
    expect(String(values.sandbox.maxConcurrent)).toBe(configDefault('MAX_CONCURRENT_SANDBOXES'));
    expect(String(values.worker.concurrency)).toBe(configDefault('WORKER_CONCURRENCY'));
    expect(String(values.worker.drainSeconds)).toBe(configDefault('WORKER_DRAIN_SECONDS'));
    expect(values.config.queueName).toBe(configDefault('QUEUE_NAME'));
    expect(values.config.queuePrefix).toBe(configDefault('QUEUE_PREFIX'));
  });

  it('documents every key of values.yaml in chart/README.md', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const undocumented = leafPaths(values).filter((path) => !readme.includes(`\`${path}\``));
    expect(undocumented).toEqual([]);
  });
});

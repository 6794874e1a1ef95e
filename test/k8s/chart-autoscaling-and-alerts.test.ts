// The optional autoscaling and monitoring objects: the HPA scales the worker on External
// queue-depth metrics, KEDA may go to zero, and every PromQL expression parses and names only
// series that ci-fixer (or kube-state-metrics) really exports.
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { renderChart, type K8sObject } from '../support/chart-render.js';
import { CHART, helmOffline } from '../support/helm-release.js';

const CRD_APIS = [
  '--api-versions',
  'keda.sh/v1alpha1/ScaledObject',
  '--api-versions',
  'monitoring.coreos.com/v1/ServiceMonitor',
  '--api-versions',
  'monitoring.coreos.com/v1/PrometheusRule',
];
const OPTIONAL_ON = [
  '--set',
  'keda.enabled=true',
  '--set',
  'metrics.serviceMonitor.enabled=true',
  '--set',
  'metrics.prometheusRule.enabled=true',
];

function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
    },
  });
  return errors;
}

/** Series names and `state` label values the app's registry really exposes. */
async function exportedSeries(): Promise<{ names: Set<string>; states: Set<string> }> {
  const metrics = createMetrics();
  metrics.setQueueCountsSource(async () => ({
    waiting: 1,
    prioritized: 1,
    active: 1,
    delayed: 0,
    completed: 0,
    failed: 0,
  }));
  metrics.setScalingSource({
    queue: 'fix-tasks',
    read: async () => ({ waiting: 1, prioritized: 1, delayedDue: 0, active: 1, demand: 3 }),
  });
  const json = await metrics.registry.getMetricsAsJSON();
  const names = new Set(json.map((m) => m.name));
  const depth = json.find((m) => m.name === 'ci_fixer_queue_depth');
  const states = new Set((depth?.values ?? []).map((v) => String(v.labels.state)));
  return { names, states };
}

describe('worker autoscaling', () => {
  it('renders an autoscaling/v2 HPA on External queue metrics with values-prod.yaml', async () => {
    const r = await renderChart(['-f', `${CHART}/values-prod.yaml`]);
    const hpa = r.get('HorizontalPodAutoscaler', 'ci-fixer-worker');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'ci-fixer-worker' });
    const metrics = hpa.spec.metrics as K8sObject[];
    // One figure (src/queue/scaling.ts), worker.concurrency of it per replica.
    expect(metrics.map((m) => `${m.type}:${m.external.metric.name}`)).toEqual(['External:ci_fixer_queue_demand']);
    expect(metrics[0]!.external.target).toEqual({ type: 'AverageValue', averageValue: '2' });
    expect((await exportedSeries()).names).toContain('ci_fixer_queue_demand');
    // The HPA owns the count: a helm upgrade must not reset it.
    expect(r.get('Deployment', 'ci-fixer-worker').spec).not.toHaveProperty('replicas');
  });

  it('renders a KEDA ScaledObject that may scale to zero, reading GET /scaling of the api pods', async () => {
    const r = await renderChart([...CRD_APIS, '--set', 'keda.enabled=true'], 'demo');
    const so = r.get('ScaledObject', 'ci-fixer-worker');
    expect(so.spec.minReplicaCount).toBe(0);
    expect(so.spec.scaleTargetRef.name).toBe('ci-fixer-worker');
    const triggers = so.spec.triggers as Array<{ type: string; metadata: Record<string, string> }>;
    expect(triggers).toEqual([
      {
        type: 'metrics-api',
        name: 'demand',
        metadata: {
          url: 'http://ci-fixer-app-metrics.demo.svc:9464/scaling',
          format: 'json',
          valueLocation: 'demand',
          targetValue: '2',
          activationTargetValue: '0',
        },
      },
    ]);
    // The URL names the api's metrics Service and its port.
    const svc = r.get('Service', 'ci-fixer-app-metrics');
    expect(svc.spec.ports.map((p: { port: number }) => p.port)).toContain(9464);
    expect(r.all('HorizontalPodAutoscaler')).toEqual([]);
  });

  it('keeps the Prometheus variant: one query over the same gauge', async () => {
    const r = await renderChart(
      [...CRD_APIS, '--set', 'keda.enabled=true', '--set', 'keda.trigger=prometheus'],
      'demo',
    );
    const [trigger, ...rest] = r.get('ScaledObject', 'ci-fixer-worker').spec.triggers as Array<{
      type: string;
      metadata: Record<string, string>;
    }>;
    expect(rest).toEqual([]);
    expect(trigger!.type).toBe('prometheus');
    expect(trigger!.metadata.query).toBe('max(ci_fixer_queue_demand{namespace="demo"})');
    expect(promqlErrors(trigger!.metadata.query!)).toEqual([]);
    expect((await exportedSeries()).names).toContain('ci_fixer_queue_demand');
    expect(trigger!.metadata.threshold).toBe('2');
  });

  it('fails with a readable message when the cluster lacks the KEDA or Prometheus operator APIs', async () => {
    for (const flag of OPTIONAL_ON.filter((a) => a !== '--set')) {
      const result = await helmOffline(['template', 'ci-fixer', CHART, '--set', flag]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/the cluster has no .* API; install .* first/);
    }
  });
});

describe('monitoring', () => {
  it('scrapes /metrics of both the api and worker Services', async () => {
    const r = await renderChart([...CRD_APIS, ...OPTIONAL_ON]);
    const sm = r.get('ServiceMonitor', 'ci-fixer');
    const selected = r
      .all('Service')
      .filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    // The api's metrics port, not its (possibly exposed) API Service.
    expect(selected.map((s) => s.metadata.name).sort()).toEqual(['ci-fixer-app-metrics', 'ci-fixer-worker-metrics']);
    expect(r.get('Service', 'ci-fixer-app').metadata.labels).not.toHaveProperty('ci-fixer.io/metrics');
    for (const svc of selected)
      expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain(sm.spec.endpoints[0].port);
    expect(sm.spec.endpoints[0].path).toBe('/metrics');
  });

  it('alerts on failed Jobs, backlog age and sandbox failure rate with valid PromQL over real series', async () => {
    const r = await renderChart([...CRD_APIS, ...OPTIONAL_ON], 'demo');
    const rules = (r.get('PrometheusRule', 'ci-fixer').spec.groups as K8sObject[]).flatMap(
      (g) => g.rules as K8sObject[],
    );
    expect(rules.filter((x) => x.alert).map((x) => x.alert)).toEqual([
      'CiFixerSandboxJobsFailed',
      'CiFixerQueueBacklogOld',
      'CiFixerSandboxFailureRateHigh',
    ]);

    const { names, states } = await exportedSeries();
    const recorded = new Set(rules.filter((x) => x.record).map((x) => x.record as string));
    for (const rule of rules) {
      const expr = rule.expr as string;
      expect(promqlErrors(expr), `${rule.alert ?? rule.record}: ${expr}`).toEqual([]);
      for (const series of expr.match(/\bci_fixer_[a-z_]+\b/g) ?? [])
        expect(names, `${series} in ${expr}`).toContain(series);
      for (const series of expr.match(/\bci_fixer:[a-z_:0-9]+/g) ?? [])
        expect(recorded, `${series} in ${expr}`).toContain(series);
      for (const state of expr.match(/state=~?"([^"]+)"/)?.[1]?.split('|') ?? []) expect(states).toContain(state);
    }
    const failedJobs = rules.find((x) => x.alert === 'CiFixerSandboxJobsFailed')!;
    expect(failedJobs.expr).toContain('namespace="demo-sandbox"');
    const failureRate = rules.find((x) => x.alert === 'CiFixerSandboxFailureRateHigh')!;
    expect(failureRate.expr).toContain('outcome="error"');
  });
});

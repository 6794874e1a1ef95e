import { describe, expect, it } from 'vitest';
import { createOpsApp } from '../../src/api/ops-app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { buildTestApp } from '../support/api-harness.js';

describe('probes', () => {
  it('answers /healthz without a token', async () => {
    const { app } = buildTestApp();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when Redis answers', async () => {
    const { app } = buildTestApp();
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz 503 when the ping fails', async () => {
    const { app, tasks, logs } = buildTestApp();
    tasks.pingFailure = new Error('ECONNREFUSED');
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'not_ready', message: 'redis did not answer' } });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'not_ready', reason: 'ECONNREFUSED' }));
  });

  it('answers /readyz 503 when the ping never returns', async () => {
    const { app, tasks } = buildTestApp({ readyTimeoutMs: 20 });
    tasks.pingFailure = 'hang';
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_ready');
  });
});

describe('/metrics', () => {
  it('is not served on the API port, only on the metrics port', async () => {
    const { app, ops } = buildTestApp();
    const res = await app.request('/metrics');
    expect(res.status).toBe(404);
    expect((await ops.request('/metrics')).status).toBe(200);
  });

  it('serves Prometheus text with queue depth by state and the task metrics', async () => {
    const { ops: app, tasks, metrics } = buildTestApp();
    tasks.queueCounts = { waiting: 3, prioritized: 0, active: 2, delayed: 1, completed: 7, failed: 4 };
    metrics.tasksFinished.inc({ outcome: 'fixed' });
    metrics.taskDuration.observe({ outcome: 'fixed' }, 42);
    metrics.sandboxReady.observe({ driver: 'local' }, 0.2);
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('ci_fixer_queue_depth{state="waiting"} 3');
    expect(text).toContain('ci_fixer_queue_depth{state="active"} 2');
    expect(text).toContain('ci_fixer_queue_depth{state="failed"} 4');
    expect(text).toContain('ci_fixer_tasks_finished_total{outcome="fixed"} 1');
    expect(text).toContain('ci_fixer_task_duration_seconds_bucket{le="60",outcome="fixed"} 1');
    expect(text).toContain('ci_fixer_sandbox_ready_seconds_count{driver="local"} 1');
    expect(text).toContain('# TYPE ci_fixer_webhook_ignored_total counter');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('still answers when the queue counts never come, without stale depth', async () => {
    const { ops: app, tasks } = buildTestApp({ metricsCollectTimeoutMs: 20 });
    tasks.queueCounts = { waiting: 9, prioritized: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
    expect(await (await app.request('/metrics')).text()).toContain('ci_fixer_queue_depth{state="waiting"} 9');
    tasks.countsFailure = 'hang';
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE ci_fixer_queue_depth gauge');
    expect(text).not.toMatch(/^ci_fixer_queue_depth\{/m);
    expect(text).toContain('ci_fixer_tasks_finished_total');
  });

  it('reports a failed counts read to its error callback', async () => {
    const errors: unknown[] = [];
    const metrics = createMetrics({ onCollectError: (err) => errors.push(err) });
    metrics.setQueueCountsSource(() => Promise.reject(new Error('redis down')));
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^ci_fixer_queue_depth\{/m);
    expect(errors).toEqual([new Error('redis down')]);
  });

  it('keeps the metrics of separate instances apart', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.tasksFinished.inc({ outcome: 'error' });
    expect(await a.registry.metrics()).toContain('ci_fixer_tasks_finished_total{outcome="error"} 1');
    expect(await b.registry.metrics()).not.toContain('outcome="error"');
  });
});

describe('createOpsApp, for the worker metrics port', () => {
  it('serves the probes and metrics on their own', async () => {
    const metrics = createMetrics();
    let up = true;
    const ping = async (): Promise<void> => {
      if (!up) throw new Error('down');
    };
    const app = createOpsApp({ tasks: { ping }, metrics, logger: createLogger('silent') });
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.request('/readyz')).status).toBe(200);
    up = false;
    expect((await app.request('/readyz')).status).toBe(503);
    expect(await (await app.request('/metrics')).text()).toContain('# TYPE ci_fixer_tasks_finished_total counter');
    const missing = await app.request('/api/v1/tasks');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

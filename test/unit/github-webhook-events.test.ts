// Which deliveries become tasks, with GitHub's own example payloads: failed workflow runs and
// check runs do; every other event or action is acknowledged, ignored with a reason and counted;
// a supported event without a required field is a 400 naming it.
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/task.js';
import {
  example,
  failedCheckRun,
  failedWorkflowRun,
  IRRELEVANT_EVENTS,
  post,
  signedDelivery,
  WEBHOOK_SECRET,
} from '../support/github-payloads.js';
import { buildWebhookApp, ignoredCount } from '../support/github-webhook-app.js';

type Body = {
  id?: string;
  statusUrl?: string;
  ignored?: string;
  status?: string;
  error?: { code: string; message: string; details?: { issues?: Array<{ field: string }> } };
};

async function deliver(
  built: ReturnType<typeof buildWebhookApp>,
  event: string,
  payload: unknown,
  deliveryId?: string,
) {
  const res = await built.app.request(
    '/webhooks/github',
    post(await signedDelivery(event, payload, WEBHOOK_SECRET, deliveryId)),
  );
  return { status: res.status, body: (await res.json()) as Body };
}

describe('webhook events', () => {
  it('answers ping with 200 for every example ping (repository, organisation and app hooks)', async () => {
    const built = buildWebhookApp();
    for (const index of [0, 1, 2, 3]) {
      let seen = -1;
      const payload = example('ping', () => ++seen === index);
      expect(await deliver(built, 'ping', payload)).toEqual({ status: 200, body: { status: 'pong' } });
    }
    expect(built.tasks.submitted).toEqual([]);
  });

  it('turns a failed workflow_run into a task holding everything about the failure', async () => {
    const built = buildWebhookApp();
    const payload = failedWorkflowRun();
    payload.workflow_run.pull_requests = [
      { number: 17, id: 1, url: 'https://api.github.com/repos/octo-org/octo-repo/pulls/17' },
    ];
    payload.installation = { id: 4242, node_id: 'x' };
    const res = await deliver(built, 'workflow_run', payload, 'delivery-0001');
    expect(res.status).toBe(202);
    expect(res.body.statusUrl).toBe(`/api/v1/tasks/${res.body.id}`);
    const spec = built.tasks.submitted[0] as unknown as TaskSpec;
    expect(spec.repo).toEqual({
      url: 'https://github.com/octo-org/octo-repo.git',
      ref: '3484a3fb816e0859fd6e1cea078d76385ff50625',
    });
    expect(spec.command).toBeUndefined();
    expect(spec.github).toEqual({
      event: 'workflow_run',
      deliveryId: 'delivery-0001',
      repository: {
        fullName: 'octo-org/octo-repo',
        cloneUrl: 'https://github.com/octo-org/octo-repo.git',
        defaultBranch: 'master',
      },
      headSha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
      headBranch: 'master',
      headRepository: 'octo-org/octo-repo',
      pullRequests: [17],
      workflow: { name: 'test', path: '.github/workflows/test.yml' },
      runId: 289782451,
      checkRun: null,
      failedJob: null,
      installationId: 4242,
    });
  });

  it('turns a failed or timed-out check_run into a task named after the failed job', async () => {
    const built = buildWebhookApp();
    const res = await deliver(built, 'check_run', failedCheckRun());
    expect(res.status).toBe(202);
    const spec = built.tasks.submitted[0] as unknown as TaskSpec;
    expect(spec.github).toMatchObject({
      event: 'check_run',
      repository: { fullName: 'Codertocat/Hello-World', cloneUrl: 'https://github.com/Codertocat/Hello-World.git' },
      headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
      headBranch: 'changes',
      pullRequests: [2],
      checkRun: { id: 128620228, name: 'Octocoders-linter' },
      failedJob: 'Octocoders-linter',
      workflow: null,
    });
    const timedOut = failedCheckRun();
    timedOut.check_run.conclusion = 'timed_out';
    expect((await deliver(built, 'check_run', timedOut)).status).toBe(202);
    expect(built.tasks.submitted).toHaveLength(2);
  });

  it('ignores, with a counted reason, every other event, action and conclusion', async () => {
    const built = buildWebhookApp();
    for (const event of IRRELEVANT_EVENTS) {
      expect(await deliver(built, event, example(event)), event).toEqual({
        status: 202,
        body: { ignored: 'unsupported_event' },
      });
    }
    const requested = example('workflow_run', (p) => p.action === 'requested');
    expect((await deliver(built, 'workflow_run', requested)).body).toEqual({ ignored: 'action_not_completed' });
    const succeeded = example('workflow_run', (p) => p.workflow_run?.conclusion === 'success');
    expect((await deliver(built, 'workflow_run', succeeded)).body).toEqual({ ignored: 'conclusion_not_failure' });
    const checkCreated = example('check_run', (p) => p.action === 'created');
    expect((await deliver(built, 'check_run', checkCreated)).body).toEqual({ ignored: 'action_not_completed' });
    const checkPassed = example('check_run', (p) => p.action === 'completed' && p.check_run.conclusion === 'success');
    expect((await deliver(built, 'check_run', checkPassed)).body).toEqual({ ignored: 'conclusion_not_failure' });

    expect(built.tasks.submitted).toEqual([]);
    expect(await ignoredCount(built.metrics, 'unsupported_event')).toBe(IRRELEVANT_EVENTS.length);
    expect(await ignoredCount(built.metrics, 'action_not_completed')).toBe(2);
    expect(await ignoredCount(built.metrics, 'conclusion_not_failure')).toBe(2);
    const text = await (await built.ops.request('/metrics')).text();
    expect(text).toContain(`ci_fixer_webhook_ignored_total{reason="unsupported_event"} ${IRRELEVANT_EVENTS.length}`);
  });

  it('ignores repositories outside the allow-list, matching organisations and repositories case-insensitively', async () => {
    const byRepo = buildWebhookApp({ allow: ['someone/else', 'OCTO-ORG/octo-repo'] });
    expect((await deliver(byRepo, 'workflow_run', failedWorkflowRun())).status).toBe(202);
    const byOrg = buildWebhookApp({ allow: ['octo-org'] });
    expect((await deliver(byOrg, 'workflow_run', failedWorkflowRun())).status).toBe(202);
    const other = buildWebhookApp({ allow: ['codertocat', 'octo-org/another-repo'] });
    expect((await deliver(other, 'workflow_run', failedWorkflowRun())).body).toEqual({
      ignored: 'repository_not_allowed',
    });
    expect(other.tasks.submitted).toEqual([]);
    expect(await ignoredCount(other.metrics, 'repository_not_allowed')).toBe(1);
  });

  it('ignores its own check run and failures on its own fix branches, so it never loops', async () => {
    const built = buildWebhookApp({ appId: '29310' });
    const own = failedCheckRun();
    own.check_run.name = 'ci-fixer';
    own.check_run.app.id = 1;
    expect((await deliver(built, 'check_run', own)).body).toEqual({ ignored: 'own_check_run' });
    const byOurApp = failedCheckRun();
    expect((await deliver(built, 'check_run', byOurApp)).body).toEqual({ ignored: 'own_check_run' });
    const onFixBranch = failedWorkflowRun();
    onFixBranch.workflow_run.head_branch = 'ci-fixer/3484a3f-0b7e1c2a';
    expect((await deliver(built, 'workflow_run', onFixBranch)).body).toEqual({ ignored: 'ci_fixer_branch' });
    expect(built.tasks.submitted).toEqual([]);
  });

  it('answers 400 naming the field when a supported event lacks what a task needs', async () => {
    const built = buildWebhookApp();
    const cases: Array<[string, (p: Record<string, any>) => void, string]> = [
      ['workflow_run', (p) => delete p.action, 'action'],
      ['workflow_run', (p) => delete p.workflow_run, 'workflow_run'],
      ['workflow_run', (p) => delete p.workflow_run.head_sha, 'workflow_run.head_sha'],
      ['workflow_run', (p) => (p.workflow_run.head_sha = 'main'), 'workflow_run.head_sha'],
      ['workflow_run', (p) => delete p.repository, 'repository'],
      [
        'workflow_run',
        (p) => (p.repository.clone_url = 'git@github.com:octo-org/octo-repo.git'),
        'repository.clone_url',
      ],
      ['workflow_run', (p) => (p.workflow_run.id = 'one'), 'workflow_run.id'],
      ['check_run', (p) => delete p.check_run.head_sha, 'check_run.head_sha'],
      ['check_run', (p) => delete p.check_run.name, 'check_run.name'],
      ['check_run', (p) => (p.check_run.pull_requests = [{ number: -1 }]), 'check_run.pull_requests.0.number'],
    ];
    for (const [event, mutate, field] of cases) {
      const payload = event === 'workflow_run' ? failedWorkflowRun() : failedCheckRun();
      mutate(payload);
      const res = await deliver(built, event, payload);
      expect(res.status, field).toBe(400);
      expect(res.body.error?.code).toBe('validation_failed');
      expect(
        res.body.error?.details?.issues?.map((i) => i.field),
        field,
      ).toContain(field);
      expect(res.body.error?.message).toContain(field);
    }
    expect(built.tasks.submitted).toEqual([]);
  });

  it('answers 4xx for bad transport: size, media type, JSON, headers', async () => {
    const built = buildWebhookApp({ bodyLimitBytes: 2048 });
    const big = await signedDelivery(
      'workflow_run',
      { ...failedWorkflowRun(), padding: 'x'.repeat(4096) },
      WEBHOOK_SECRET,
    );
    expect((await built.app.request('/webhooks/github', post(big))).status).toBe(413);

    const delivery = await signedDelivery('ping', { zen: 'z' }, WEBHOOK_SECRET);
    const xml = await built.app.request('/webhooks/github', {
      method: 'POST',
      headers: { ...delivery.headers, 'Content-Type': 'text/xml' },
      body: delivery.body,
    });
    expect(xml.status).toBe(415);

    const broken = '{"action": "completed",';
    const { sign } = await import('@octokit/webhooks-methods');
    const malformed = await built.app.request('/webhooks/github', {
      method: 'POST',
      headers: {
        ...delivery.headers,
        'X-GitHub-Event': 'workflow_run',
        'X-Hub-Signature-256': await sign(WEBHOOK_SECRET, broken),
      },
      body: broken,
    });
    expect(malformed.status).toBe(400);

    const { 'X-GitHub-Event': _event, ...noEvent } = delivery.headers;
    const missingEvent = await built.app.request('/webhooks/github', {
      method: 'POST',
      headers: noEvent,
      body: delivery.body,
    });
    expect(missingEvent.status).toBe(400);
    expect(((await missingEvent.json()) as Body).error?.message).toContain('X-GitHub-Event');
  });

  it('accepts the form-encoded content type GitHub can be set to', async () => {
    const built = buildWebhookApp();
    const { sign } = await import('@octokit/webhooks-methods');
    const body = new URLSearchParams({ payload: JSON.stringify(failedWorkflowRun()) }).toString();
    const res = await built.app.request('/webhooks/github', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-GitHub-Event': 'workflow_run',
        'X-GitHub-Delivery': 'form-delivery',
        'X-Hub-Signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
    });
    expect(res.status).toBe(202);
    expect(built.tasks.submitted).toHaveLength(1);
  });
});

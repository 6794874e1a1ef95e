// Redaction through a worker: a multi-line secret (a PEM key) printed by a task never reaches
// the stored log, result.commands[].command is redacted, and a patch that contained a secret is
// stored redacted and flagged, so it is never delivered (fix-delivery refuses it).
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deliverFix, newDeliveryProgress } from '../../src/github/fix-delivery.js';
import type { FixWorker } from '../../workers/worker.js';
import { Fixtures, specFor } from '../support/fix-pipeline.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, runToEnd, startStackWorker, type QueueStack } from '../support/queue-stack.js';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
  .trim();
const BODY_LINES = PEM.split('\n').filter((l) => !l.startsWith('-----'));

describe('worker redaction', () => {
  const fixtures = new Fixtures();
  let stack: QueueStack;
  let worker: FixWorker;
  afterEach(async () => {
    await worker?.stop();
    await stack?.close();
    stack = undefined as never;
    worker = undefined as never;
  });
  afterAll(() => fixtures.cleanup());

  it('keeps a PEM key out of the log and the recorded commands, and flags a patch that contained a secret', async () => {
    stack = createQueueStack();
    // `greeting` is in the prettier fixture's source, so the fix's patch contains it.
    worker = await startStackWorker(stack, {
      sandboxes: (await startLocalProvider()).provider,
      secrets: [PEM, 'greeting'],
    });
    const repo = await fixtures.repo('prettier');
    const command = `printf '%b\\n' '${PEM.replace(/\n/g, '\\n')}' && ${repo.command}`;
    const task = await runToEnd(stack, { ...specFor(repo), command });
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'fixed', patchRedacted: true } });

    const log = await stack.tasks.readLogs(task.id, 0, 10_000);
    const stored = JSON.stringify({ log: log.lines, result: task.result, error: task.error });
    expect(BODY_LINES.length).toBeGreaterThan(10);
    for (const line of BODY_LINES) expect(stored).not.toContain(line);
    expect(stored).not.toContain('greeting');
    const printed = task.result?.commands.filter((c) => c.command.startsWith('printf')) ?? [];
    expect(printed.length).toBeGreaterThan(0);
    for (const c of printed) expect(c.command).toContain('[redacted]');
    expect(task.result?.patch).toContain('[redacted]');
    expect(log.lines.map((l) => l.text)).toContain(
      'the patch contained a configured secret; it was redacted and will not be delivered',
    );
  });

  it('redacts error messages: the task error and a reporting error that echo a secret', async () => {
    stack = createQueueStack({ attempts: 1 });
    const SECRET = 'sekrit-token-0123456789';
    // Our own hook interface, standing in for a reporter whose GitHub error echoes a token.
    const hooks = {
      onFinish: async () => ({
        github: {
          checkRunId: null,
          checkRunUrl: null,
          branch: null,
          commitSha: null,
          pullRequestUrl: null,
          commentUrl: null,
          attempts: 1,
          error: { code: 'github_http_401', message: `Bad credentials for ${SECRET}` },
        },
      }),
    };
    worker = await startStackWorker(stack, {
      sandboxes: (await startLocalProvider()).provider,
      secrets: [SECRET],
      hooks,
    });
    const failed = await runToEnd(stack, {
      repo: { url: `file:///nonexistent/${SECRET}/repo.git`, ref: 'main' },
      command: 'true',
    });
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toContain('[redacted]');
    const ok = await runToEnd(stack, { ...specFor(await fixtures.repo('passing')), command: 'true' });
    expect(ok.result?.github?.error?.message).toBe('Bad credentials for [redacted]');
    // The spec is what the client sent; what the worker recorded must not echo the secret.
    expect(JSON.stringify([failed.error, failed.result, ok.result])).not.toContain(SECRET);
  });

  it('refuses to deliver a redacted patch, saying why', async () => {
    const progress = newDeliveryProgress();
    const logged: string[] = [];
    const report = {
      checkRunId: null,
      checkRunUrl: null,
      branch: null,
      commitSha: null,
      pullRequestUrl: null,
      commentUrl: null,
      attempts: 0,
      error: null,
    };
    const origin = {
      event: 'check_run' as const,
      deliveryId: 'd',
      repository: { fullName: 'o/r', cloneUrl: 'https://github.com/o/r.git', defaultBranch: 'main' },
      headSha: 'a'.repeat(40),
      headBranch: 'feature',
      headRepository: null,
      pullRequests: [7],
      workflow: null,
      runId: null,
      checkRun: { id: 1, name: 'Lint' },
      failedJob: 'Lint',
      installationId: 1,
    };
    // No GitHub at all: a refusal must come before any call (an octokit that throws on use).
    const octokit = new Proxy(
      {},
      {
        get: () => {
          throw new Error('GitHub was called');
        },
      },
    ) as never;
    await deliverFix(
      {
        octokit,
        token: 't',
        taskId: 'x',
        taskUrl: '/t',
        origin,
        command: 'c',
        commitDate: new Date().toISOString(),
        log: (t) => void logged.push(t),
        result: {
          outcome: 'fixed',
          fixer: 'prettier',
          patch: 'diff [redacted]',
          patchTruncated: false,
          patchRedacted: true,
          commands: [],
        },
      },
      {
        fixPullRequests: true,
        prComments: true,
        allowWorkflowChanges: false,
        gitTimeoutMs: 1000,
        identity: { name: 'n', email: 'e' },
      },
      progress,
      report,
    );
    expect(progress.refusal?.code).toBe('patch_contains_secret');
    expect(progress.pushed).toBe(false);
    expect(logged.join('\n')).toContain('contains a configured secret');
  });
});

// The worker's GitHub hooks (workers/worker.ts TaskHooks). onStart: the check run goes
// in_progress, the failed job is looked up, and the reproduce command is resolved from the
// repository at the head sha. onFinish: the fix is delivered and the check run completed. A
// reporting failure never changes the task's result: it is retried a bounded number of times and
// recorded in result.github.error.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Octokit } from '@octokit/rest';
import type { Config } from '../config.js';
import { errorMessage, isAppError, TaskError } from '../errors.js';
import type { Logger } from '../logger.js';
import { tokenFor, type ScopedToken } from '../fixer/git.js';
import { createRedactor } from '../shared/redact.js';
import type { GitHubOrigin, GitHubReport, TaskErrorInfo } from '../task.js';
import type { TaskEnd, TaskHookContext, TaskHooks, TaskStart } from '../task-hooks.js';
import { completeCheckRun, ownerAndRepo, startCheckRun, type CheckRunRef, type CheckRunTarget } from './check-runs.js';
import { createOctokit, type GitHubClientOptions, type GitHubCredentials } from './client.js';
import { deliverFix, newDeliveryProgress, type DeliveryProgress } from './fix-delivery.js';
import { applyForkLimits, resolveTaskSpec } from './resolve-command.js';
import { assertTrustedOrigin } from './trusted-origin.js';
import { WorkerRepo } from './worker-git.js';

export type GitHubReportSettings = Pick<
  Config['github'],
  | 'apiUrl'
  | 'gitHost'
  | 'requestTimeoutMs'
  | 'checkName'
  | 'checkRuns'
  | 'fixPullRequests'
  | 'prComments'
  | 'allowWorkflowChanges'
  | 'forkTimeoutSeconds'
  | 'forkAllowSetup'
  | 'reportAttempts'
  | 'gitTimeoutSeconds'
>;

export interface GitHubTaskHooksOptions {
  settings: GitHubReportSettings;
  /** undefined: tasks still run (public repositories), nothing is reported. */
  credentials: GitHubCredentials | undefined;
  /** Clone token when the credentials give no read-only one (GIT_TOKEN, for GIT_TOKEN_HOSTS only). */
  gitToken?: ScopedToken;
  publicUrl: string | undefined;
  logger: Logger;
  /** Wait before the second report attempt; doubles after each (default 1000). */
  retryDelayMs?: number;
  /** Parent folder of the worker's temporary clones (default: the OS temp folder). */
  workDir?: string;
  /** Extra environment for the worker's git commands, e.g. GIT_SSL_CAINFO for a private CA. */
  gitEnv?: Record<string, string>;
}

interface TaskState {
  checkRun: CheckRunRef | null;
  /** A start-time reporting failure, kept until the final report overrides it. */
  error: TaskErrorInfo | null;
}

const IDENTITY = { name: 'ci-fixer', email: 'ci-fixer@users.noreply.github.com' };
/** Tasks started here whose finish may be reported by another worker; the oldest are forgotten. */
const MAX_TRACKED = 1000;

/** GitHub's 5xx, rate limits and network failures pass; a 4xx or a refusal will not. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TaskError) return false;
  if (isAppError(err)) return err.retryable;
  const status = (err as { status?: unknown }).status;
  if (typeof status !== 'number') return true;
  if (status === 429 || status >= 500) return true;
  const remaining = (err as { response?: { headers?: Record<string, unknown> } }).response?.headers?.[
    'x-ratelimit-remaining'
  ];
  return status === 403 && remaining === '0';
}

function errorInfo(err: unknown, redact: (text: string) => string): TaskErrorInfo {
  const status = (err as { status?: unknown }).status;
  const code = isAppError(err) ? err.code : typeof status === 'number' ? `github_http_${status}` : 'github_unreachable';
  return { code, message: redact(errorMessage(err)).slice(0, 1000) };
}

export function createGitHubTaskHooks(options: GitHubTaskHooksOptions): TaskHooks {
  const { settings, credentials } = options;
  const clientOptions: GitHubClientOptions = {
    apiUrl: settings.apiUrl,
    requestTimeoutMs: settings.requestTimeoutMs,
    logger: options.logger,
  };
  const gitTimeoutMs = settings.gitTimeoutSeconds * 1000;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const states = new Map<string, TaskState>();
  const taskUrl = (taskId: string) => `${options.publicUrl ?? ''}/api/v1/tasks/${taskId}`;
  const target = (octokit: Octokit, origin: GitHubOrigin, taskId: string): CheckRunTarget => ({
    octokit,
    origin,
    taskId,
    checkName: settings.checkName,
    detailsUrl: options.publicUrl === undefined ? undefined : taskUrl(taskId),
  });

  /** Runs `step` up to reportAttempts times while its failures are retryable. */
  async function withRetries<T>(
    what: string,
    ctx: TaskHookContext,
    redact: (t: string) => string,
    step: (attempt: number) => Promise<T>,
  ): Promise<{ value?: T; error: TaskErrorInfo | null; attempts: number }> {
    let error: TaskErrorInfo | null = null;
    for (let attempt = 1; attempt <= settings.reportAttempts; attempt++) {
      try {
        return { value: await step(attempt), error: null, attempts: attempt };
      } catch (err) {
        error = errorInfo(err, redact);
        const again = attempt < settings.reportAttempts && isRetryable(err);
        ctx.log(
          'system',
          `github: ${what} failed (attempt ${attempt} of ${settings.reportAttempts}): ${error.message}${again ? '; retrying' : ''}`,
        );
        options.logger.warn({ taskId: ctx.taskId, code: error.code, attempt }, 'github_report_failed');
        if (!again) return { error, attempts: attempt };
        await sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
    return { error, attempts: settings.reportAttempts };
  }

  async function onStart(ctx: TaskHookContext): Promise<TaskStart | undefined> {
    let origin = ctx.spec.github;
    if (origin === undefined) return undefined;
    const state: TaskState = { checkRun: null, error: null };
    states.set(ctx.taskId, state);
    while (states.size > MAX_TRACKED) states.delete(states.keys().next().value as string);

    // A job in Redis may be forged: check where its tokens would go before making any.
    assertTrustedOrigin(origin, ctx.spec.repo.url, settings.gitHost);
    await credentials?.verifyInstallation(origin);
    let writeToken: string | undefined;
    if (credentials === undefined) {
      ctx.log('system', 'github: no App or token configured; nothing will be reported');
    } else {
      try {
        writeToken = await credentials.writeToken(origin);
      } catch (err) {
        state.error = errorInfo(err, (t) => t);
        ctx.log('system', `github: no token for ${origin.repository.fullName}: ${state.error.message}`);
      }
    }
    const redact = createRedactor(writeToken === undefined ? [] : [writeToken]);
    if (writeToken !== undefined) {
      const octokit = createOctokit(writeToken, clientOptions);
      if (settings.checkRuns) {
        const started = await withRetries('check run start', ctx, redact, () =>
          startCheckRun(target(octokit, origin as GitHubOrigin, ctx.taskId), taskUrl(ctx.taskId)),
        );
        state.checkRun = started.value ?? null;
        state.error = started.error;
        if (started.value) ctx.log('system', `github: check run ${started.value.id} in progress`);
      }
      if (origin.event === 'workflow_run' && origin.failedJob === null && origin.runId !== null) {
        origin = { ...origin, failedJob: await failedJobName(octokit, origin, ctx) };
      }
    }
    // The sandbox gets a read-only token (an App's), or the configured GIT_TOKEN, never the write token.
    const readToken = await credentials?.readToken(origin);
    const tokens = [readToken, writeToken].filter((t): t is string => t !== undefined);
    try {
      return await resolveWithRepo(
        ctx,
        origin,
        readToken ?? writeToken ?? tokenFor(origin.repository.cloneUrl, options.gitToken),
        readToken,
        tokens,
      );
    } catch (err) {
      // The worker cannot redact tokens it was never told about: scrub them from the error here.
      if (err instanceof Error && tokens.length > 0) err.message = createRedactor(tokens)(err.message);
      throw err;
    }
  }

  async function resolveWithRepo(
    ctx: TaskHookContext,
    origin: GitHubOrigin,
    fetchToken: string | undefined,
    readToken: string | undefined,
    secrets: string[],
  ): Promise<TaskStart> {
    const repo = await WorkerRepo.fetch({
      url: origin.repository.cloneUrl,
      sha: origin.headSha,
      branch: origin.headBranch,
      ...(fetchToken === undefined ? {} : { token: fetchToken }),
      timeoutMs: gitTimeoutMs,
      ...(options.workDir === undefined ? {} : { parentDir: options.workDir }),
      ...(options.gitEnv === undefined ? {} : { env: options.gitEnv }),
    });
    try {
      const log = (text: string) => ctx.log('system', text);
      const resolved = await resolveTaskSpec(repo, { ...ctx.spec, github: origin }, origin, log);
      const spec = applyForkLimits(
        resolved,
        origin,
        { timeoutSeconds: settings.forkTimeoutSeconds, allowSetup: settings.forkAllowSetup },
        log,
      );
      return { spec, ...(readToken === undefined ? {} : { gitToken: readToken }), secrets };
    } finally {
      await repo.dispose();
    }
  }

  async function failedJobName(octokit: Octokit, origin: GitHubOrigin, ctx: TaskHookContext): Promise<string | null> {
    try {
      const { data } = await octokit.rest.actions.listJobsForWorkflowRun({
        ...ownerAndRepo(origin),
        run_id: origin.runId as number,
        filter: 'latest',
        per_page: 100,
      });
      const failed = data.jobs.find((job) => job.conclusion === 'failure' || job.conclusion === 'timed_out');
      if (failed !== undefined) ctx.log('system', `github: failed job "${failed.name}"`);
      return failed?.name ?? null;
    } catch (err) {
      // Without the job name, resolution still has .ci-fixer.yml, a single-job workflow and the defaults.
      ctx.log('system', `github: could not list the run's jobs: ${errorMessage(err)}`);
      return null;
    }
  }

  async function onFinish(
    ctx: TaskHookContext,
    end: TaskEnd,
  ): Promise<{ commandSource?: TaskEnd['spec']['commandSource']; github: GitHubReport } | undefined> {
    const origin = end.spec.github ?? ctx.spec.github;
    if (origin === undefined) return undefined;
    const state = states.get(ctx.taskId) ?? { checkRun: null, error: null };
    states.delete(ctx.taskId);
    const report: GitHubReport = {
      checkRunId: state.checkRun?.id ?? null,
      checkRunUrl: state.checkRun?.url ?? null,
      branch: null,
      commitSha: null,
      pullRequestUrl: null,
      commentUrl: null,
      attempts: 0,
      error: state.error,
    };
    const kept = {
      ...(end.spec.commandSource === undefined ? {} : { commandSource: end.spec.commandSource }),
      github: report,
    };
    if (credentials === undefined) {
      report.error = {
        code: 'github_not_configured',
        message: 'no GitHub App or token is configured; nothing was reported',
      };
      return kept;
    }
    try {
      assertTrustedOrigin(origin, end.spec.repo.url, settings.gitHost);
      await credentials.verifyInstallation(origin);
    } catch (err) {
      report.error = errorInfo(err, (t) => t);
      ctx.log('system', `github: nothing reported: ${report.error.message}`);
      return kept;
    }
    const fixed = end.state === 'succeeded' && end.result?.outcome === 'fixed' && end.result.patch !== '';
    const progress: DeliveryProgress = newDeliveryProgress();
    const commitDate = new Date().toISOString();
    let checkDone = !settings.checkRuns;
    let redact = (text: string) => text;
    const outcome = await withRetries(
      'report',
      ctx,
      (t) => redact(t),
      async () => {
        const token = await credentials.writeToken(origin);
        redact = createRedactor([token]);
        const octokit = createOctokit(token, clientOptions);
        if (fixed && end.result !== null) {
          const input = {
            octokit,
            token,
            taskId: ctx.taskId,
            taskUrl: taskUrl(ctx.taskId),
            origin,
            result: end.result,
            command: end.spec.command ?? '',
            commitDate,
            log: (t: string) => ctx.log('system', t),
          };
          const delivery = {
            ...settings,
            gitTimeoutMs,
            identity: IDENTITY,
            workDir: options.workDir,
            gitEnv: options.gitEnv,
          };
          await deliverFix(input, delivery, progress, report);
        }
        if (!checkDone) {
          const links = {
            taskUrl: taskUrl(ctx.taskId),
            pullRequestUrl: report.pullRequestUrl,
            branch: report.branch,
            note: progress.refusal?.message ?? null,
          };
          const run = await completeCheckRun(target(octokit, origin, ctx.taskId), state.checkRun, end, links);
          report.checkRunId = run.id;
          report.checkRunUrl = run.url;
          checkDone = true;
          ctx.log('system', `github: check run ${run.id} completed`);
        }
      },
    );
    report.attempts = outcome.attempts;
    report.error = outcome.error ?? progress.refusal ?? (checkDone ? null : state.error);
    return kept;
  }

  return { onStart, onFinish };
}

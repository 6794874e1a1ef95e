// Delivering a verified fix: one commit on a new `ci-fixer/...` branch, pushed by the worker, a
// pull request into the failing branch, and a comment on the failing pull request. Each step is
// idempotent across report retries (a fixed commit date gives the same sha; an open pull request
// for the branch is reused; a pull request is commented once).
import type { Octokit } from '@octokit/rest';
import { TaskError } from '../errors.js';
import type { FixResult, GitHubOrigin, GitHubReport } from '../task.js';
import { ownerAndRepo } from './check-runs.js';
import { FIX_BRANCH_PREFIX } from './events.js';
import { commentBody, commitMessage, failureName, fixBranchName, pullRequestBody } from './report-text.js';
import { WorkerRepo, type CommitIdentity } from './worker-git.js';

export const WORKFLOWS_PREFIX = '.github/workflows/';
/** Pull requests commented on for one failure, at most. */
const MAX_COMMENTED_PRS = 5;

export interface FixDeliveryOptions {
  fixPullRequests: boolean;
  prComments: boolean;
  allowWorkflowChanges: boolean;
  gitTimeoutMs: number;
  identity: Omit<CommitIdentity, 'date'>;
  workDir?: string;
  gitEnv?: Record<string, string>;
}

export interface FixDeliveryInput {
  octokit: Octokit;
  token: string;
  taskId: string;
  taskUrl: string;
  origin: GitHubOrigin;
  result: FixResult;
  command: string;
  /** Same on every retry, so the commit's sha is too. */
  commitDate: string;
  log: (text: string) => void;
}

/** What was delivered so far; a retry continues from here. */
export interface DeliveryProgress {
  pushed: boolean;
  pullRequest: boolean;
  commented: Set<number>;
  /** A step that was refused for good (policy, a fork, a patch that does not apply). */
  refusal: { code: string; message: string } | null;
}

export function newDeliveryProgress(): DeliveryProgress {
  return { pushed: false, pullRequest: false, commented: new Set(), refusal: null };
}

/** Never a default or protected branch: only fresh `ci-fixer/` branches, and never the failing one. */
export function assertFixBranch(branch: string, origin: GitHubOrigin): void {
  const forbidden = [origin.repository.defaultBranch, origin.headBranch].filter((b): b is string => b !== null);
  if (!branch.startsWith(FIX_BRANCH_PREFIX) || forbidden.includes(branch)) {
    throw new TaskError('unsafe_branch', `refusing to push to ${branch}`);
  }
}

/** The failing commit lives in another repository than the one that ran CI (a fork's pull request). */
export function isFork(origin: GitHubOrigin): boolean {
  return (
    origin.headRepository !== null && origin.headRepository.toLowerCase() !== origin.repository.fullName.toLowerCase()
  );
}

export async function deliverFix(
  input: FixDeliveryInput,
  options: FixDeliveryOptions,
  progress: DeliveryProgress,
  report: GitHubReport,
): Promise<void> {
  const { origin, result } = input;
  if (result.patch === '' || progress.refusal !== null) return;
  const refuse = (code: string, message: string) => {
    progress.refusal = { code, message };
    input.log(`github: ${message}`);
  };
  if (result.patchRedacted === true) {
    // Pushing the redacted text would silently change the fix; pushing the original would publish the secret.
    refuse(
      'patch_contains_secret',
      'the fix contains a configured secret (redacted from the stored patch), so it is neither pushed nor posted',
    );
    return;
  }
  const canPush = options.fixPullRequests && !result.patchTruncated && origin.headBranch !== null && !isFork(origin);
  if (options.fixPullRequests && !canPush) {
    if (result.patchTruncated) refuse('patch_truncated', 'the patch was cut at the size limit, so it is not pushed');
    else if (isFork(origin))
      refuse('head_in_fork', `the failing commit is in the fork ${origin.headRepository}, where ci-fixer cannot push`);
    else refuse('no_branch', 'the failure has no branch to open a pull request into');
  }
  if (canPush) {
    try {
      await pushAndOpenPullRequest(input, options, progress, report);
    } catch (err) {
      // A refusal (policy, a patch that does not apply) is final; anything else is retried.
      if (!(err instanceof TaskError)) throw err;
      refuse(err.code, err.message);
    }
  }
  if (options.prComments) await commentOnPullRequests(input, progress, report);
}

async function pushAndOpenPullRequest(
  input: FixDeliveryInput,
  options: FixDeliveryOptions,
  progress: DeliveryProgress,
  report: GitHubReport,
): Promise<void> {
  const { origin, octokit } = input;
  const base = origin.headBranch as string;
  const branch = fixBranchName(origin.headSha, input.taskId);
  assertFixBranch(branch, origin);
  if (!progress.pushed) {
    const repo = await WorkerRepo.fetch({
      url: origin.repository.cloneUrl,
      sha: origin.headSha,
      branch: base,
      token: input.token,
      timeoutMs: options.gitTimeoutMs,
      ...(options.workDir === undefined ? {} : { parentDir: options.workDir }),
      ...(options.gitEnv === undefined ? {} : { env: options.gitEnv }),
    });
    try {
      const message = commitMessage(input.taskId, origin, input.result, input.command);
      const { commit, paths } = await repo.commitPatch(origin.headSha, input.result.patch, message, {
        ...options.identity,
        date: input.commitDate,
      });
      const workflowFiles = paths.filter((p) => p.startsWith(WORKFLOWS_PREFIX));
      if (workflowFiles.length > 0 && !options.allowWorkflowChanges) {
        throw new TaskError(
          'workflow_change_refused',
          `the fix changes ${workflowFiles.join(', ')}; set GITHUB_ALLOW_WORKFLOW_CHANGES=true to allow it`,
        );
      }
      await repo.push(commit, branch);
      report.branch = branch;
      report.commitSha = commit;
      progress.pushed = true;
      input.log(`github: pushed ${branch} at ${commit}`);
    } finally {
      await repo.dispose();
    }
  }
  // GitHub's view of the branch must be our commit before a pull request points at it.
  const { data: ref } = await octokit.rest.git.getRef({ ...ownerAndRepo(origin), ref: `heads/${branch}` });
  if (ref.object.sha !== report.commitSha) {
    throw new TaskError('branch_moved', `${branch} is at ${ref.object.sha}, not at the fix commit ${report.commitSha}`);
  }
  if (progress.pullRequest) return;
  const { owner, repo } = ownerAndRepo(origin);
  const open = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'open', per_page: 1 });
  const existing = open.data[0];
  if (existing !== undefined) {
    report.pullRequestUrl = existing.html_url;
  } else {
    const { data } = await octokit.rest.pulls.create({
      owner,
      repo,
      head: branch,
      base,
      title: `ci-fixer: fix "${failureName(origin)}" with ${input.result.fixer ?? 'a fixer'}`,
      body: pullRequestBody(input.taskUrl, origin, input.result),
    });
    report.pullRequestUrl = data.html_url;
    input.log(`github: opened ${data.html_url} into ${base}`);
  }
  progress.pullRequest = true;
}

async function commentOnPullRequests(
  input: FixDeliveryInput,
  progress: DeliveryProgress,
  report: GitHubReport,
): Promise<void> {
  const { origin, octokit } = input;
  const body = commentBody(input.taskUrl, origin, input.result, report.pullRequestUrl);
  for (const number of origin.pullRequests.slice(0, MAX_COMMENTED_PRS)) {
    if (progress.commented.has(number)) continue;
    const { data } = await octokit.rest.issues.createComment({ ...ownerAndRepo(origin), issue_number: number, body });
    progress.commented.add(number);
    report.commentUrl ??= data.html_url;
    input.log(`github: commented on #${number}`);
  }
}

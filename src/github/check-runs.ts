// The `ci-fixer` check run on the failing commit: in_progress while the task runs, completed with
// the outcome and the patch at the end. A check run is found again by its external_id (the task
// id), so a retried attempt or another worker updates the same one instead of adding another.
import type { Octokit } from '@octokit/rest';
import type { GitHubOrigin } from '../task.js';
import { checkConclusion, checkOutput, type ReportLinks, type TaskOutcome } from './report-text.js';

export interface CheckRunRef {
  id: number;
  url: string | null;
}

export interface CheckRunTarget {
  octokit: Octokit;
  origin: GitHubOrigin;
  taskId: string;
  checkName: string;
  /** Absolute task URL for details_url; GitHub refuses relative ones. */
  detailsUrl: string | undefined;
}

export function ownerAndRepo(origin: GitHubOrigin): { owner: string; repo: string } {
  const [owner = '', repo = ''] = origin.repository.fullName.split('/');
  return { owner, repo };
}

export async function findCheckRun(t: CheckRunTarget): Promise<CheckRunRef | undefined> {
  const { data } = await t.octokit.rest.checks.listForRef({
    ...ownerAndRepo(t.origin),
    ref: t.origin.headSha,
    check_name: t.checkName,
    filter: 'all',
    per_page: 100,
  });
  const run = data.check_runs.find((r) => r.external_id === t.taskId);
  return run === undefined ? undefined : { id: run.id, url: run.html_url ?? null };
}

export async function startCheckRun(t: CheckRunTarget, taskUrl: string): Promise<CheckRunRef> {
  const output = {
    title: 'Reproducing the failure',
    summary: `ci-fixer is working on this failure.\n\n**Task:** ${taskUrl}`,
  };
  const existing = await findCheckRun(t);
  const details = t.detailsUrl === undefined ? {} : { details_url: t.detailsUrl };
  if (existing !== undefined) {
    await t.octokit.rest.checks.update({
      ...ownerAndRepo(t.origin),
      check_run_id: existing.id,
      status: 'in_progress',
      output,
      ...details,
    });
    return existing;
  }
  return createCheckRun(t, { status: 'in_progress', started_at: new Date().toISOString(), output, ...details });
}

export async function completeCheckRun(
  t: CheckRunTarget,
  known: CheckRunRef | null,
  outcome: TaskOutcome,
  links: ReportLinks,
): Promise<CheckRunRef> {
  const fields = {
    status: 'completed' as const,
    conclusion: checkConclusion(outcome),
    completed_at: new Date().toISOString(),
    output: checkOutput(outcome, links),
    ...(t.detailsUrl === undefined ? {} : { details_url: t.detailsUrl }),
  };
  const existing = known ?? (await findCheckRun(t));
  if (existing !== undefined) {
    await t.octokit.rest.checks.update({ ...ownerAndRepo(t.origin), check_run_id: existing.id, ...fields });
    return existing;
  }
  return createCheckRun(t, fields);
}

type CreateFields = Omit<
  Parameters<Octokit['rest']['checks']['create']>[0] & object,
  'owner' | 'repo' | 'name' | 'head_sha' | 'external_id'
>;

/** A check run of ours: named, on the head sha, and tagged with the task id to be found again. */
async function createCheckRun(t: CheckRunTarget, fields: CreateFields): Promise<CheckRunRef> {
  const { data } = await t.octokit.rest.checks.create({
    ...ownerAndRepo(t.origin),
    name: t.checkName,
    head_sha: t.origin.headSha,
    external_id: t.taskId,
    ...fields,
  });
  return { id: data.id, url: data.html_url ?? null };
}

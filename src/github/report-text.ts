// What ci-fixer writes on GitHub: check run output, commit message, pull request and comment
// bodies, branch names. Pure, so every text is tested without a server.
import type { Diagnosis, FixResult, GitHubOrigin, PatchStats, QueuedTaskSpec, TaskErrorInfo } from '../task.js';
import { FIX_BRANCH_PREFIX } from './events.js';

/** GitHub refuses check run summaries and texts over 65535 characters. */
export const CHECK_TEXT_LIMIT = 65_000;
/** Issue comments and pull request bodies have the same ceiling. */
export const BODY_LIMIT = 60_000;

export interface TaskOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  spec: QueuedTaskSpec;
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

export type CheckConclusion = 'success' | 'neutral' | 'cancelled';

/** ci-fixer's own check never fails: it reports on the CI, it is not one more gate. */
export function checkConclusion(outcome: TaskOutcome): CheckConclusion {
  if (outcome.state === 'cancelled') return 'cancelled';
  return outcome.state === 'succeeded' && outcome.result?.outcome === 'fixed' ? 'success' : 'neutral';
}

export function fixBranchName(headSha: string, taskId: string): string {
  return `${FIX_BRANCH_PREFIX}${headSha.slice(0, 7)}-${taskId.slice(0, 8)}`;
}

export function failureName(origin: GitHubOrigin): string {
  return origin.checkRun?.name ?? origin.failedJob ?? origin.workflow?.name ?? 'CI';
}

/** The fixers whose changes make up the patch, in order ("eslint, prettier"). */
export function fixerNames(result: FixResult, none = 'a fixer'): string {
  const names = result.fixers && result.fixers.length > 0 ? result.fixers : result.fixer ? [result.fixer] : [];
  return names.length > 0 ? names.join(', ') : none;
}

function title(outcome: TaskOutcome): string {
  if (outcome.state === 'cancelled') return 'Cancelled';
  if (outcome.state === 'failed') return `Could not run: ${outcome.error?.code ?? 'error'}`;
  switch (outcome.result?.outcome) {
    case 'fixed':
      return `Fixed by ${fixerNames(outcome.result)}`;
    case 'not_fixed':
      return 'Reproduced, no fix found';
    case 'not_reproduced':
      return 'Failure did not reproduce';
    default:
      return 'Error';
  }
}

function cut(text: string, limit: number, note: string): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}\n${note}`;
}

/** A fence longer than any backtick run inside, so a patch can never close it early. */
function fenced(body: string, lang: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${body}${body.endsWith('\n') ? '' : '\n'}${fence}`;
}

function cell(text: string): string {
  return `\`${text.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 200)}\``;
}

export interface ReportLinks {
  taskUrl: string;
  pullRequestUrl?: string | null;
  branch?: string | null;
  /** Why no branch or pull request was made, when one was expected. */
  note?: string | null;
}

export function checkOutput(
  outcome: TaskOutcome,
  links: ReportLinks,
): { title: string; summary: string; text?: string } {
  const r = outcome.result;
  const lines = [`**Outcome:** ${outcome.state === 'succeeded' ? (r?.outcome ?? 'error') : outcome.state}`];
  if (r?.fixer) lines.push(`**${(r.fixers?.length ?? 0) > 1 ? 'Fixers' : 'Fixer'}:** ${fixerNames(r)}`);
  if (r?.diagnosis) lines.push(`**Diagnosis:** ${r.diagnosis.summary}${stepNote(r.diagnosis, outcome.spec.command)}`);
  if (r?.reason) lines.push(`**Reason:** ${r.reason}`);
  if (r?.outcome === 'fixed' && r.patchStats) lines.push(`**Patch:** ${patchSize(r.patchStats)}`);
  // The model's own lines carry its summary and the same proof.
  lines.push(...modelReportLines(r));
  if (r?.outcome === 'fixed' && !r.model) lines.push(verifiedLine(r));
  if (outcome.spec.command !== undefined)
    lines.push(`**Command** (from ${outcome.spec.commandSource ?? 'request'}): ${cell(outcome.spec.command)}`);
  if (outcome.error) lines.push(`**Error:** ${outcome.error.code}: ${outcome.error.message}`);
  if (links.pullRequestUrl) lines.push(`**Pull request:** ${links.pullRequestUrl}`);
  else if (links.branch) lines.push(`**Branch:** \`${links.branch}\``);
  if (links.note) lines.push(`**Note:** ${links.note}`);
  lines.push(`**Task:** ${links.taskUrl}`);
  if (r && r.commands.length > 0) {
    lines.push('', '| Command | Exit code | Seconds |', '| --- | --- | --- |');
    for (const c of r.commands.slice(0, 50)) {
      lines.push(
        `| ${cell(c.command)} | ${c.timedOut ? 'timed out' : c.exitCode} | ${(c.durationMs / 1000).toFixed(1)} |`,
      );
    }
  }
  if (r?.diagnosis && r.diagnosis.excerpt.length > 0 && r.outcome !== 'fixed') {
    lines.push('', fenced(r.diagnosis.excerpt.join('\n'), 'text'));
  }
  const summary = cut(lines.join('\n'), CHECK_TEXT_LIMIT, '_(cut)_');
  if (!r?.patch) return { title: title(outcome), summary };
  return { title: title(outcome), summary, text: `### Patch\n\n${patchBlock(r, CHECK_TEXT_LIMIT - 200)}` };
}

/** "2 files, +5 -3 lines": what a reviewer looks at first. */
export function patchSize(stats: PatchStats): string {
  return `${stats.files} file${stats.files === 1 ? '' : 's'} changed, +${stats.added} -${stats.removed} lines`;
}

/** Which step of a chained command failed (an unknown tool's summary names it already). */
function stepNote(diagnosis: Diagnosis, command: string | undefined): string {
  const step = diagnosis.step;
  if (!step || diagnosis.tool === 'unknown' || step.command.trim() === command?.trim()) return '';
  return `, at step ${step.index + 1}: ${cell(step.command)}`;
}

/** The patch fenced, cut before fencing so the fence always closes. */
function patchBlock(result: FixResult, limit: number): string {
  const cutHere = result.patch.length > limit;
  const body = cutHere ? result.patch.slice(0, result.patch.lastIndexOf('\n', limit) + 1) : result.patch;
  const note =
    cutHere || result.patchTruncated ? '\n_The patch was cut at the size limit; the full patch is in the task._' : '';
  return `${fenced(body, 'diff')}${note}`;
}

export function commitMessage(taskId: string, origin: GitHubOrigin, result: FixResult, command: string): string {
  return [
    `ci-fixer: fix "${failureName(origin)}" with ${fixerNames(result)}`,
    '',
    `The command \`${command.split('\n', 1)[0]}\` failed on ${origin.headSha.slice(0, 12)};`,
    `ci-fixer applied ${fixerNames(result, 'a fix')} and the command passed again.`,
    '',
    `Ci-Fixer-Task: ${taskId}`,
    '',
  ].join('\n');
}

export function pullRequestBody(taskUrl: string, origin: GitHubOrigin, result: FixResult): string {
  const prs = origin.pullRequests.map((n) => `#${n}`).join(', ');
  return cut(
    [
      `ci-fixer reproduced the failure of **${failureName(origin)}** on ${origin.headSha.slice(0, 12)}${prs ? ` (${prs})` : ''}`,
      `and fixed it with **${fixerNames(result)}**; the command passed after the change.`,
      ...(result.diagnosis ? ['', `Diagnosis: ${result.diagnosis.summary}`] : []),
      ...(result.patchStats ? ['', `Patch: ${patchSize(result.patchStats)}`] : []),
      ...(result.model ? ['', ...modelReportLines(result)] : ['', verifiedLine(result)]),
      '',
      `Task: ${taskUrl}`,
    ].join('\n'),
    BODY_LIMIT,
    '',
  );
}

export function commentBody(
  taskUrl: string,
  origin: GitHubOrigin,
  result: FixResult,
  pullRequestUrl: string | null,
): string {
  const head = [
    `ci-fixer fixed the failure of **${failureName(origin)}** on ${origin.headSha.slice(0, 12)} with **${fixerNames(result)}**.`,
    pullRequestUrl ? `Fix pull request: ${pullRequestUrl}` : 'Apply the patch below with `git apply`.',
    `Task: ${taskUrl}`,
    '',
  ].join('\n');
  const patch = `<details><summary>Patch</summary>\n\n${patchBlock(result, BODY_LIMIT - head.length - 200)}\n\n</details>`;
  return `${head}\n${patch}`;
}

// ---- the model-backed fixer's lines (issue 10) ----

/** The model's own summary and usage; for a fix, that it was proven by re-running the command. */
export function modelReportLines(result: FixResult | null): string[] {
  const model = result?.model;
  if (!model) return [];
  const tokens = model.promptTokens + model.completionTokens;
  const lines = [
    `**Model:** ${model.model} (${model.steps} steps, ${model.attempts} attempt${model.attempts === 1 ? '' : 's'}, ${tokens} tokens)`,
  ];
  // Model text is untrusted: one paragraph, bounded, and no @-mentions pinging people.
  if (model.summary)
    lines.push(
      `**Model's summary:** ${model.summary.replace(/\s+/g, ' ').trim().slice(0, 1000).replace(/@/g, '@\u200b')}`,
    );
  if (result.outcome === 'fixed') lines.push(verifiedLine(result));
  return lines;
}

/**
 * What made it `fixed`: the proof, the whole command on a fresh checkout of the commit with exactly
 * the patch. A result from before the proof existed says what was done then.
 */
export function verifiedLine(result: FixResult): string {
  const proof = result.proof;
  if (!proof) return 'Verified by re-running the command on the fixed tree.';
  const command = proof.command.split('\n', 1)[0] ?? '';
  return `Verified on a fresh checkout of ${proof.commit}: \`${command.replace(/`/g, "'")}\` exited ${proof.exitCode}.`;
}

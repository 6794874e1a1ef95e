// Whether, and with which budgets, the model fixer runs on a task: configured, allowed by the
// task's fixers and the repository's .ci-fixer.yml (which can lower the server's budgets, never
// raise them), and with enough of the task's time left. The pipeline (compose/agent.ts) runs it
// and proves its fix by re-running the original command.
import { TaskError } from '../../errors.js';
import { CI_FIXER_FILE, CI_FIXER_FILE_MAX_BYTES, parseCiFixerFile, type RepoModelSettings } from '../repo-config.js';
import { REPO_DIR } from '../git.js';
import type { CommandRunner } from '../runner.js';
import type { AgentBudgets, Failure, FixContext } from '../types.js';
import { lowerBudgets } from './index.js';

/** Budgets when an agent states none of its own (a test double). */
const FALLBACK_BUDGETS: AgentBudgets = { maxSteps: 30, maxTokens: 300_000, maxWallSeconds: 600, maxAttempts: 3 };
/** Below this much of the task's time, the agent is not started. */
const MIN_AGENT_SECONDS = 10;
const TIME_MARGIN_SECONDS = 10;
const TEST_COMMAND =
  /\b(node\s+(--[\w-]+\s+)*--test|npm\s+(run\s+)?test|yarn\s+test|pnpm\s+(run\s+)?test|jest|vitest|mocha|ava|tap|pytest|py\.test|tox|go\s+test|cargo\s+(test|nextest)|rspec|phpunit|gradle\w*\s+test|mvn\w*\s+test)\b/;

/** A test failure by the diagnosis, or by a failing command that runs a test runner. */
export function isTestFailure(failure: Failure): boolean {
  return failure.diagnosis.category === 'test' || TEST_COMMAND.test(failure.diagnosis.step?.command ?? failure.command);
}

/**
 * The budgets the model fixer may use on this task, or null when it must not run (the reason is
 * in the task log): the task lists its fixers without `model`, the repository opts out, or too
 * little of the task's time is left.
 */
export async function modelBudgets(ctx: FixContext, runner: CommandRunner): Promise<AgentBudgets | null> {
  const { agent } = ctx;
  if (agent === undefined) return null;
  if (ctx.spec.fixers !== undefined && !ctx.spec.fixers.includes('model')) {
    ctx.log('system', 'model fixer not run: the task lists its fixers without model');
    return null;
  }
  const repo = await repoModelSettings(ctx);
  if (repo === null) return null;
  const server = agent.budgets ?? FALLBACK_BUDGETS;
  for (const [key, value] of Object.entries(repo)) {
    const ceiling = server[key as keyof AgentBudgets];
    if (typeof value === 'number' && ceiling !== undefined && value > ceiling)
      ctx.log('system', `${CI_FIXER_FILE} asks for model ${key} ${value}; the server allows ${ceiling}`);
  }
  const budgets = lowerBudgets(server, repo);
  const left = secondsLeft(ctx, runner);
  if (left < MIN_AGENT_SECONDS) {
    ctx.log('system', `model fixer not run: ${Math.max(0, left)} s of the task's time would be left for it`);
    return null;
  }
  if (left < budgets.maxWallSeconds) {
    ctx.log('system', `model fixer: wall time budget cut to ${left} s by the task's time left`);
    budgets.maxWallSeconds = left;
  }
  return budgets;
}

/**
 * The task's time the agent may use, so that a slow model ends `not_fixed` rather than failing the
 * task: what is left after the commands so far (the runner's own deadline is a little earlier),
 * minus a verification and the final proof, each as long as the reproduction was, and a margin.
 */
function secondsLeft(ctx: FixContext, runner: CommandRunner): number {
  const usedMs = runner.commands.reduce((sum, c) => sum + c.durationMs, 0);
  const reproMs = runner.commands.find((c) => c.command === ctx.spec.command)?.durationMs ?? 0;
  return Math.floor((ctx.timeoutSeconds * 1000 - usedMs - 2 * reproMs) / 1000) - TIME_MARGIN_SECONDS;
}

/** The repository's `model:` settings as budgets to lower to; null when it opts out (or is unreadable). */
async function repoModelSettings(ctx: FixContext): Promise<Partial<AgentBudgets> | null> {
  // One byte over the cap is enough for parseCiFixerFile to refuse it as too large.
  const text = await ctx.sandbox.readFile(`${REPO_DIR}/${CI_FIXER_FILE}`, CI_FIXER_FILE_MAX_BYTES + 1).then(
    (b) => b.toString('utf8'),
    () => undefined,
  );
  if (text === undefined) return {};
  let model: RepoModelSettings | undefined;
  try {
    model = parseCiFixerFile(text).model;
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    ctx.log('system', `model fixer not run: ${err.message}`);
    return null;
  }
  if (model === false || model?.enabled === false) {
    ctx.log('system', `model fixer not run: ${CI_FIXER_FILE} turns it off for this repository`);
    return null;
  }
  const { enabled: _enabled, ...budgets } = model ?? {};
  return budgets;
}

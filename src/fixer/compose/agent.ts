// The model seam: when the tools do not make the command pass, the model-backed fixer (issue 10,
// src/fixer/agent/) gets the tree as they left it. Whatever it reports, the pipeline verifies.
import { AppError } from '../../errors.js';
import type { FixerName, ModelUsage } from '../../task.js';
import type {
  AgentBudgets,
  AgentContext,
  AgentResult,
  AgentStopReason,
  Failure,
  FixContext,
  RunInRepo,
} from '../types.js';
import { isTestFailure } from '../agent/pipeline-step.js';
import type { GuardException } from '../guard/index.js';
import type { CommandRuns } from './runs.js';

const REASONS: Record<AgentStopReason, string> = {
  verified: 'the model reported a verified fix',
  budget_exhausted: 'the model fixer ran out of its budget',
  gave_up: 'the model gave up',
  verification_failed: "the model's changes did not make the command pass",
  model_unavailable: 'the model endpoint was unavailable',
};

export function modelAllowed(ctx: FixContext): boolean {
  return (
    ctx.agent !== undefined && (ctx.spec.fixers === undefined || ctx.spec.fixers.includes('model' satisfies FixerName))
  );
}

/** Runs a check of the candidate committed, as CI would (FixFiles.check). */
export type CandidateCheck = <T>(verify: () => Promise<T>) => Promise<T>;

export interface AgentRun {
  /** The agent's last verify() (the whole command, on the candidate the patch is made of) passed. */
  passed: boolean;
  /** Null when the agent failed before reporting any. */
  usage: ModelUsage | null;
  reason: AgentStopReason;
  /** For not_fixed: the agent's reason in a sentence. */
  text: string;
}

export async function runAgent(
  ctx: FixContext,
  deps: {
    failure: Failure;
    runs: CommandRuns;
    run: RunInRepo;
    files: string[];
    repoDir: string;
    budgets: AgentBudgets;
    check: CandidateCheck;
    /** The repository's guard exceptions. */
    allow: readonly GuardException[];
  },
): Promise<AgentRun> {
  const agent = ctx.agent;
  if (agent === undefined) throw new Error('runAgent without an agent');
  ctx.log('system', 'the tools did not make the command pass: trying the model fixer');
  const agentCtx: AgentContext = {
    taskId: ctx.taskId,
    command: ctx.spec.command,
    failure: deps.failure,
    sandbox: ctx.sandbox,
    run: deps.run,
    verify: async () => {
      const result = await deps.check(() => deps.runs.wholeResult());
      return { passed: result.exitCode === 0, exitCode: result.exitCode, output: result.output };
    },
    files: deps.files,
    repoDir: deps.repoDir,
    protectTests: isTestFailure(deps.failure),
    guardAllow: deps.allow,
    budgets: deps.budgets,
    log: (text) => ctx.log('system', text),
    signal: ctx.signal,
  };
  let result: AgentResult;
  try {
    result = await agent.run(agentCtx);
  } catch (error) {
    // Cancellation, the task's timeout and sandbox failures keep their meaning; anything else is
    // the model fixer's own failure, which ends the task not_fixed rather than failing the worker.
    // Only the error's name is kept: a message could carry what the endpoint sent back.
    if (error instanceof AppError) throw error;
    ctx.log('system', `the model fixer failed: ${error instanceof Error ? error.name : 'error'}`);
    return {
      passed: false,
      usage: null,
      reason: 'model_unavailable',
      text: `the model fixer failed (${error instanceof Error ? error.name : 'error'})`,
    };
  }
  return {
    passed: result.passed,
    usage: result.usage,
    reason: result.reason,
    text: result.detail ?? REASONS[result.reason] ?? `the model fixer stopped: ${String(result.reason)}`,
  };
}

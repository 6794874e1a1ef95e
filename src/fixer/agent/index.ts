// The model-backed fixer (FixAgent): an agent on any OpenAI-compatible endpoint. The loop runs in
// the worker; every tool acts through the sandbox; the API key stays in this process.
import type { LlmSettings } from '../../config.js';
import type { Logger } from '../../logger.js';
import { createRedactor } from '../../shared/redact.js';
import type { AgentBudgets, AgentContext, AgentResult, FixAgent } from '../types.js';
import { createModelClient } from './client.js';
import { inlineTestCode, looksLikeTestSource, type ProtectOptions } from './guardrails.js';
import { AgentLoop } from './loop.js';
import type { ToolEnv } from './tools.js';
import { Workspace } from './workspace.js';

export interface ModelMetrics {
  /** One HTTP attempt to the endpoint, by status ("200", "429", "error", "aborted"). */
  request(status: string): void;
  tokens(kind: 'prompt' | 'completion', count: number): void;
}

export interface ModelAgentDeps {
  logger: Logger;
  metrics?: ModelMetrics;
}

/** Each budget is the lower of the server's and the task's: a repository can lower, never raise. */
export function lowerBudgets(server: AgentBudgets, requested: Partial<AgentBudgets> = {}): AgentBudgets {
  const lower = (key: keyof AgentBudgets) => Math.min(server[key], requested[key] ?? server[key]);
  return {
    maxSteps: lower('maxSteps'),
    maxTokens: lower('maxTokens'),
    maxWallSeconds: lower('maxWallSeconds'),
    maxAttempts: lower('maxAttempts'),
  };
}

export function createModelAgent(settings: LlmSettings, deps: ModelAgentDeps): FixAgent {
  const redact = createRedactor(settings.apiKey ? [settings.apiKey] : []);
  const client = createModelClient(settings, redact, deps.metrics, deps.logger);
  const { logger } = deps;

  async function run(ctx: AgentContext): Promise<AgentResult> {
    const budgets = lowerBudgets(settings.budgets, ctx.budgets);
    const workspace = new Workspace(ctx.sandbox, ctx.repoDir, ctx.signal);
    await workspace.init();
    const start = await workspace.snapshot();
    const env: ToolEnv = {
      workspace,
      run: ctx.run,
      runTimeoutMs: settings.runTimeoutMs,
      protect: {
        protectTests: ctx.protectTests,
        ...(ctx.protectTests ? await diagnosedTestFiles(ctx, workspace) : { testFiles: new Set<string>() }),
      },
      patchMaxBytes: settings.patchMaxBytes,
      log: (text) => {
        ctx.log(text);
        logger.info({ taskId: ctx.taskId, refusal: text }, 'model_tool_refused');
      },
      trees: { start, current: start },
      guard: { command: ctx.command, allow: ctx.guardAllow ?? [] },
    };
    const loop = new AgentLoop(
      ctx,
      env,
      {
        client,
        contextTokens: settings.contextTokens,
        budgets,
        redact,
        onTokens: (prompt, completion) => {
          deps.metrics?.tokens('prompt', prompt);
          deps.metrics?.tokens('completion', completion);
        },
      },
      settings.model,
    );
    ctx.log(
      `model fixer: ${settings.model}, budgets ${budgets.maxSteps} steps, ${budgets.maxTokens} tokens, ${budgets.maxWallSeconds} s, ${budgets.maxAttempts} attempts${ctx.protectTests ? '; tests protected' : ''}`,
    );
    const result = await loop.run();
    const { usage } = result;
    ctx.log(
      `model fixer: ${result.reason}: ${result.detail ?? ''} (${usage.steps} steps, ${usage.promptTokens}+${usage.completionTokens} tokens)`,
    );
    logger.info(
      {
        taskId: ctx.taskId,
        reason: result.reason,
        detail: result.detail,
        steps: usage.steps,
        attempts: usage.attempts,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        modelTimeMs: usage.modelTimeMs,
      },
      'model_agent_finished',
    );
    return result;
  }

  return { name: 'model', budgets: settings.budgets, run };
}

/**
 * The diagnosis's locations whose source is a test's: protected along with the path conventions.
 * A file that holds its code and its tests together (Rust) keeps only its tests protected.
 */
async function diagnosedTestFiles(
  ctx: AgentContext,
  workspace: Workspace,
): Promise<Pick<ProtectOptions, 'testFiles' | 'inlineTests'>> {
  const testFiles = new Set<string>();
  const inlineTests = new Map<string, string>();
  for (const path of new Set(ctx.failure.diagnosis.locations.map((l) => l.path)).values()) {
    const text = await workspace.readFile(path).then(
      (b) => b.toString('utf8'),
      () => '',
    );
    if (!looksLikeTestSource(text)) continue;
    const inline = inlineTestCode(path, text);
    if (inline === null) testFiles.add(path);
    else inlineTests.set(path, inline);
  }
  return { testFiles, inlineTests };
}

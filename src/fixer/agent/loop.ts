// The agent loop, in the worker: model turn -> tool calls -> answers, until the model finishes or
// a budget runs out; then the original command is re-run (ctx.verify). A failed verification gives
// the model the new output and another attempt, up to the attempt budget.
import type { ChatCompletionMessage, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Redactor } from '../../shared/redact.js';
import type { ModelUsage } from '../../task.js';
import type { AgentBudgets, AgentContext, AgentResult, AgentStopReason } from '../types.js';
import { ModelBudgetAbort, ModelUnavailableError, type ModelClient } from './client.js';
import { estimateTokens, fitToWindow } from './context-window.js';
import { callKey, RepeatGuard } from './guardrails.js';
import { retryPrompt, systemPrompt, taskPrompt } from './prompt.js';
import { callTool, TOOLS, TOOLS_JSON_CHARS, type ToolEnv } from './tools.js';

export interface LoopDeps {
  client: ModelClient;
  contextTokens: number;
  budgets: AgentBudgets;
  redact: Redactor;
  onTokens(prompt: number, completion: number): void;
}

type Stop = { kind: 'finished' } | { kind: 'budget' | 'gave_up' | 'unavailable'; detail: string };

const NUDGE =
  'Use the tools to investigate and fix the failure, and call finish when you are done. A reply without a tool call ends the attempt.';

export class AgentLoop {
  readonly usage: ModelUsage;
  private readonly messages: ChatCompletionMessageParam[];
  private readonly repeats = new RepeatGuard();
  private readonly wall = new AbortController();

  constructor(
    private readonly ctx: AgentContext,
    private readonly env: ToolEnv,
    private readonly deps: LoopDeps,
    model: string,
  ) {
    this.usage = { model, steps: 0, attempts: 0, promptTokens: 0, completionTokens: 0, modelTimeMs: 0, summary: null };
    this.messages = [
      { role: 'system', content: systemPrompt(env.protect.protectTests, deps.budgets) },
      { role: 'user', content: taskPrompt(ctx) },
    ];
  }

  async run(): Promise<AgentResult> {
    const timer = setTimeout(
      () => this.wall.abort(new ModelBudgetAbort('wall time')),
      this.deps.budgets.maxWallSeconds * 1000,
    );
    try {
      return await this.attempts();
    } finally {
      clearTimeout(timer);
    }
  }

  private async attempts(): Promise<AgentResult> {
    const { budgets } = this.deps;
    for (let attempt = 1; ; attempt++) {
      this.usage.attempts = attempt;
      const stop = await this.converse();
      if (stop.kind === 'unavailable') return this.result('model_unavailable', stop.detail);
      if (stop.kind === 'gave_up' && this.env.trees.current === this.env.trees.start)
        return this.result('gave_up', stop.detail);
      if (stop.kind === 'finished' && this.env.trees.current === this.env.trees.start) {
        return this.result(
          'gave_up',
          `the model finished without changing anything${this.usage.summary ? `: ${this.usage.summary}` : ''}`,
        );
      }
      this.ctx.log(`model fixer: verifying attempt ${attempt} by re-running the command`);
      const verdict = await this.ctx.verify();
      this.env.trees.current = await this.env.workspace.snapshot();
      if (verdict.passed)
        return this.result('verified', `the model's change made the command pass (attempt ${attempt})`);
      if (stop.kind !== 'finished')
        return this.result(stop.kind === 'budget' ? 'budget_exhausted' : 'gave_up', stop.detail);
      if (attempt >= budgets.maxAttempts) {
        return this.result(
          'verification_failed',
          `the command still failed after ${attempt} verified attempt${attempt === 1 ? '' : 's'} of the model fixer`,
        );
      }
      this.messages.push({
        role: 'user',
        content: retryPrompt(attempt + 1, budgets.maxAttempts, verdict.exitCode, verdict.output),
      });
    }
  }

  /** Model turns until finish, a budget, or the model stops. */
  private async converse(): Promise<Stop> {
    const { budgets } = this.deps;
    let nudged = false;
    for (;;) {
      const spent = this.usage.promptTokens + this.usage.completionTokens;
      if (this.wall.signal.aborted)
        return {
          kind: 'budget',
          detail: `the model fixer ran out of its wall time budget (${budgets.maxWallSeconds} s)`,
        };
      if (this.usage.steps >= budgets.maxSteps)
        return { kind: 'budget', detail: `the model fixer ran out of its step budget (${budgets.maxSteps} steps)` };
      if (spent >= budgets.maxTokens)
        return {
          kind: 'budget',
          detail: `the model fixer ran out of its token budget (${spent} of ${budgets.maxTokens} tokens)`,
        };

      const message = await this.turn();
      if (typeof message === 'object' && 'kind' in message) return message;
      const calls = message.tool_calls ?? [];
      if (calls.length === 0) {
        if (nudged)
          return {
            kind: 'gave_up',
            detail: `the model stopped without calling finish${message.content ? `: ${this.deps.redact(message.content.slice(0, 500))}` : ''}`,
          };
        nudged = true;
        this.messages.push({ role: 'user', content: NUDGE });
        continue;
      }
      nudged = false;
      const stop = await this.answer(calls);
      if (stop !== null) return stop;
    }
  }

  /** One model request; the assistant message is appended to the conversation. */
  private async turn(): Promise<ChatCompletionMessage | Stop> {
    fitToWindow(this.messages, this.deps.contextTokens, TOOLS_JSON_CHARS);
    this.usage.steps += 1;
    const signal = AbortSignal.any([this.ctx.signal, this.wall.signal]);
    let completion: Awaited<ReturnType<ModelClient['complete']>>;
    try {
      completion = await this.deps.client.complete(this.messages, TOOLS, signal);
    } catch (err) {
      if (err instanceof ModelBudgetAbort)
        return {
          kind: 'budget',
          detail: `the model fixer ran out of its wall time budget (${this.deps.budgets.maxWallSeconds} s)`,
        };
      if (err instanceof ModelUnavailableError) return { kind: 'unavailable', detail: err.message };
      throw err;
    }
    const prompt = completion.promptTokens ?? estimateTokens(this.messages, TOOLS_JSON_CHARS);
    const answer = completion.completionTokens ?? estimateTokens([completion.message as ChatCompletionMessageParam]);
    this.usage.promptTokens += prompt;
    this.usage.completionTokens += answer;
    this.usage.modelTimeMs += completion.elapsedMs;
    this.deps.onTokens(prompt, answer);
    const { message } = completion;
    const toolCalls = message.tool_calls ?? [];
    this.messages.push({
      role: 'assistant',
      content: message.content ?? null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    });
    return message;
  }

  /** Runs the turn's tool calls in order; every call gets an answer, so the conversation stays valid. */
  private async answer(calls: NonNullable<ChatCompletionMessage['tool_calls']>): Promise<Stop | null> {
    let stop: Stop | null = null;
    for (const call of calls) {
      if (stop !== null) {
        this.messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: 'not run: the attempt ended before this call',
        });
        continue;
      }
      if (call.type !== 'function') {
        this.messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: 'error: only function tools are available',
        });
        continue;
      }
      const { name, arguments: args } = call.function;
      const verdict = this.repeats.see(callKey(name, parseLoose(args)));
      if (verdict === 'stop') {
        this.ctx.log(`model fixer: stopped, the model repeated ${name} with the same arguments without progress`);
        this.messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: 'stopped: you repeated this exact call without any change in between',
        });
        stop = { kind: 'gave_up', detail: `the model repeated the same ${name} call without progress and was stopped` };
        continue;
      }
      this.ctx.log(`model fixer: ${name} ${describe(args)}`);
      const result = await callTool(this.env, name, args);
      if (result.changed) this.repeats.progress();
      const note = verdict === 'repeat' ? 'Note: you made this exact call before and nothing changed since.\n' : '';
      this.messages.push({ role: 'tool', tool_call_id: call.id, content: note + result.content });
      if (result.finished) {
        this.usage.summary = this.deps.redact(result.finished.summary);
        stop = { kind: 'finished' };
      }
    }
    return stop;
  }

  private result(reason: AgentStopReason, detail: string): AgentResult {
    return { passed: reason === 'verified', reason, detail: this.deps.redact(detail), usage: { ...this.usage } };
  }
}

function parseLoose(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

/** The call's arguments for the task log, short. */
function describe(args: string): string {
  const flat = args.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

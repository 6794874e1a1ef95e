// What the model is told: the rules, then the task (command, diagnosis, trimmed output, file list).
// Bounded by construction; the context window trims it further only in extreme cases.
import type { AgentBudgets, AgentContext } from '../types.js';

const OUTPUT_TAIL_CHARS = 6000;
const FILE_LIST_MAX = 300;

export function systemPrompt(protectTests: boolean, budgets: AgentBudgets): string {
  return [
    "You are ci-fixer's repair agent. A CI command fails in a checkout of a repository inside a sandbox.",
    'Find the cause with the tools and fix the code so that the command passes.',
    '',
    'Rules:',
    '- Make the smallest change that fixes the cause. Do not disable, skip or delete tests, checks or lint rules.',
    '- Never change files under .github/workflows/, .ci-fixer.yml or .git; such edits are refused.',
    ...(protectTests
      ? ['- This is a test failure and tests are protected: edits to test files are refused. Fix the code under test.']
      : []),
    '- Read a file before you edit it, and copy old_string exactly from what you read.',
    '- Check your fix with the run tool (the failing command, or the failing part of it).',
    '- When you are done, call finish with a short summary of the cause and your change. The command is then re-run;',
    '  only a fix that makes it pass is delivered. If it still fails you will see the new output.',
    `- You have at most ${budgets.maxSteps} turns in total; use them well.`,
  ].join('\n');
}

export function taskPrompt(ctx: AgentContext): string {
  const { failure } = ctx;
  const d = failure.diagnosis;
  const files = ctx.files.slice(0, FILE_LIST_MAX);
  const more = ctx.files.length > files.length ? `\n(${ctx.files.length - files.length} more; use list_files)` : '';
  const tail =
    failure.output.length > OUTPUT_TAIL_CHARS ? `[…]\n${failure.output.slice(-OUTPUT_TAIL_CHARS)}` : failure.output;
  return [
    `The command failed with exit code ${failure.exitCode}:`,
    fence(ctx.command),
    `Diagnosis: ${d.summary} (tool ${d.tool}, category ${d.category})${d.step ? `; failing step: ${d.step.command}` : ''}`,
    ...(d.locations.length > 0
      ? [`Locations: ${d.locations.map((l) => `${l.path}${l.line ? `:${l.line}` : ''}`).join(', ')}`]
      : []),
    ...(d.excerpt.length > 0 ? ['Key lines:', fence(d.excerpt.join('\n'))] : []),
    `Repository files:`,
    fence(`${files.join('\n')}${more}`),
    'The end of the output:',
    fence(tail),
  ].join('\n');
}

export function retryPrompt(attempt: number, maxAttempts: number, exitCode: number, output: string): string {
  const tail = output.length > OUTPUT_TAIL_CHARS ? `[…]\n${output.slice(-OUTPUT_TAIL_CHARS)}` : output;
  return [
    `Verification ${attempt - 1} of ${maxAttempts}: the command was re-run on your change and still fails (exit code ${exitCode}).`,
    'The end of its output:',
    fence(tail),
    'Continue fixing, then call finish again.',
  ].join('\n');
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const mark = '`'.repeat(longest + 1);
  return `${mark}\n${text}\n${mark}`;
}

// bench:fix's model mode: only the model-needed cases, with the worker's model fixer pointed at a
// real endpoint (LLM_* from the environment) or, with `fake`, at the scripted OpenAI-compatible
// fake on loopback, which plays each case's `modelFix` (edit_file, then finish) or gives up.
import { randomBytes } from 'node:crypto';
import { startFakeOpenAI, type RecordedChatRequest, type Turn } from '../../test/support/fake-openai.js';
import type { BenchCase } from './corpus/index.js';
import { printModelReport, type ModelSummary } from './fix-report.js';
import { runBench, type BenchRunOptions } from './fix-run.js';

export interface ModelBenchOptions extends Omit<BenchRunOptions, 'env'> {
  /** The scripted fake instead of the endpoint in LLM_BASE_URL. */
  fake: boolean;
  /** Report lines (default: stdout). */
  out?: (line: string) => void;
}

export interface ModelBench extends ModelSummary {
  /** Wire-format problems the fake found in the agent's requests (fake mode; must be none). */
  violations: string[];
}

/** The model-needed cases, expecting what the fake scripts (or, for a real model, a fix). */
export function modelCases(cases: readonly BenchCase[], fake: boolean): BenchCase[] {
  return cases
    .filter((c) => c.needsModel)
    .map((c) => ({
      ...c,
      expect:
        !fake || c.modelFix
          ? { outcome: 'fixed' as const, fixers: ['model' as const] }
          : { outcome: 'not_fixed' as const },
    }));
}

/** A fenced block after `label` in the agent's task prompt (fences are three or more backticks). */
function fenced(prompt: string, label: string): string | undefined {
  const at = prompt.indexOf(label);
  if (at < 0) return undefined;
  return /^[^\n]*\n(`{3,})\n([\s\S]*?)\n\1(\n|$)/.exec(prompt.slice(at))?.[2];
}

/**
 * The case a request is about, from its task prompt: the same command, and the most files of the
 * listed ones (a case's files may be a subset of another's: go-test's of go-vet's).
 */
export function caseOfRequest(cases: readonly BenchCase[], request: RecordedChatRequest): BenchCase {
  const prompt = String(request.body.messages.find((m: { role: string }) => m.role === 'user')?.content ?? '');
  const command = fenced(prompt, 'The command failed with exit code');
  const listed = new Set((fenced(prompt, 'Repository files:') ?? '').split('\n'));
  const candidates = cases
    .filter((c) => c.command === command && Object.keys(c.files()).every((f) => listed.has(f)))
    .sort((a, b) => Object.keys(b.files()).length - Object.keys(a.files()).length);
  const [best, next] = candidates;
  if (best === undefined) throw new Error(`no case has the command ${JSON.stringify(command)} and these files`);
  if (next !== undefined && Object.keys(next.files()).length === Object.keys(best.files()).length)
    throw new Error(`cases ${best.name} and ${next.name} look the same`);
  return best;
}

/** A competent model, scripted: the case's fix as edit_file on the first turn, then finish; else a give-up. */
export function scriptedModel(cases: readonly BenchCase[]): (request: RecordedChatRequest) => Turn {
  return (request) => {
    const c = caseOfRequest(cases, request);
    const turns = request.body.messages.filter((m: { role: string }) => m.role === 'assistant').length;
    if (c.modelFix === undefined)
      return { calls: [{ name: 'finish', arguments: { summary: `cannot fix ${c.name}: no scripted fix` } }] };
    if (turns === 0) return { calls: [{ name: 'edit_file', arguments: { ...c.modelFix } }] };
    return { calls: [{ name: 'finish', arguments: { summary: `${c.name}: edited ${c.modelFix.path}` } }] };
  };
}

/** Runs the model-needed cases of `options.cases` and prints the model fixer's report. */
export async function runModelBench(options: ModelBenchOptions): Promise<ModelBench> {
  const out = options.out ?? ((line: string) => console.log(line));
  const cases = modelCases(options.cases, options.fake);
  if (cases.length === 0) throw new Error('bench:fix --model: no model-needed case selected');
  if (!options.fake && !process.env.LLM_BASE_URL) {
    throw new Error(
      'bench:fix --model needs a model endpoint: set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY if it wants one), or add --fake for the scripted one',
    );
  }
  if (!options.fake && !process.env.LLM_MODEL) throw new Error('bench:fix --model needs LLM_MODEL with LLM_BASE_URL');
  const key = `sk-bench-${randomBytes(8).toString('hex')}`;
  const fake = options.fake ? await startFakeOpenAI({ apiKey: key, respond: scriptedModel(cases) }) : undefined;
  try {
    const env: Record<string, string> = fake
      ? { LLM_BASE_URL: fake.url, LLM_MODEL: 'scripted-coder', LLM_API_KEY: key }
      : {};
    const { results, totalMs } = await runBench({ ...options, cases, env });
    const summary = printModelReport(
      results,
      totalMs,
      fake ? 'the scripted fake' : `${process.env.LLM_MODEL} at ${new URL(process.env.LLM_BASE_URL as string).origin}`,
      out,
    );
    const violations = fake?.violations ?? [];
    if (fake)
      out(
        `  wire-format violations    ${violations.length}${violations.length ? `:\n${violations.map((v) => `    ${v}`).join('\n')}` : ''}`,
      );
    return { ...summary, violations };
  } finally {
    await fake?.close();
  }
}

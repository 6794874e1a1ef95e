// What a repository says about reproducing its CI, from files at the failing sha. Pure: the
// caller reads the files. Three sources, in order: .ci-fixer.yml, the failed job's `run:` steps in
// the workflow file, a per-ecosystem default.
import { isMap, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { TaskError } from '../errors.js';
import { shellQuote } from '../shared/shell.js';
import { commandSchema, type FixerName, fixersSchema, timeoutSecondsSchema } from '../task.js';
import { GUARD_RULES } from './guard/index.js';

export const CI_FIXER_FILE = '.ci-fixer.yml';

const command = commandSchema;

// ---- the model-backed fixer (`model:`): `false` opts the repository out; budgets may only be
// lowered, the server's LLM_MAX_* stay the ceiling (src/fixer/agent/). ----
const budget = (max: number) => z.number().int().min(1).max(max).optional();
const modelSettingsSchema = z.union([
  z.literal(false),
  z
    .object({
      enabled: z.boolean().optional(),
      maxSteps: budget(500),
      maxTokens: budget(100_000_000),
      maxWallSeconds: budget(6 * 3600),
      maxAttempts: budget(20),
    })
    .strict(),
]);
export type RepoModelSettings = z.infer<typeof modelSettingsSchema>;

// ---- the guard's named exceptions (`guard: { allow: [...] }`): read only from the repository's
// default branch by the pipeline (src/fixer/guard/exceptions.ts), never from a task or a fork. ----
const guardSettingsSchema = z
  .object({
    allow: z
      .array(
        z
          .object({
            path: z.string().trim().min(1).max(512),
            rule: z.enum(GUARD_RULES).optional(),
            why: z.string().max(1000).optional(),
          })
          .strict(),
      )
      .max(100)
      .optional(),
  })
  .strict();
export type RepoGuardSettings = z.infer<typeof guardSettingsSchema>;

/** The schema of .ci-fixer.yml. Every key is optional; unknown keys are refused (typos). */
export const ciFixerFileSchema = z
  .object({
    command: command.optional(),
    fixers: fixersSchema.optional(),
    timeoutSeconds: timeoutSecondsSchema.optional(),
    setup: z.union([command, z.array(command).max(20)]).optional(),
    model: modelSettingsSchema.optional(),
    guard: guardSettingsSchema.optional(),
  })
  .strict();

export interface CiFixerFile {
  command?: string;
  fixers?: FixerName[];
  timeoutSeconds?: number;
  setup?: string[];
  model?: RepoModelSettings;
  guard?: RepoGuardSettings;
}

function invalid(line: number, message: string): TaskError {
  return new TaskError('ci_fixer_yml_invalid', `${CI_FIXER_FILE} line ${line}: ${message}`, {
    details: { file: CI_FIXER_FILE, line },
  });
}

/**
 * Repository YAML is parsed on the worker, and the parser's time and memory grow far faster than
 * the file (an 8 MiB workflow took 15 s and 545 MiB): files over these caps are refused unparsed.
 */
export const CI_FIXER_FILE_MAX_BYTES = 64 * 1024;
export const WORKFLOW_FILE_MAX_BYTES = 1024 * 1024;

function refuseOversized(text: string, file: string, maxBytes: number, code: string): void {
  // text.length bounds the UTF-8 size from below, so only a near miss needs the exact count.
  if (text.length <= maxBytes / 3) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return;
  throw new TaskError(code, `${file} is ${bytes} bytes, over the ${maxBytes / 1024} KiB cap; it was not parsed`, {
    details: { file, bytes, maxBytes },
  });
}

/** Parses and validates .ci-fixer.yml; a bad file is the task's error, naming the line. */
export function parseCiFixerFile(text: string): CiFixerFile {
  refuseOversized(text, CI_FIXER_FILE, CI_FIXER_FILE_MAX_BYTES, 'ci_fixer_yml_too_large');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    throw invalid(lineCounter.linePos(yamlError.pos[0]).line, yamlError.message.split('\n', 1)[0] ?? 'invalid YAML');
  }
  const lineOf = (node: unknown): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  if (!isMap(doc.contents))
    throw invalid(lineOf(doc.contents), 'must be a mapping of command, fixers, timeoutSeconds, setup');
  const parsed = ciFixerFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    // The deepest node that exists on the issue's path: a missing key points at its parent.
    let path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0] ?? ''];
    let node: unknown;
    for (let depth = path.length; depth >= 0 && node === undefined; depth--) {
      const at = path.slice(0, depth);
      node =
        at.length === 0
          ? doc.contents
          : (doc.getIn(at, true) ?? (at.length > 0 ? keyNode(doc.contents, at) : undefined));
    }
    const field = path.join('.');
    throw invalid(lineOf(node), field === '' ? issue.message : `${field}: ${issue.message}`);
  }
  const { setup, ...rest } = parsed.data;
  return { ...rest, ...(setup === undefined ? {} : { setup: typeof setup === 'string' ? [setup] : setup }) };
}

/** The key node of a top-level pair, for issues about a key rather than its value. */
function keyNode(contents: unknown, path: Array<string | number>): unknown {
  if (path.length !== 1 || !isMap(contents)) return undefined;
  return contents.items.find((pair) => (pair.key as { value?: unknown } | null)?.value === path[0])?.key ?? undefined;
}

// ---- workflow files ----

interface WorkflowStep {
  run?: unknown;
  'working-directory'?: unknown;
}
interface WorkflowJob {
  name?: unknown;
  steps?: unknown;
  defaults?: { run?: { 'working-directory'?: unknown } };
}

export interface JobCommand {
  job: string;
  command: string;
  /** `run:` steps left out because they use ${{ }} expressions ci-fixer cannot evaluate. */
  skippedSteps: number;
}

/**
 * Whether `wanted` is `name` with each ${{ }} expression (a matrix value) replaced by one or more
 * characters, so "test (18)" finds "test (${{ matrix.node }})". The workflow file belongs to the
 * repository, so no regular expression is built from it (nested `.+` backtrack exponentially):
 * the literal pieces are found leftmost-first with indexOf, which is never worse than
 * name length x job-name length.
 */
export function matchesJobName(name: string, wanted: string): boolean {
  const parts = name.split(/\$\{\{[^}]*\}\}/);
  if (parts.length === 1) return name === wanted;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!wanted.startsWith(first) || !wanted.endsWith(last)) return false;
  let pos = first.length;
  const end = wanted.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const at = wanted.indexOf(part, pos + 1);
    if (at === -1 || at + part.length > end) return false;
    pos = at + part.length;
  }
  return end >= pos + 1;
}

function jobMatches(id: string, job: WorkflowJob, wanted: string): boolean {
  const name = typeof job.name === 'string' ? job.name : id;
  // GitHub names matrix jobs "name (value, ...)" when the name has no expression.
  return name === wanted || id === wanted || wanted.startsWith(`${name} (`) || matchesJobName(name, wanted);
}

/**
 * The failed job's `run:` steps as one shell command, each step in its own `set -e` subshell as
 * GitHub runs them. undefined when the file has no such job or no usable step.
 */
export function jobCommandFromWorkflow(
  workflowYaml: string,
  failedJob: string | null,
  file = 'the workflow file',
): JobCommand | undefined {
  refuseOversized(workflowYaml, file, WORKFLOW_FILE_MAX_BYTES, 'workflow_file_too_large');
  const doc = parseDocument(workflowYaml, { prettyErrors: false });
  if (doc.errors.length > 0) return undefined;
  const jobs = (doc.toJS() as { jobs?: unknown } | null)?.jobs;
  if (typeof jobs !== 'object' || jobs === null) return undefined;
  const entries = Object.entries(jobs as Record<string, WorkflowJob>).filter(
    ([, job]) => typeof job === 'object' && job !== null,
  );
  const found =
    failedJob === null
      ? entries.length === 1
        ? entries[0]
        : undefined
      : entries.find(([id, job]) => jobMatches(id, job, failedJob));
  if (found === undefined) return undefined;
  const [id, job] = found;
  const defaultDir = job.defaults?.run?.['working-directory'];
  const steps = Array.isArray(job.steps) ? (job.steps as WorkflowStep[]) : [];
  const parts: string[] = [];
  let skippedSteps = 0;
  for (const step of steps) {
    if (typeof step !== 'object' || step === null || typeof step.run !== 'string' || step.run.trim() === '') continue;
    const dir =
      typeof step['working-directory'] === 'string'
        ? step['working-directory']
        : typeof defaultDir === 'string'
          ? defaultDir
          : undefined;
    if (step.run.includes('${{') || dir?.includes('${{')) {
      skippedSteps += 1;
      continue;
    }
    parts.push(stepCommand(step.run.trim(), dir));
  }
  if (parts.length === 0) return undefined;
  return {
    job: typeof job.name === 'string' ? job.name : id,
    command: parts.length === 1 ? (parts[0] as string) : parts.join(' && '),
    skippedSteps,
  };
}

function stepCommand(run: string, dir: string | undefined): string {
  const cd = dir === undefined ? '' : `cd ${shellQuote(dir)} && `;
  if (!run.includes('\n') && dir === undefined) return run;
  return `(${cd}set -e\n${run}\n)`;
}

/** Workflow files whose jobs may have produced a check run of this name. */
export function isWorkflowFile(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
}

// ---- per-ecosystem defaults ----

const DEFAULTS: ReadonlyArray<{ files: readonly string[]; command: string }> = [
  { files: ['package.json'], command: 'npm test' },
  {
    files: ['pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'pytest.ini', 'tox.ini'],
    command: 'pytest',
  },
  { files: ['go.mod'], command: 'go test ./...' },
];

/** The default command for the files at the repository root, if its ecosystem is known. */
export function defaultCommand(rootFiles: readonly string[]): string | undefined {
  const present = new Set(rootFiles);
  return DEFAULTS.find((d) => d.files.some((file) => present.has(file)))?.command;
}

export const DEFAULT_COMMAND_FILES = DEFAULTS.flatMap((d) => d.files);

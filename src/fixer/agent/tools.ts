// The agent's tools. Every one goes through the sandbox (the Workspace, or the pipeline's runner
// for `run`); none reads or writes the worker's filesystem. Arguments are validated here, and a
// bad call gets an error answer the model can correct, never an exception.
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { RunInRepo } from '../types.js';
import { changedLines } from '../guard/content.js';
import { judgeChange, type GuardException } from '../guard/index.js';
import { inlineTestCode, protectedReason, repoPath, symlinkTarget, type ProtectOptions } from './guardrails.js';
import type { TreeChange, Workspace } from './workspace.js';

const READ_MAX_LINES = 400;
const READ_MAX_CHARS = 30_000;
const LIST_MAX = 500;
const SEARCH_MAX_MATCHES = 100;
const SEARCH_LINE_CHARS = 300;
const RUN_OUTPUT_CHARS = 8000;
/** How much of a file with inline tests is read to compare its tests (a source file, not data). */
const INLINE_TEST_FILE_CHARS = 4 * 1024 * 1024;
const line = () => z.number().int().min(1).max(10_000_000);

const schemas = {
  read_file: z
    .object({
      path: z.string().describe('File path relative to the repository root.'),
      start_line: line().optional().describe('First line to return (1-based). Default 1.'),
      end_line: line().optional().describe(`Last line to return. At most ${READ_MAX_LINES} lines per call.`),
    })
    .strict(),
  list_files: z
    .object({
      path: z
        .string()
        .optional()
        .describe('A directory to list, relative to the repository root. Default: the whole repository.'),
    })
    .strict(),
  search: z
    .object({
      pattern: z
        .string()
        .min(1)
        .describe('Extended regular expression (git grep -E), or a literal string with fixed_strings.'),
      path: z.string().optional().describe('Limit the search to this file or directory.'),
      fixed_strings: z.boolean().optional().describe('Treat pattern as a literal string.'),
    })
    .strict(),
  edit_file: z
    .object({
      path: z.string().describe('File path relative to the repository root.'),
      old_string: z.string().optional().describe('Exact text to replace; must occur exactly once in the file.'),
      new_string: z.string().optional().describe('Replacement for old_string.'),
      content: z
        .string()
        .optional()
        .describe('Whole new file content (creates or overwrites the file); instead of old_string/new_string.'),
    })
    .strict(),
  run: z
    .object({
      command: z.string().min(1).max(4096).describe('Shell command, run in the repository root in the sandbox.'),
      timeout_seconds: z.number().int().min(1).max(3600).optional().describe('Timeout; capped by the server.'),
    })
    .strict(),
  finish: z
    .object({
      summary: z.string().min(1).max(4000).describe('What was wrong and what you changed, in a few sentences.'),
    })
    .strict(),
} as const;

export type ToolName = keyof typeof schemas;

const DESCRIPTIONS: Record<ToolName, string> = {
  read_file: `Read a text file of the repository, optionally a line range (at most ${READ_MAX_LINES} lines per call).`,
  list_files: `List the repository's files (tracked and untracked, ignored ones left out; at most ${LIST_MAX}).`,
  search: `Search the repository's files with git grep; returns at most ${SEARCH_MAX_MATCHES} matching lines as path:line:text.`,
  edit_file:
    'Edit a file: replace old_string (exactly one occurrence) with new_string, or write the whole file with content.',
  run: `Run a shell command in the repository root inside the sandbox; returns the exit code and the last ${RUN_OUTPUT_CHARS} characters of output.`,
  finish: 'Call when your fix is complete (the command will then be re-run to verify it), or when you cannot fix it.',
};

export const TOOLS: ChatCompletionTool[] = (Object.keys(schemas) as ToolName[]).map((name) => {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(schemas[name]) as Record<string, unknown>;
  return { type: 'function', function: { name, description: DESCRIPTIONS[name], parameters } };
});

export const TOOLS_JSON_CHARS = JSON.stringify(TOOLS).length;

/** What the tools share for one agent run. */
export interface ToolEnv {
  workspace: Workspace;
  run: RunInRepo;
  runTimeoutMs: number;
  protect: ProtectOptions;
  patchMaxBytes: number;
  /** A refusal or notable action, for the task log. */
  log(text: string): void;
  /** The tree at the agent's start, and after its last accepted change. */
  trees: { start: string; current: string };
  /** The guard (src/fixer/guard/) each change is judged by: the task's command and the repository's exceptions. */
  guard?: { command: string; allow: readonly GuardException[] };
}

export interface ToolAnswer {
  content: string;
  /** Set by finish. */
  finished?: { summary: string };
  /** The tree changed (and the change was kept). */
  changed?: boolean;
}

const answer = (content: string, extra: Omit<ToolAnswer, 'content'> = {}): ToolAnswer => ({ content, ...extra });

/** Parses, validates and runs one tool call. Never throws for the model's mistakes. */
export async function callTool(env: ToolEnv, name: string, rawArgs: string): Promise<ToolAnswer> {
  if (!(name in schemas))
    return answer(`error: unknown tool ${JSON.stringify(name)}; the tools are ${Object.keys(schemas).join(', ')}`);
  let json: unknown;
  try {
    json = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
  } catch (err) {
    return answer(`error: the arguments of ${name} are not valid JSON (${(err as Error).message}); send a JSON object`);
  }
  const parsed = schemas[name as ToolName].safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
    return answer(`error: invalid arguments for ${name}: ${issues}`);
  }
  const args = parsed.data as Record<string, unknown>;
  switch (name as ToolName) {
    case 'read_file':
      return readFile(env, args as z.infer<typeof schemas.read_file>);
    case 'list_files':
      return listFiles(env, args as z.infer<typeof schemas.list_files>);
    case 'search':
      return search(env, args as z.infer<typeof schemas.search>);
    case 'edit_file':
      return editFile(env, args as z.infer<typeof schemas.edit_file>);
    case 'run':
      return runCommand(env, args as z.infer<typeof schemas.run>);
    case 'finish':
      return answer('finished', { finished: { summary: (args as { summary: string }).summary } });
  }
}

/** A path the model named, resolved in the sandbox: the real repository-relative path, or a refusal. */
async function realPath(env: ToolEnv, requested: string): Promise<{ path: string } | { refused: string }> {
  const lexical = repoPath(requested);
  if ('refused' in lexical) return lexical;
  const real = await env.workspace.resolve(lexical.path);
  if (real === null) return { refused: `refused: ${requested} leads outside the repository (through a symlink)` };
  return { path: real === '' ? '.' : real };
}

async function readText(env: ToolEnv, rel: string): Promise<string | null> {
  try {
    const data = await env.workspace.readFile(rel);
    if (data.subarray(0, 8000).includes(0)) return `\0binary file, ${data.length} bytes`;
    return data.toString('utf8');
  } catch {
    return null;
  }
}

async function readFile(env: ToolEnv, args: z.infer<typeof schemas.read_file>): Promise<ToolAnswer> {
  const where = await realPath(env, args.path);
  if ('refused' in where) return answer(where.refused);
  const text = await readText(env, where.path);
  if (text === null) return answer(`error: ${args.path} does not exist or is not a readable file`);
  if (text.startsWith('\0')) return answer(`${args.path}: ${text.slice(1)}; not shown`);
  const lines = text.split('\n');
  const start = args.start_line ?? 1;
  const end = Math.min(lines.length, args.end_line ?? start + READ_MAX_LINES - 1, start + READ_MAX_LINES - 1);
  if (start > lines.length)
    return answer(`error: ${args.path} has ${lines.length} lines; start_line ${start} is past the end`);
  let body = lines.slice(start - 1, end).join('\n');
  let cut = '';
  if (body.length > READ_MAX_CHARS) {
    body = body.slice(0, READ_MAX_CHARS);
    cut = ` (cut at ${READ_MAX_CHARS} characters; read a smaller range)`;
  }
  return answer(`${args.path} lines ${start}-${end} of ${lines.length}${cut}:\n${body}`);
}

async function listFiles(env: ToolEnv, args: z.infer<typeof schemas.list_files>): Promise<ToolAnswer> {
  let prefix = '';
  if (args.path !== undefined) {
    const lexical = repoPath(args.path);
    if ('refused' in lexical) return answer(lexical.refused);
    prefix = lexical.path === '.' ? '' : `${lexical.path}/`;
  }
  const { files } = await env.workspace.listFiles(50_000);
  const matching = files.filter((f) => f.startsWith(prefix));
  const shown = matching.slice(0, LIST_MAX);
  const more = matching.length > shown.length ? `\n(${matching.length - shown.length} more; list a subdirectory)` : '';
  return answer(shown.length === 0 ? `no files under ${args.path ?? 'the repository'}` : `${shown.join('\n')}${more}`);
}

async function search(env: ToolEnv, args: z.infer<typeof schemas.search>): Promise<ToolAnswer> {
  let scope = '.';
  if (args.path !== undefined) {
    const where = await realPath(env, args.path);
    if ('refused' in where) return answer(where.refused);
    scope = where.path;
  }
  const result = await env.workspace.grep(args.pattern, scope, args.fixed_strings ?? false);
  if (result.exitCode === 1) return answer(`no matches for ${JSON.stringify(args.pattern)}`);
  if (result.exitCode !== 0)
    return answer(`error: search failed: ${result.stderr.slice(0, 500) || `exit ${result.exitCode}`}`);
  const lines = result.stdout.split('\n').filter((l) => l !== '');
  const shown = lines
    .slice(0, SEARCH_MAX_MATCHES)
    .map((l) => (l.length > SEARCH_LINE_CHARS ? `${l.slice(0, SEARCH_LINE_CHARS)}…` : l));
  const more = lines.length > shown.length ? `\n(more matches left out; narrow the pattern or the path)` : '';
  return answer(`${shown.join('\n')}${more}`);
}

async function editFile(env: ToolEnv, args: z.infer<typeof schemas.edit_file>): Promise<ToolAnswer> {
  const replace = args.old_string !== undefined || args.new_string !== undefined;
  if (replace === (args.content !== undefined)) {
    return answer(
      'error: give either old_string and new_string (a replacement), or content (the whole file), not both',
    );
  }
  if (replace && (args.old_string === undefined || args.new_string === undefined || args.old_string === '')) {
    return answer('error: a replacement needs a non-empty old_string and a new_string');
  }
  const lexical = repoPath(args.path);
  if ('refused' in lexical) return refuse(env, lexical.refused);
  const where = await realPath(env, args.path);
  if ('refused' in where) return refuse(env, where.refused);
  for (const candidate of new Set([lexical.path, where.path])) {
    const reason = protectedReason(candidate, env.protect);
    if (reason !== null) return refuse(env, `refused: ${reason}`);
  }
  const current = await readText(env, where.path);
  if (current?.startsWith('\0')) return answer(`error: ${args.path} is a binary file`);
  let next: string;
  if (replace) {
    if (current === null) return answer(`error: ${args.path} does not exist; to create it, pass content instead`);
    const count = current.split(args.old_string as string).length - 1;
    if (count === 0)
      return answer(
        `error: old_string was not found in ${args.path}; read the file again and copy the text exactly, whitespace included`,
      );
    if (count > 1)
      return answer(
        `error: old_string occurs ${count} times in ${args.path}; include more surrounding lines so it occurs once`,
      );
    const at = current.indexOf(args.old_string as string);
    next = current.slice(0, at) + (args.new_string as string) + current.slice(at + (args.old_string as string).length);
  } else {
    next = args.content as string;
  }
  if (next === current) return answer(`${args.path} unchanged: the new text is the same as the old`);
  await env.workspace.writeFile(where.path, next);
  const check = await checkpoint(env);
  if (check.undone !== null) return refuse(env, check.undone);
  return answer(`edited ${args.path}`, { changed: check.changed });
}

async function runCommand(env: ToolEnv, args: z.infer<typeof schemas.run>): Promise<ToolAnswer> {
  const timeoutMs = Math.min(env.runTimeoutMs, (args.timeout_seconds ?? Infinity) * 1000);
  const result = await env.run(args.command, { timeoutMs });
  const status = result.timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)} s`
    : (result.outOfMemory ?? `exit code ${result.exitCode}`);
  const output =
    result.output.length > RUN_OUTPUT_CHARS
      ? `[output cut to its last ${RUN_OUTPUT_CHARS} characters]\n${result.output.slice(-RUN_OUTPUT_CHARS)}`
      : result.output;
  const check = await checkpoint(env);
  const note = check.undone === null ? '' : `\n${check.undone}`;
  if (check.undone !== null) env.log(`model fixer: ${check.undone}`);
  return answer(`${status}\n${output}${note}`, { changed: check.changed });
}

/** A change to a file whose tests live beside its code (Rust) may fix the code, not the tests. */
async function inlineTestsChanged(env: ToolEnv, change: TreeChange): Promise<string | null> {
  const tests = env.protect.protectTests ? env.protect.inlineTests?.get(change.path) : undefined;
  if (tests === undefined) return null;
  const next = change.status === 'D' ? '' : await env.workspace.blob(change.newBlob, INLINE_TEST_FILE_CHARS);
  if (inlineTestCode(change.path, next) === tests) return null;
  return `${change.path} holds the failing tests beside its code: the code may change, its tests (the #[cfg(test)] and #[test] items) may not`;
}

/** Text of a file the guard judges by; generous, since a cut text would hide a changed line. */
const GUARD_FILE_CHARS = 1024 * 1024;

/** The guard's verdict on one change of the model's, as the refusal the model reads; null: allowed. */
async function weakensCheck(env: ToolEnv, before: string, change: TreeChange): Promise<string | null> {
  if (env.guard === undefined) return null;
  const old = change.status === 'A' ? null : await env.workspace.blob(`${before}:${change.path}`, GUARD_FILE_CHARS);
  const next = change.status === 'D' ? null : await env.workspace.blob(change.newBlob, GUARD_FILE_CHARS);
  const refusals = judgeChange(
    {
      path: change.path,
      status: change.status === 'A' ? 'added' : change.status === 'D' ? 'deleted' : 'modified',
      ...changedLines(old ?? '', next ?? ''),
      before: old,
      after: next,
    },
    {
      command: env.guard.command,
      testFiles: env.protect.testFiles,
      model: true,
      protectTests: env.protect.protectTests,
      allow: env.guard.allow,
    },
  );
  return refusals.length === 0 ? null : refusals.map((r) => `${r.reason} [${r.rule}]`).join('; ');
}

function refuse(env: ToolEnv, message: string): ToolAnswer {
  env.log(`model fixer: ${message}`);
  return answer(message);
}

/**
 * After anything that may change files: changes to protected paths, and symlinks out of the
 * repository, are undone; so is the whole change when it takes the patch over its cap.
 */
async function checkpoint(env: ToolEnv): Promise<{ changed: boolean; undone: string | null }> {
  const { workspace, trees } = env;
  const before = trees.current;
  const now = await workspace.snapshot();
  const changes = await workspace.changes(trees.current, now);
  if (changes.length === 0) return { changed: false, undone: null };
  const bad: string[] = [];
  const badChanges = [];
  for (const change of changes) {
    let reason = protectedReason(change.path, env.protect);
    if (reason === null) reason = await inlineTestsChanged(env, change);
    if (reason === null) reason = await weakensCheck(env, before, change);
    if (
      reason === null &&
      change.newMode === '120000' &&
      symlinkTarget(change.path, await workspace.blob(change.newBlob)) === null
    ) {
      reason = `${change.path} would be a symlink out of the repository`;
    }
    if (reason !== null) {
      bad.push(reason);
      badChanges.push(change);
    }
  }
  if (badChanges.length > 0) {
    await workspace.restore(before, badChanges);
    const kept = await workspace.snapshot();
    trees.current = kept;
    return { changed: kept !== before, undone: `refused and undone: ${bad.join('; ')}` };
  }
  const size = await workspace.patchBytes(trees.start, now);
  if (size > env.patchMaxBytes) {
    await workspace.restore(before, changes);
    return {
      changed: false,
      undone: `refused and undone: the change would make the patch ${size} bytes, over the cap of ${env.patchMaxBytes}; make a smaller change`,
    };
  }
  trees.current = now;
  return { changed: true, undone: null };
}

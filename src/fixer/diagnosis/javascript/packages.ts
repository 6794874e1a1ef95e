// Package managers: npm, yarn (1 and berry), pnpm. Lock file drift under a frozen install is the
// failure they own with certainty; a failed script ("npm test") is only a fallback, since the tool
// the script ran usually says more and wins on confidence.
import type { FailureCategory } from '../../../task.js';
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { commandWord } from './shared.js';

interface Rule {
  pattern: RegExp;
  category: FailureCategory;
  confidence: number;
  /** The file the failure is about, when it is one. */
  file?: string;
  /** Lines after the matching one that belong to the message. */
  follow?: number;
}

function firstRule(
  rules: readonly Rule[],
  tool: Recognition['tool'],
  lines: readonly string[],
  extra?: (line: string) => boolean,
): Recognition | null {
  let best: { rule: Rule; index: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    for (const rule of rules) {
      if ((best === null || rule.confidence > best.rule.confidence) && rule.pattern.test(line))
        best = { rule, index: i };
    }
  }
  if (best === null) return null;
  const { rule, index } = best;
  const excerpt = [lines[index] as string];
  for (let i = index + 1; i < lines.length && i <= index + (rule.follow ?? 0); i++) {
    const line = lines[i] as string;
    if (line.replace(/^npm (?:error|ERR!)\s*/, '').trim() !== '') excerpt.push(line);
  }
  if (extra)
    for (let i = 0; i < lines.length && excerpt.length < 10; i++)
      if (i > index + (rule.follow ?? 0) && extra(lines[i] as string)) excerpt.push(lines[i] as string);
  const unique = [...new Set(excerpt)];
  const locations: RawLocation[] = rule.file ? [{ path: rule.file }] : [];
  return { tool, category: rule.category, locations, excerpt: unique, confidence: rule.confidence };
}

const NPM_RULES: readonly Rule[] = [
  // npm >= 7; npm 6 said "cipm can only install ...".
  {
    pattern: /can only install packages when your package\.json and (?:package-lock\.json|npm-shrinkwrap\.json)/,
    category: 'dependency',
    confidence: 0.95,
    file: 'package-lock.json',
  },
  {
    pattern: /The `npm ci` command can only install with an existing package-lock\.json/,
    category: 'dependency',
    confidence: 0.9,
    file: 'package.json',
    follow: 1,
  },
  {
    pattern: /^npm (?:error|ERR!) code (?:E404|ETARGET|ERESOLVE|EINTEGRITY|ENOVERSIONS)\b/,
    category: 'dependency',
    confidence: 0.85,
    follow: 3,
  },
  {
    pattern: /^npm (?:error|ERR!) code (?:ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|E401|E403)\b/,
    category: 'environment',
    confidence: 0.8,
    follow: 3,
  },
  {
    pattern: /^npm (?:error|ERR!) code EBADENGINE\b|^npm (?:error|ERR!) notsup /,
    category: 'environment',
    confidence: 0.8,
    follow: 3,
  },
  { pattern: /^npm (?:error|ERR!) Missing script: /, category: 'build', confidence: 0.85 },
  {
    pattern: /^npm (?:error|ERR!) (?:enoent|code ENOENT)\b.*(?:package\.json)?/,
    category: 'environment',
    confidence: 0.6,
    follow: 2,
  },
  // A script's own failure: the tool inside it is the better diagnosis when it is recognised.
  {
    pattern: /^npm (?:error|ERR!) (?:Lifecycle script `[^`]+` failed|command failed|Test failed\.)/,
    category: 'build',
    confidence: 0.2,
    follow: 2,
  },
];

export const npmRecognizer: Recognizer = {
  tool: 'npm',
  commandPattern: commandWord('npm'),
  recognize: ({ lines }) =>
    firstRule(
      NPM_RULES,
      'npm',
      lines,
      (line) => /^npm (?:error|ERR!) Missing: .* from lock file/.test(line) && line.length < 300,
    ),
};

const YARN_RULES: readonly Rule[] = [
  // yarn 1: "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`."
  {
    pattern: /^error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`/,
    category: 'dependency',
    confidence: 0.95,
    file: 'yarn.lock',
  },
  // yarn berry: "➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden."
  {
    pattern: /YN0028: .*The lockfile would have been modified by this install, which is explicitly forbidden/,
    category: 'dependency',
    confidence: 0.95,
    file: 'yarn.lock',
  },
  {
    pattern: /^error (?:Couldn't find (?:any versions|package)|An unexpected error occurred: ".*(?:Not found|404))/,
    category: 'dependency',
    confidence: 0.85,
  },
  { pattern: /YN00(?:01|18|35|82): /, category: 'dependency', confidence: 0.7 },
  {
    pattern: /^error .*The engine "node" is incompatible|YN0000: .*The current Node version .* does not satisfy/,
    category: 'environment',
    confidence: 0.8,
  },
  {
    pattern: /^error Command "[^"]+" not found\.|^Usage Error: Couldn't find a script named/,
    category: 'build',
    confidence: 0.85,
  },
  { pattern: /^error Command failed with exit code \d+\./, category: 'build', confidence: 0.2 },
];

export const yarnRecognizer: Recognizer = {
  tool: 'yarn',
  commandPattern: commandWord('yarn', 'yarnpkg', '@yarnpkg/cli-dist'),
  recognize: ({ lines }) => firstRule(YARN_RULES, 'yarn', lines),
};

const PNPM_RULES: readonly Rule[] = [
  // pnpm 8-10: " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with ..."
  // pnpm 11+: "Error: ERR_PNPM_OUTDATED_LOCKFILE" with the reason on the lines below.
  {
    pattern: /ERR_PNPM_(?:OUTDATED_LOCKFILE|FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE)\b/,
    category: 'dependency',
    confidence: 0.95,
    file: 'pnpm-lock.yaml',
    follow: 8,
  },
  {
    pattern: /ERR_PNPM_LOCKFILE_CONFIG_MISMATCH\b|ERR_PNPM_LOCKFILE_BREAKING_CHANGE\b/,
    category: 'dependency',
    confidence: 0.9,
    file: 'pnpm-lock.yaml',
    follow: 4,
  },
  {
    pattern: /ERR_PNPM_(?:NO_MATCHING_VERSION|FETCH_404|FETCH_\d+|NO_OFFLINE_TARBALL|PEER_DEP_ISSUES)\b/,
    category: 'dependency',
    confidence: 0.85,
    follow: 4,
  },
  { pattern: /ERR_PNPM_(?:UNSUPPORTED_ENGINE|BAD_PM_VERSION)\b/, category: 'environment', confidence: 0.8, follow: 4 },
  {
    pattern: /ERR_PNPM_NO_SCRIPT\b|ERR_PNPM_RECURSIVE_RUN_NO_SCRIPT\b/,
    category: 'build',
    confidence: 0.85,
    follow: 2,
  },
  {
    pattern: /ERR_PNPM_(?:RECURSIVE_RUN_FIRST_FAIL|RECURSIVE_EXEC_FIRST_FAIL)\b|^\s*ELIFECYCLE\s+Command failed/,
    category: 'build',
    confidence: 0.2,
    follow: 1,
  },
];

export const pnpmRecognizer: Recognizer = {
  tool: 'pnpm',
  commandPattern: commandWord('pnpm', 'pnpx'),
  recognize: ({ lines }) => firstRule(PNPM_RULES, 'pnpm', lines),
};

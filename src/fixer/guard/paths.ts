// Which files belong to the check rather than to the code it checks. Pure.
import { isTestPath } from '../agent/guardrails.js';

export { isTestPath };

/** CI definitions: the check as CI runs it. */
const CI_CONFIG = [
  /^\.github\/(?:workflows|actions)\//,
  /^\.gitlab-ci\.ya?ml$/,
  /^\.gitlab\/ci\//,
  /^\.circleci\//,
  /^\.buildkite\//,
  /^azure-pipelines\.ya?ml$/,
  /^\.travis\.ya?ml$/,
  /^bitbucket-pipelines\.ya?ml$/,
  /^Jenkinsfile$/,
  /^\.drone\.ya?ml$/,
  /^\.woodpecker(?:\.ya?ml|\/)/,
];

export function isCiConfig(rel: string): boolean {
  return CI_CONFIG.some((re) => re.test(rel));
}

/**
 * Whole files that configure a checking tool: test runners, linters, formatters, type checkers.
 * Files that hold other things too (package.json, pyproject.toml, setup.cfg, Cargo.toml,
 * tsconfig) are judged by the part that configures a tool (sections.ts).
 */
const CHECK_CONFIG = [
  // test runners
  /^(?:jest|vitest|vitest\.workspace|vite|ava|karma|playwright|cypress|wdio|mocha)\.config\.[cm]?[jt]s$/,
  /^vitest\.workspace\.(?:[cm]?[jt]s|json)$/,
  /^jest\.config\.json$/,
  /^\.mocharc(?:\.[\w]+)?$/,
  /^ava\.config\.json$/,
  /^\.nycrc(?:\.[\w]+)?$/,
  /^\.c8rc(?:\.[\w]+)?$/,
  /^pytest\.ini$/,
  /^tox\.ini$/,
  /^noxfile\.py$/,
  /^conftest\.py$/,
  // linters and formatters
  /^\.eslintrc(?:\.[\w]+)?$/,
  /^eslint\.config\.[cm]?[jt]s$/,
  /^\.eslintignore$/,
  /^\.prettierrc(?:\.[\w]+)?$/,
  /^prettier\.config\.[cm]?[jt]s$/,
  /^\.prettierignore$/,
  /^biome\.jsonc?$/,
  /^\.?ruff\.toml$/,
  /^\.flake8$/,
  /^\.isort\.cfg$/,
  /^\.?pylintrc$/,
  /^\.pycodestyle$/,
  /^\.golangci\.(?:ya?ml|toml|json)$/,
  /^\.?rustfmt\.toml$/,
  /^\.?clippy\.toml$/,
  /^\.editorconfig$/,
  /^\.stylelintrc(?:\.[\w]+)?$/,
  /^stylelint\.config\.[cm]?[jt]s$/,
  /^\.markdownlint(?:\.[\w]+|-cli2\.[\w]+)?$/,
  /^\.shellcheckrc$/,
  /^\.clang-(?:format|tidy)$/,
  /^\.gofmt$/,
  // type checkers
  /^\.?mypy\.ini$/,
  /^pyrightconfig\.json$/,
];

export function isCheckConfig(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return CHECK_CONFIG.some((re) => re.test(base));
}

/** Task runners: their targets are what a command like `make test` runs. */
export function isTaskRunnerFile(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return /^(?:GNUmakefile|[Mm]akefile|.*\.mk|[Jj]ustfile|\.justfile|Taskfile\.ya?ml|Rakefile)$/.test(base);
}

export function isTsconfig(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return /^(?:tsconfig|jsconfig)(?:\.[\w.-]+)?\.json$/.test(base);
}

const SHELL_WORD =
  /(?:^|[\s;&|(`'"=])((?:\.{1,2}\/|[\w.-]+\/)*[\w.-]+\.(?:sh|bash|zsh|ksh)|\.\/[\w./-]+)(?=$|[\s;&|)`'"])/g;

/**
 * Shell scripts a command (or a script it reaches) names: `./ci/check.sh`, `bash scripts/lint.sh`,
 * `./run-tests`. Relative to the repository root, normalised.
 */
export function namedScripts(texts: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(SHELL_WORD)) {
      const word = (m[1] as string).replace(/^(?:\.\/)+/, '');
      if (word !== '' && !word.startsWith('../')) names.add(word);
    }
  }
  return names;
}

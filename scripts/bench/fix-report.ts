// bench:fix's figures and tables, from the measured cases (pure: the runner is scripts/bench/fix.ts).
import type { ModelUsage, PatchStats } from '../../src/task.js';
import type { BenchCase, CaseKind } from './corpus/index.js';

export interface CaseResult {
  case: BenchCase;
  kind: CaseKind;
  /** The task's outcome, or `<state>:<error code>` when the task itself failed. */
  outcome: string;
  fixers: string[];
  asExpected: boolean;
  /** Worker start to finish of the task. */
  wallMs: number;
  /** Summed duration of every command the task ran. */
  commandsMs: number;
  /** One run of the case's whole command: the passing run that proves a fix, else the reproduction. */
  commandRunMs: number;
  /** The proof on a fresh checkout (its clone, patch, setup and run), for a task that got that far; else NaN. */
  proofMs: number;
  reason: string | null;
  /** What the model fixer spent, when it ran (result.model). */
  model: ModelUsage | null;
  /** Why a `fixed` is false (see fix.ts), else null. */
  falseFix: string | null;
  /** The task log's last lines, for an outcome that was not the expected one. */
  logTail: string[];
  /** The size of a fix's patch. */
  patchStats: PatchStats | null;
  /** Files a fix changed beyond those the failure named (lock file companions aside); null: not judged. */
  noisy: string[] | null;
}

/** Manifests, lock files and vendored modules: a dependency fix changes them together, whichever one the failure named. */
const COMPANION =
  /(?:^|\/)(?:package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.mod|go\.sum|Cargo\.toml|Cargo\.lock|pyproject\.toml|poetry\.lock|uv\.lock|requirements[\w.-]*\.txt)$|(?:^|\/)vendor\//;

/**
 * The patch's files beyond those the failure named (or the case declares), lock file companions
 * aside; null when nothing named any file (a silent check) and the case declares none.
 */
export function noisyFiles(patch: string, named: readonly string[]): string[] | null {
  if (named.length === 0) return null;
  return [...patch.matchAll(/^diff --git a\/(.+?) b\//gm)]
    .map((m) => m[1] as string)
    .filter((file) => !named.includes(file) && !COMPANION.test(file));
}

/** Test files by the conventions of each ecosystem: a fix must never touch one. */
const TEST_FILE =
  /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[cm]?[jt]sx?$|_test\.go$|(^|\/)test_[^/]*\.py$|_test\.py$|(^|\/)conftest\.py$/;

/** The test files a unified git diff touches. */
export function testFilesIn(patch: string): string[] {
  return [...patch.matchAll(/^diff --git a\/(.+?) b\//gm)]
    .map((m) => m[1] as string)
    .filter((file) => TEST_FILE.test(file));
}

export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '-';
const seconds = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-');
const percent = (n: number, of: number): string => (of === 0 ? '-' : `${Math.round((100 * n) / of)}%`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** For each outcome that was not the expected one, the last lines of the task's log. */
function printLogTails(results: CaseResult[], out: (line: string) => void): void {
  const unexpected = results.filter((r) => !r.asExpected && r.logTail.length > 0);
  if (unexpected.length > 0) out('\nnot as expected: the last lines of each task log');
  for (const r of unexpected)
    out(
      `  ${r.case.name}${r.reason ? ` (${r.reason})` : ''}\n${r.logTail.map((l) => `    ${l.slice(0, 200)}`).join('\n')}`,
    );
}

/** Prints the report to stdout; returns the number of false fixes. */
export function printReport(results: CaseResult[], availableFixers: string[], totalMs: number): number {
  const available = new Set(availableFixers);
  const awaiting = (r: CaseResult) => (r.case.expect.fixers ?? []).filter((f) => !available.has(f));
  console.log('\nbench:fix cases');
  console.log(
    table(
      [
        'case',
        'kind',
        'category',
        'expected',
        'outcome',
        'fixers',
        'ok',
        'wall s',
        'cmds s',
        'overhead',
        'x command',
        'patch',
        'noise',
        'note',
      ],
      results.map((r) => [
        r.case.name,
        r.kind,
        r.case.category,
        r.case.expect.outcome,
        r.outcome,
        r.fixers.join('+') || '-',
        r.asExpected ? 'yes' : 'NO',
        seconds(r.wallMs),
        seconds(r.commandsMs),
        ratio(r.wallMs, r.commandsMs),
        ratio(r.wallMs, r.commandRunMs),
        r.patchStats ? `${r.patchStats.files}f +${r.patchStats.added} -${r.patchStats.removed}` : '-',
        r.noisy === null ? '-' : r.noisy.length === 0 ? '0' : `${r.noisy.length}: ${r.noisy.slice(0, 3).join(' ')}`,
        r.falseFix
          ? `FALSE FIX: ${r.falseFix}`
          : awaiting(r).length > 0 && r.outcome !== 'fixed'
            ? `fixer not on this branch: ${awaiting(r).join(', ')}`
            : '',
      ]),
    ),
  );

  printLogTails(results, (line) => console.log(line));

  // Fix rate: fixed among the cases whose command fails (green ones have nothing to fix).
  const failing = results.filter((r) => r.kind !== 'green');
  const categories = [...new Set(failing.map((r) => r.case.category))];
  const fixable = (rs: CaseResult[]) => rs.filter((r) => r.case.expect.outcome === 'fixed');
  const fixed = (rs: CaseResult[]) => rs.filter((r) => r.outcome === 'fixed');
  const rateRow = (label: string, rs: CaseResult[]) => [
    label,
    String(rs.length),
    String(fixed(rs).length),
    percent(fixed(rs).length, rs.length),
    String(fixable(rs).length),
    percent(fixed(fixable(rs)).length, fixable(rs).length),
  ];
  console.log('\nfix rate (cases whose command fails)');
  console.log(
    table(
      ['category', 'cases', 'fixed', 'fix rate', 'tool-fixable', 'of those fixed'],
      [
        ...categories.map((cat) =>
          rateRow(
            cat,
            failing.filter((r) => r.case.category === cat),
          ),
        ),
        rateRow('overall', failing),
      ],
    ),
  );

  const kinds: CaseKind[] = ['one-fixer', 'two-fixers', 'needs-model', 'tool-missing', 'green'];
  console.log('\nas expected, by kind');
  console.log(
    table(
      ['kind', 'cases', 'as expected'],
      kinds
        .map((k) => results.filter((r) => r.kind === k))
        .map((rs, i) => [kinds[i] as string, String(rs.length), String(rs.filter((r) => r.asExpected).length)]),
    ),
  );

  const falseFixes = results.filter((r) => r.falseFix !== null);
  const oneRound = fixed(results).filter((r) => r.fixers.length === 1);
  const oneRoundRatios = oneRound.map((r) => r.wallMs / r.commandRunMs);
  const proofRatios = results.filter((r) => Number.isFinite(r.proofMs)).map((r) => r.proofMs / r.commandRunMs);
  console.log('\nsummary');
  console.log(
    `  overall fix rate          ${fixed(failing).length}/${failing.length} (${percent(fixed(failing).length, failing.length)})`,
  );
  console.log(`  as expected               ${results.filter((r) => r.asExpected).length}/${results.length}`);
  console.log(
    `  false fixes               ${falseFixes.length}${falseFixes.length ? `: ${falseFixes.map((r) => r.case.name).join(', ')}` : ''}`,
  );
  const noisy = results.filter((r) => (r.noisy?.length ?? 0) > 0);
  console.log(
    `  noisy patches             ${noisy.length}${noisy.length ? `: ${noisy.map((r) => r.case.name).join(', ')}` : ''} (files beyond those the failure named; aim 0)`,
  );
  console.log(
    `  median overhead ratio     ${median(results.map((r) => r.wallMs / r.commandsMs)).toFixed(2)} (task wall time / summed command time)`,
  );
  console.log(
    `  one-round fixes x command median ${median(oneRoundRatios).toFixed(2)}, max ${oneRoundRatios.length ? Math.max(...oneRoundRatios).toFixed(2) : '-'} (aim <= 2.2; ${oneRound.length} fixes)`,
  );
  console.log(
    `  proof cost x command      median ${median(proofRatios).toFixed(2)}, max ${proofRatios.length ? Math.max(...proofRatios).toFixed(2) : '-'} (fresh checkout: clone + patch + setup + run, over one run of the command; ${proofRatios.length} proofs)`,
  );
  console.log(
    `  model-needed cases        ${results.filter((r) => r.case.needsModel).length} (not_fixed without a model)`,
  );
  console.log(`  total                     ${seconds(totalMs)} s`);
  return falseFixes.length;
}

/** The model mode's figures (bench:fix --model). */
export interface ModelSummary {
  cases: number;
  fixed: number;
  falseFixes: number;
  /** Prompt plus completion tokens of every case. */
  tokens: number;
  /** All tokens spent over the fixes made (what a fix costs, the cases it failed on included). */
  tokensPerFix: number;
  /** Mean prompt plus completion tokens of a fixed case. */
  tokensPerFixedCase: number;
  steps: number;
  attempts: number;
  modelTimeMs: number;
}

const tokensOf = (r: CaseResult): number => (r.model ? r.model.promptTokens + r.model.completionTokens : 0);
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The model fixer's report on the model-needed cases; `endpoint` names what answered. */
export function printModelReport(
  results: CaseResult[],
  totalMs: number,
  endpoint: string,
  out: (line: string) => void,
): ModelSummary {
  out(`\nbench:fix --model cases (${endpoint})`);
  out(
    table(
      ['case', 'category', 'expected', 'outcome', 'ok', 'steps', 'attempts', 'tokens', 'model s', 'wall s', 'note'],
      results.map((r) => [
        r.case.name,
        r.case.category,
        r.case.expect.outcome,
        r.outcome,
        r.asExpected ? 'yes' : 'NO',
        String(r.model?.steps ?? '-'),
        String(r.model?.attempts ?? '-'),
        r.model ? String(tokensOf(r)) : '-',
        seconds(r.model?.modelTimeMs ?? NaN),
        seconds(r.wallMs),
        r.falseFix ? `FALSE FIX: ${r.falseFix}` : r.outcome === 'fixed' ? '' : (r.reason ?? '').slice(0, 100),
      ]),
    ),
  );
  printLogTails(results, out);
  const fixed = results.filter((r) => r.outcome === 'fixed');
  const summary: ModelSummary = {
    cases: results.length,
    fixed: fixed.length,
    falseFixes: results.filter((r) => r.falseFix !== null).length,
    tokens: sum(results.map(tokensOf)),
    tokensPerFix: fixed.length === 0 ? NaN : Math.round(sum(results.map(tokensOf)) / fixed.length),
    tokensPerFixedCase: fixed.length === 0 ? NaN : Math.round(sum(fixed.map(tokensOf)) / fixed.length),
    steps: sum(results.map((r) => r.model?.steps ?? 0)),
    attempts: sum(results.map((r) => r.model?.attempts ?? 0)),
    modelTimeMs: sum(results.map((r) => r.model?.modelTimeMs ?? 0)),
  };
  const per = (n: number) => (results.length === 0 ? '-' : (n / results.length).toFixed(1));
  out('\nsummary (model fixer)');
  out(`  model fix rate            ${summary.fixed}/${summary.cases} (${percent(summary.fixed, summary.cases)})`);
  out(
    `  tokens per fix            ${Number.isFinite(summary.tokensPerFix) ? summary.tokensPerFix : '-'} (all ${summary.tokens} prompt + completion tokens / fixes)`,
  );
  out(
    `  tokens per fixed case     ${Number.isFinite(summary.tokensPerFixedCase) ? summary.tokensPerFixedCase : '-'} (mean)`,
  );
  out(
    `  steps / attempts          ${summary.steps} / ${summary.attempts} (per case ${per(summary.steps)} / ${per(summary.attempts)})`,
  );
  out(`  model time                ${seconds(summary.modelTimeMs)} s (waiting for the endpoint)`);
  out(
    `  false fixes               ${summary.falseFixes}${
      summary.falseFixes
        ? `: ${results
            .filter((r) => r.falseFix)
            .map((r) => r.case.name)
            .join(', ')}`
        : ''
    }`,
  );
  out(`  total                     ${seconds(totalMs)} s`);
  return summary;
}

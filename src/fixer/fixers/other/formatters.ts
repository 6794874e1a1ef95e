// terraform fmt, shfmt and clang-format: each re-runs the check's own invocation in writing mode,
// so the flags that decide the layout (shfmt's -i 2, clang-format's --style, terraform's
// -recursive) are the check's. shfmt reads .editorconfig and clang-format .clang-format themselves
// when the command gives no style flags.
import { clangFormatRecognizer, shfmtRecognizer, terraformRecognizer } from '../../diagnosis/other.js';
import { shellQuote } from '../../../shared/shell.js';
import { withoutFlags } from '../invocation.js';
import { commandLine, toolFixer } from '../tool-fixer.js';

export const terraformFmtFixer = toolFixer({
  name: 'terraform-fmt',
  ecosystem: 'other',
  tool: 'terraform',
  recognizer: terraformRecognizer,
  repairs: (r) => r.category === 'format',
  head: /terraform(?:\s+-chdir=\S+)?\s+fmt/,
  fix: (inv) =>
    commandLine(
      inv.launcher + inv.program,
      withoutFlags(inv.args, ['-check', '--check', '-diff', '--diff', '-no-color']),
    ),
  fallback: { launcher: '', program: 'terraform fmt', args: ['-recursive'] },
});

// shfmt flags that take a value: the rest are switches or paths.
const SHFMT_VALUED = new Set(['-i', '--indent', '-ln', '--language-dialect', '--filename', '--apply-ignore']);

/** The check's arguments in writing mode: -w instead of -d/-l, and `.` when it named no path (stdin). */
export function shfmtArgs(args: readonly string[]): string[] {
  const kept = withoutFlags(args, [
    '-d',
    '--diff',
    '-l',
    '--list',
    '-l=0',
    '--list=0',
    '-f',
    '--find',
    '-w',
    '--write',
  ]);
  let paths = 0;
  for (let i = 0; i < kept.length; i++) {
    if (SHFMT_VALUED.has(kept[i]!)) i++;
    else if (!kept[i]!.startsWith('-')) paths++;
  }
  return ['-w', ...kept, ...(paths === 0 ? ['.'] : [])];
}

export const shfmtFixer = toolFixer({
  name: 'shfmt',
  ecosystem: 'other',
  tool: 'shfmt',
  recognizer: shfmtRecognizer,
  repairs: () => true,
  head: /shfmt/,
  fix: (inv) => commandLine(inv.launcher + inv.program, shfmtArgs(inv.args)),
  fallback: { launcher: '', program: 'shfmt', args: ['.'] },
  files: /\.(?:sh|bash|mksh|bats)$/,
});

const CLANG_VALUED = new Set([
  '--style',
  '-style',
  '--fallback-style',
  '-fallback-style',
  '--assume-filename',
  '-assume-filename',
  '--files',
  '-files',
  '--lines',
  '-lines',
  '--offset',
  '-offset',
  '--length',
  '-length',
]);

/**
 * In place, with the check's style flags and files; when the check named no file (fed by xargs or
 * a find), the files its output flagged.
 */
export function clangFormatArgs(args: readonly string[], flagged: readonly string[]): string[] {
  const kept = withoutFlags(
    args,
    ['--dry-run', '-n', '-Werror', '--Werror', '-i', '--verbose'],
    ['--ferror-limit', '-ferror-limit', '--output-replacements-xml'],
  );
  let files = 0;
  for (let i = 0; i < kept.length; i++) {
    const arg = kept[i]!;
    if (CLANG_VALUED.has(arg)) i++;
    else if (!arg.startsWith('-')) files++;
  }
  return ['-i', ...kept, ...(files === 0 ? flagged.map(shellQuote) : [])];
}

export const clangFormatFixer = toolFixer({
  name: 'clang-format',
  ecosystem: 'other',
  tool: 'clang-format',
  recognizer: clangFormatRecognizer,
  repairs: () => true,
  head: /clang-format(?:-\d+)?/,
  fix: (inv, _ctx, recognition) => {
    const flagged = [...new Set(recognition.locations.map((l) => l.path))];
    const args = clangFormatArgs(inv.args, flagged);
    return args.length > 1 ? commandLine(inv.launcher + inv.program, args) : null;
  },
  fallback: { launcher: '', program: 'clang-format', args: [] },
});

// Recognizers for formatters outside the language ecosystems: terraform fmt, shfmt, clang-format.
// terraform fmt -check and shfmt -l print only file names, so the command is part of the evidence.
import { collect, Findings, scanned } from './scan.js';
import type { Recognizer } from './types.js';

// terraform fmt -check: the unformatted files, one per line, exit code 3; with -diff each file's
// diff follows as "--- old/main.tf" / "+++ new/main.tf". Syntax errors (fmt or validate) are boxed:
// "│ Error: Invalid expression" … "│   on main.tf line 3:" (older releases without the box).
const TERRAFORM_FMT = /\bterraform\s+(?:-chdir=\S+\s+)?fmt\b/;
const TF_FILE = /^(\S+\.(?:tf|tfvars|tftest\.hcl))$/;
const TF_DIFF = /^--- old\/(\S+\.(?:tf|tfvars|tftest\.hcl))$/;
const TF_ERROR = /^[│|]?\s*Error: (.*)$/;
const TF_ON = /^[│|]?\s+on (\S+) line (\d+)/;

export const terraformRecognizer: Recognizer = {
  tool: 'terraform',
  commandPattern: TERRAFORM_FMT,
  recognize(input) {
    const lines = scanned(input.lines);
    const command = input.command;
    const fmt = TERRAFORM_FMT.test(command);
    const files = new Findings();
    const errors = new Findings();
    let diffs = 0;
    for (const line of lines) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(TF_DIFF))) {
        diffs++;
        files.at(m[1]!);
      } else if (fmt && (m = line.match(TF_FILE))) {
        files.at(m[1]!);
        files.line(line);
      } else if ((m = line.match(TF_ERROR))) {
        errors.line(line.replace(/^[│|]\s*/, ''));
      } else if ((m = line.match(TF_ON)) && errors.excerpt.length > 0) {
        errors.at(m[1]!, m[2]);
        errors.line(line.replace(/^[│|]\s*/, ''));
      }
    }
    if (errors.excerpt.length > 0 && errors.locations.length > 0) {
      return {
        tool: 'terraform',
        category: 'build',
        locations: errors.locations,
        excerpt: errors.excerpt.slice(0, 12),
        confidence: 0.8,
      };
    }
    if (files.locations.length === 0) return null;
    const excerpt = files.excerpt.length > 0 ? files.excerpt : files.locations.map((l) => `--- old/${l.path}`);
    return {
      tool: 'terraform',
      category: 'format',
      locations: files.locations,
      excerpt: excerpt.slice(0, 12),
      confidence: diffs > 0 || fmt ? 0.9 : 0.6,
    };
  },
};

// shfmt -d: a unified diff per file, "--- run.sh.orig" / "+++ run.sh" / "@@ -1,4 +1,4 @@";
// shfmt -l: only the file names (and exit 0 before v3.7), so CI wraps it: test -z "$(shfmt -l .)".
const SHFMT = /\bshfmt\b/;
const SHFMT_ORIG = /^--- (.+)\.orig$/;
const HUNK = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/;
const SH_FILE = /^(\S+\.(?:sh|bash|mksh|bats))$/;
const MAX_CHANGED_LINES = 4;

function shellScript(file: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return /\.(?:sh|bash|mksh|bats)$/.test(base) || !base.includes('.');
}

export const shfmtRecognizer: Recognizer = {
  tool: 'shfmt',
  commandPattern: SHFMT,
  recognize(input) {
    const lines = scanned(input.lines);
    const command = input.command;
    const found = new Findings();
    const listed = SHFMT.test(command) && /(?:^|\s)(?:-l|--list)(?:=\S+)?\b/.test(command);
    // The first changed line of each file's first hunk: the hunk's start plus its leading context.
    let file: string | null = null;
    let hunkLine = 0;
    // The first changed lines of each file go into the excerpt: a header alone says nothing.
    let changes = 0;
    for (const line of lines) {
      let m: RegExpMatchArray | null;
      if (changes > 0 && (line.startsWith('-') || line.startsWith('+')) && !line.startsWith('--- ')) {
        found.line(line);
        changes--;
        continue;
      }
      changes = 0;
      // gofmt -d prints the same `--- f.orig` header: unless the command runs shfmt, only a shell
      // script (by extension, or none) is shfmt's.
      if ((m = line.match(SHFMT_ORIG)) && (SHFMT.test(command) || shellScript(m[1]!))) {
        file = m[1]!;
        hunkLine = 0;
        found.line(line);
      } else if (file !== null && (m = line.match(HUNK))) {
        hunkLine = Number(m[1]);
      } else if (file !== null && hunkLine > 0) {
        if (line.startsWith('-') || line.startsWith('+')) {
          found.at(file, hunkLine);
          found.line(line);
          changes = MAX_CHANGED_LINES - 1;
          file = null;
        } else hunkLine++;
      } else if (listed && (m = line.match(SH_FILE))) {
        found.at(m[1]!);
        found.line(line);
      }
    }
    if (found.locations.length === 0) return null;
    return {
      tool: 'shfmt',
      category: 'format',
      locations: found.locations,
      excerpt: found.excerpt.slice(0, 12),
      confidence: listed ? 0.75 : 0.9,
    };
  },
};

// clang-format --dry-run -Werror: "src/main.c:1:4: error: code should be clang-formatted
// [-Wclang-format-violations]" per place (a warning without -Werror), each followed by the source
// line and a caret.
const CLANG_FORMAT =
  /^(.+?):(\d+):(\d+): (?:error|warning): code should be clang-formatted \[-Wclang-format-violations\]$/;

export const clangFormatRecognizer: Recognizer = {
  tool: 'clang-format',
  commandPattern: /\bclang-format(?:-\d+)?\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = collect(lines, CLANG_FORMAT);
    if (found.locations.length === 0) return null;
    return {
      tool: 'clang-format',
      category: 'format',
      locations: found.locations,
      excerpt: found.excerpt.slice(0, 12),
      confidence: 0.95,
    };
  },
};

export const otherRecognizers: readonly Recognizer[] = [terraformRecognizer, shfmtRecognizer, clangFormatRecognizer];

// Recognizers for the Go toolchain: the compiler (go build / go test's build step), go vet, go
// test, gofmt, goimports and the module system. The shapes are the ones Go 1.22+ prints; the
// captured outputs in test/fixtures/outputs/go-*/ and gofmt/, goimports/ are their test data.
import type { RawLocation, Recognizer, RecognizerInput } from './types.js';

const MAX_EXCERPT = 12;
/** `path/file.go:12:5: message` (compiler, vet, gofmt syntax errors); `vet: ` marks vet's own type check. */
const COMPILER_LINE = /^(vet: )?((?:\.{0,2}\/)?[^\s:]+\.go):(\d+)(?::(\d+))?: (.+)$/;
/** `# example.com/mod/pkg` heads a package's build errors; `# [example.com/mod/pkg]` its vet findings. */
const PACKAGE_HEADER = /^# (\[)?\S+\]?$/;
/** What the go command says while it fetches modules (on stderr, so even `$(...)` idioms show it). */
const FETCH_NOISE = /^go: (?:downloading|finding|extracting|found) /;

/** Paths as Go prints them are relative to the working directory, sometimes with a `./`. */
function relative(path: string): string {
  return path.startsWith('./') ? path.slice(2) : path;
}

function location(path: string, line?: string, column?: string): RawLocation {
  return {
    path: relative(path),
    ...(line ? { line: Number(line) } : {}),
    ...(column ? { column: Number(column) } : {}),
  };
}

/** The module system's messages (go-mod): `go mod tidy` (and `go mod vendor`) answer each. */
export const MODULE_PROBLEMS: Array<{ pattern: RegExp; file?: string }> = [
  { pattern: /no required module provides package \S+/ },
  { pattern: /missing go\.sum entry/, file: 'go.sum' },
  { pattern: /updates to go\.mod needed/, file: 'go.mod' },
  { pattern: /go: inconsistent vendoring/, file: 'vendor/modules.txt' },
];

// ---------------------------------------------------------------------------------------------
// Compiler and vet: the same `file:line:col: message` lines, told apart by the header above them.

const GO_VET_COMMAND = /\bgo\s+vet\b/;

interface CompilerFinding {
  kind: 'build' | 'vet';
  line: string;
  location: RawLocation;
}

function compilerFindings(input: RecognizerInput): CompilerFinding[] {
  const findings: CompilerFinding[] = [];
  // No header at all: `go vet` prints its findings bare, the compiler always under `# pkg`.
  let section: 'build' | 'vet' | null = null;
  const bare = GO_VET_COMMAND.test(input.command) ? 'vet' : 'build';
  for (const line of input.lines) {
    const header = PACKAGE_HEADER.exec(line);
    if (header) {
      section = header[1] ? 'vet' : 'build';
      continue;
    }
    const match = COMPILER_LINE.exec(line);
    if (!match || MODULE_PROBLEMS.some((p) => p.pattern.test(line))) continue;
    const kind = match[1] ? 'build' : (section ?? bare);
    findings.push({ kind, line, location: location(match[2] as string, match[3], match[4]) });
    if (findings.length >= 200) break;
  }
  return findings;
}

function compilerRecognizer(kind: 'build' | 'vet'): Recognizer {
  return {
    tool: kind === 'build' ? 'go-build' : 'go-vet',
    ...(kind === 'vet' ? { commandPattern: GO_VET_COMMAND } : {}),
    recognize(input) {
      const findings = compilerFindings(input).filter((f) => f.kind === kind);
      if (findings.length === 0) return null;
      const failedLines = input.lines.filter((l) => /^FAIL\t\S+ \[build failed\]$/.test(l)).slice(0, 3);
      return {
        tool: kind === 'build' ? 'go-build' : 'go-vet',
        category: kind === 'build' ? 'build' : 'lint',
        locations: findings.map((f) => f.location),
        excerpt: [...findings.map((f) => f.line).slice(0, MAX_EXCERPT - failedLines.length), ...failedLines],
        confidence: 0.85,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// go test: `--- FAIL: TestX (0.00s)` blocks, their `file_test.go:NN:` lines, and the package line.

const TEST_FAIL = /^\s*--- FAIL: (\S+)/;
const TEST_LOCATION = /^\s+([^\s:/]+\.go):(\d+): /;
const PACKAGE_RESULT = /^(?:ok|\?)\s+\S+/;
const PACKAGE_FAIL = /^FAIL\t(\S+)\t/;

/**
 * go test names a file relative to its package's folder (`calc_test.go`) and the package by import
 * path. Without the module path the folder is a guess: the file as printed (the module root), then
 * the import path's trailing folders; the framework keeps the one that exists in the repository.
 */
function testFileCandidates(file: string, importPath: string | undefined): string[] {
  const candidates = [file];
  const segments = importPath?.split('/') ?? [];
  for (let take = 1; take < Math.min(segments.length, 5); take += 1)
    candidates.push([...segments.slice(-take), file].join('/'));
  return candidates;
}

/** A goroutine trace frame: `example.com/mod/pkg.Func(...)`, then `\t/abs/path/file.go:12 +0x1d`. */
const FRAME_FILE = /^\t\S*\/([^\s/]+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/;
const MAX_FRAMES = 3;

/** The import path of a frame's function (`example.com/mod/pkg` of `example.com/mod/pkg.(*T).Run(...)`), by string steps, not a backtracking pattern. */
function frameImportPath(fn: string): string | null {
  const open = fn.indexOf('(');
  if (open <= 0 || !fn.endsWith(')') || /\s/.test(fn.slice(0, open))) return null;
  const head = fn.slice(0, open);
  const slash = head.lastIndexOf('/');
  const dot = head.indexOf('.', slash + 1);
  return dot > slash + 1 ? head.slice(0, dot) : null;
}

/** The module's own frames of a panic trace (the standard library's import paths have no dot in their first element). */
function panicFrame(
  previous: string | undefined,
  line: string,
): { file: string; line: number; importPath: string } | null {
  const file = FRAME_FILE.exec(line);
  if (!file || previous === undefined) return null;
  const importPath = frameImportPath(previous);
  if (importPath === null || !(importPath.split('/')[0] as string).includes('.')) return null;
  return { file: file[1] as string, line: Number(file[2]), importPath };
}

const TEST_BOUNDARY = /^\s*(?:--- (?:PASS|SKIP):|=== (?:RUN|PAUSE|CONT|NAME))/;

const goTestRecognizer: Recognizer = {
  tool: 'go-test',
  recognize(input) {
    const excerpt: string[] = [];
    const locations: RawLocation[] = [];
    const keep = (line: string): void => void (excerpt.length < MAX_EXCERPT && excerpt.push(line));
    // A failing test's lines: after `--- FAIL` by default, before it under -v (`=== RUN` first).
    let pending: Array<{ file: string; line: number; text: string }> = [];
    let unclaimed: typeof pending = [];
    let inFailure = false;
    let failures = 0;
    let frames = 0;
    let previous: string | undefined;
    for (const line of input.lines) {
      const before = previous;
      previous = line;
      const frame = failures > 0 && frames < MAX_FRAMES ? panicFrame(before, line) : null;
      if (frame) {
        frames += 1;
        for (const path of testFileCandidates(frame.file, frame.importPath)) locations.push({ path, line: frame.line });
        continue;
      }
      if (TEST_FAIL.test(line)) {
        failures += 1;
        keep(line.trim());
        for (const u of unclaimed) keep(u.text);
        pending.push(...unclaimed);
        unclaimed = [];
        inFailure = true;
        continue;
      }
      if (TEST_BOUNDARY.test(line)) {
        unclaimed = [];
        inFailure = false;
        continue;
      }
      const at = TEST_LOCATION.exec(line);
      if (at) {
        const found = { file: at[1] as string, line: Number(at[2]), text: line.trim() };
        if (inFailure) {
          keep(found.text);
          pending.push(found);
        } else if (unclaimed.length < 20) unclaimed.push(found);
        continue;
      }
      if (/^panic: /.test(line)) keep(line);
      const failed = PACKAGE_FAIL.exec(line);
      if (failed || PACKAGE_RESULT.test(line)) {
        if (failed) {
          for (const p of pending.slice(0, 20))
            for (const path of testFileCandidates(p.file, failed[1])) locations.push({ path, line: p.line });
          keep(line);
        }
        pending = [];
        unclaimed = [];
        inFailure = false;
      }
    }
    if (failures === 0) return null;
    for (const p of pending) locations.push({ path: p.file, line: p.line });
    return { tool: 'go-test', category: 'test', locations, excerpt, confidence: 0.9 };
  },
};

// ---------------------------------------------------------------------------------------------
// gofmt and goimports: `-d` prints a diff per file, `-l` prints bare file names, and the idiom
// `test -z "$(gofmt -l .)"` prints nothing at all: then the command is the only evidence.

const DIFF_HEADER = /^diff (?:-u )?(\S+\.go)\.orig \S+\.go$/;
const BARE_GO_FILE = /^(?:\.{0,2}\/)?[^\s:]+\.go$/;

function formatterRecognizer(tool: 'gofmt' | 'goimports'): Recognizer {
  const invoked = tool === 'gofmt' ? /\bgofmt\b/ : /\bgoimports\b/;
  const notFound = new RegExp(`\\b${tool}: (?:command )?not found|\\b${tool}: No such file`);
  return {
    tool,
    commandPattern: invoked,
    recognize(input) {
      if (!invoked.test(input.command)) return null;
      const missing = input.lines.find((l) => notFound.test(l));
      if (missing) return { tool, category: 'environment', locations: [], excerpt: [missing], confidence: 0.9 };
      const diffs = input.lines.map((l) => DIFF_HEADER.exec(l)).filter((m): m is RegExpExecArray => m !== null);
      if (diffs.length > 0) {
        const start = input.lines.findIndex((l) => DIFF_HEADER.test(l));
        return {
          tool,
          category: 'format',
          locations: diffs.map((m) => location(m[1] as string)),
          excerpt: input.lines.slice(start, start + MAX_EXCERPT),
          confidence: 0.9,
        };
      }
      // -l listings, or nothing: the file names, with at most a few hint lines of the check's own
      // ("Please format Go code by running: go fmt ./..."), so that another step's failure under
      // the same chained command is never taken for a formatting one.
      const text = input.lines.filter((l) => l.trim() !== '' && !FETCH_NOISE.test(l));
      if (input.exitCode === 0) return null;
      const names = text.filter((l) => BARE_GO_FILE.test(l.trim()));
      const hints = text.filter((l) => !BARE_GO_FILE.test(l.trim()));
      if (hints.length > 0 && (names.length === 0 || hints.length > MAX_HINTS || !hints.every(isHint))) return null;
      return {
        tool,
        category: 'format',
        locations: names.map((l) => location(l.trim())),
        excerpt: text.slice(0, MAX_EXCERPT),
        confidence: names.length > 0 ? 0.8 : 0.5,
      };
    },
  };
}

const MAX_HINTS = 4;
// What a Go tool prints when it fails (a compiler position, a test verdict, a panic): never a hint.
const NOT_A_HINT = /\.go:\d+|^(?:FAIL|ok|panic:|---|#|\?)\s|^\s|^\S+:\s|\b(?:undefined|cannot|syntax error)\b/i;

/** A line a formatting check prints around its file list: prose, not a tool's failure. */
function isHint(line: string): boolean {
  return line.length <= 200 && !NOT_A_HINT.test(line);
}

// ---------------------------------------------------------------------------------------------
// The module system: go.mod / go.sum / vendor out of step with the code, or a Go pinned newer
// than the one installed.

/** The go line (or toolchain line) asks for a Go that is not installed and may not be fetched. */
export const TOOLCHAIN_NEWER =
  /go\.mod requires go >= \S+ \(running go \S+; GOTOOLCHAIN=local\)|^go: download go1[\d.]*\S*(?: for \S+)?: /;

const goModRecognizer: Recognizer = {
  tool: 'go-mod',
  recognize(input) {
    const toolchain = input.lines.find((l) => TOOLCHAIN_NEWER.test(l));
    if (toolchain)
      return {
        tool: 'go-mod',
        category: 'environment',
        locations: [{ path: 'go.mod' }],
        excerpt: [toolchain],
        confidence: 0.95,
      };
    const excerpt: string[] = [];
    const locations: RawLocation[] = [];
    for (const [index, line] of input.lines.entries()) {
      const problem = MODULE_PROBLEMS.find((p) => p.pattern.test(line));
      if (!problem) continue;
      const at = COMPILER_LINE.exec(line);
      if (at) locations.push(location(at[2] as string, at[3], at[4]));
      if (problem.file && !locations.some((l) => l.path === problem.file)) locations.push({ path: problem.file });
      // The message and the go command's own advice, indented under it.
      excerpt.push(line);
      for (const next of input.lines.slice(index + 1, index + 6)) {
        if (!/^\s/.test(next) || next.trim() === '') break;
        excerpt.push(next);
      }
      if (excerpt.length >= MAX_EXCERPT) break;
    }
    if (excerpt.length === 0) return null;
    return {
      tool: 'go-mod',
      category: 'dependency',
      locations,
      excerpt: excerpt.slice(0, MAX_EXCERPT),
      confidence: 0.95,
    };
  },
};

export const goRecognizers: readonly Recognizer[] = [
  goModRecognizer,
  compilerRecognizer('build'),
  compilerRecognizer('vet'),
  goTestRecognizer,
  formatterRecognizer('gofmt'),
  formatterRecognizer('goimports'),
];

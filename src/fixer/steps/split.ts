// Splits a CI command into its top-level steps (`a && b && c`, `a; b`, or several lines), so the
// pipeline can tell which step failed and re-run only that one. Aware of quotes, `$(…)`, `${…}`,
// backticks, subshells, compound commands (if/for/while/until/case/{…}), here-documents, comments
// and line continuations. Anything it cannot parse with certainty stays one step: a wrong split
// would change what the command does, one step never does.

export type Separator = '&&' | ';' | '\n' | '';

export interface Step {
  index: number;
  /** The step's own text, without its separator. */
  command: string;
  /** What joins it to the next step ('' for the last). */
  separator: Separator;
}

class Unparsable extends Error {}

const MAX_DEPTH = 64;
const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', 'select', '{']);
const CLOSERS: Record<string, string> = { fi: 'kw', done: 'kw', esac: 'case', '}': '{' };
// Reserved words after which a command starts again.
const RESTART = new Set(['then', 'do', 'else', 'elif', '!', 'time']);
const DELIMITER = /[\s;&|()<>]/;

interface Segment {
  start: number;
  end: number;
  separator: Separator;
  /** Contains `||`: an and-or list with one is kept whole. */
  hasOr: boolean;
}

/** Scans `s` from `pos`; at depth 0 it reports separators, inside a construct it finds its end. */
class Scanner {
  pos = 0;
  private heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  constructor(private readonly s: string) {}

  /** The whole input as top-level segments. */
  top(): Segment[] {
    const segments: Segment[] = [];
    let start = 0;
    let hasOr = false;
    const cut = (end: number, separator: Separator, next: number) => {
      // Blank lines and comments after `&&` continue the list: `a &&\n  b` is one list.
      if (separator === '\n' && segments.at(-1)?.separator === '&&' && /^\s*(?:#[^\n]*)?\s*$/.test(this.s.slice(start, end))) {
        start = next;
        return;
      }
      segments.push({ start, end, separator, hasOr });
      if (separator !== '&&') hasOr = false;
      start = next;
    };
    this.list(null, 0, {
      separator: (sep, at, next) => cut(at, sep, next),
      or: () => void (hasOr = true),
      pending: () => this.s.slice(start, this.pos).trim(),
    });
    segments.push({ start, end: this.s.length, separator: '', hasOr });
    return segments;
  }

  private list(
    terminator: ')' | null,
    depth: number,
    top?: { separator(sep: Separator, at: number, next: number): void; or(): void; pending(): string },
  ): void {
    if (depth > MAX_DEPTH) throw new Unparsable('too deep');
    const s = this.s;
    const stack: string[] = [];
    let atStart = true;
    while (this.pos < s.length) {
      const c = s[this.pos] as string;
      const next = s[this.pos + 1];
      if (c === '\\') {
        this.pos += 2;
        atStart = false;
        continue;
      }
      if (c === ' ' || c === '\t') {
        this.pos++;
        continue;
      }
      if (c === '\n') {
        this.pos++;
        this.readHeredocBodies(); // they belong to the line that opened them
        const pending = top?.pending().replace(/\\\n/g, '').replace(/(?:^|\s)#[^\n]*\n?$/, '').replace(/\s+$/, '') ?? '';
        // A newline after `&&`, `||` or `|` (and maybe a comment) continues the list.
        if (top && stack.length === 0 && !/(?:\|\||&&|\|)$/.test(pending)) top.separator('\n', this.pos, this.pos);
        atStart = true;
        continue;
      }
      if (c === '#' && (this.pos === 0 || /[\s;&|()]/.test(s[this.pos - 1] as string))) {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
        continue;
      }
      if (c === "'") {
        this.single();
        atStart = false;
        continue;
      }
      if (c === '"') {
        this.double(depth);
        atStart = false;
        continue;
      }
      if (c === '`') {
        this.backtick();
        atStart = false;
        continue;
      }
      if (c === '$' && next === '(') {
        this.pos += 2;
        this.list(')', depth + 1);
        atStart = false;
        continue;
      }
      if (c === '$' && next === '{') {
        this.brace(depth);
        atStart = false;
        continue;
      }
      if (c === '(') {
        this.pos++;
        this.list(')', depth + 1);
        atStart = true;
        continue;
      }
      if (c === ')') {
        if (stack.at(-1) === 'case') {
          this.pos++; // a case pattern's closing paren
          atStart = true;
          continue;
        }
        if (terminator === ')' && stack.length === 0) {
          this.pos++;
          return;
        }
        throw new Unparsable('unbalanced )');
      }
      if (c === '<' && next === '<' && s[this.pos + 2] !== '<') {
        this.heredocStart();
        continue;
      }
      if (c === '&' && next === '&') {
        if (top && stack.length === 0) top.separator('&&', this.pos, this.pos + 2);
        this.pos += 2;
        atStart = true;
        continue;
      }
      if (c === '|' && next === '|') {
        if (stack.length === 0) top?.or();
        this.pos += 2;
        atStart = true;
        continue;
      }
      if (c === ';') {
        const double = next === ';';
        if (top && stack.length === 0 && !double) top.separator(';', this.pos, this.pos + 1);
        this.pos += double ? 2 : 1;
        atStart = true;
        continue;
      }
      if (c === '|' || c === '&') {
        // `>&2`, `&>file` are redirections; a lone `&` (background) stays inside its step.
        const redirect = (c === '&' && next === '>') || (this.pos > 0 && /[<>]/.test(s[this.pos - 1] as string));
        this.pos += c === '&' && next === '>' ? 2 : 1;
        atStart = !redirect;
        continue;
      }
      if (c === '<' || c === '>') {
        this.pos++;
        continue;
      }
      // A word.
      const start = this.pos;
      while (this.pos < s.length && !DELIMITER.test(s[this.pos] as string) && !`'"\`$\\`.includes(s[this.pos] as string)) this.pos++;
      if (this.pos === start) {
        // A quote, `$` or `\` inside a word: handled by the next turn of the loop.
        if (s[this.pos] === '$') this.pos++;
        atStart = false;
        continue;
      }
      const word = s.slice(start, this.pos);
      const wordEnds = this.pos >= s.length || DELIMITER.test(s[this.pos] as string) || s.startsWith('\\\n', this.pos);
      if (atStart && wordEnds) {
        if (OPENERS.has(word)) {
          stack.push(word === 'case' ? 'case' : word === '{' ? '{' : 'kw');
          atStart = word === '{' || word === 'if' || word === 'while' || word === 'until';
          continue;
        }
        const closes = CLOSERS[word];
        if (closes !== undefined) {
          if (stack.at(-1) !== closes) throw new Unparsable(`unexpected ${word}`);
          stack.pop();
          atStart = false;
          continue;
        }
        if (RESTART.has(word)) continue;
      }
      if (word === 'esac' && stack.at(-1) === 'case') {
        stack.pop();
        atStart = false;
        continue;
      }
      atStart = /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && atStart; // `X=1 cmd`: cmd is still a command
    }
    if (terminator !== null || stack.length > 0) throw new Unparsable('unterminated construct');
  }

  private single(): void {
    const end = this.s.indexOf("'", this.pos + 1);
    if (end < 0) throw new Unparsable("unterminated '");
    this.pos = end + 1;
  }

  private double(depth: number): void {
    const s = this.s;
    this.pos++;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '\\') this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return;
      } else if (c === '$' && s[this.pos + 1] === '(') {
        this.pos += 2;
        this.list(')', depth + 1);
      } else if (c === '$' && s[this.pos + 1] === '{') this.brace(depth);
      else if (c === '`') this.backtick();
      else this.pos++;
    }
    throw new Unparsable('unterminated "');
  }

  private backtick(): void {
    const s = this.s;
    this.pos++;
    while (this.pos < s.length) {
      if (s[this.pos] === '\\') this.pos += 2;
      else if (s[this.pos] === '`') {
        this.pos++;
        return;
      } else this.pos++;
    }
    throw new Unparsable('unterminated `');
  }

  private brace(depth: number): void {
    if (depth > MAX_DEPTH) throw new Unparsable('too deep');
    const s = this.s;
    this.pos += 2;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === '\\') this.pos += 2;
      else if (c === '}') {
        this.pos++;
        return;
      } else if (c === "'") this.single();
      else if (c === '"') this.double(depth + 1);
      else if (c === '`') this.backtick();
      else if (c === '$' && s[this.pos + 1] === '{') this.brace(depth + 1);
      else if (c === '$' && s[this.pos + 1] === '(') {
        this.pos += 2;
        this.list(')', depth + 1);
      } else this.pos++;
    }
    throw new Unparsable('unterminated ${');
  }

  private heredocStart(): void {
    const s = this.s;
    this.pos += 2;
    const stripTabs = s[this.pos] === '-';
    if (stripTabs) this.pos++;
    while (s[this.pos] === ' ' || s[this.pos] === '\t') this.pos++;
    let delimiter = '';
    while (this.pos < s.length && !/[\s;&|()<>]/.test(s[this.pos] as string)) {
      const c = s[this.pos] as string;
      if (c === "'" || c === '"') {
        const end = s.indexOf(c, this.pos + 1);
        if (end < 0) throw new Unparsable('unterminated here-document word');
        delimiter += s.slice(this.pos + 1, end);
        this.pos = end + 1;
      } else if (c === '\\') {
        delimiter += s[this.pos + 1] ?? '';
        this.pos += 2;
      } else {
        delimiter += c;
        this.pos++;
      }
    }
    if (delimiter === '') throw new Unparsable('here-document without a word');
    this.heredocs.push({ delimiter, stripTabs });
  }

  /** After a newline: the bodies of the here-documents the line opened. */
  private readHeredocBodies(): void {
    const s = this.s;
    for (const { delimiter, stripTabs } of this.heredocs) {
      for (;;) {
        if (this.pos >= s.length) throw new Unparsable('unterminated here-document');
        const eol = s.indexOf('\n', this.pos);
        const line = s.slice(this.pos, eol < 0 ? s.length : eol);
        this.pos = eol < 0 ? s.length : eol + 1;
        if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
    }
    this.heredocs = [];
  }
}

/** The step without surrounding blanks or a dangling line continuation (which would swallow what follows it). */
function trimStep(text: string): string {
  let trimmed = text.trim();
  while (((/\\+$/.exec(trimmed)?.[0].length ?? 0) & 1) === 1) trimmed = trimmed.slice(0, -1).trimEnd();
  return trimmed;
}

/**
 * Pure: the command's top-level steps. An and-or list that contains `||` stays one step (its
 * parts don't fail independently), and so does anything the scanner cannot parse.
 */
export function splitSteps(command: string): Step[] {
  let segments: Segment[];
  try {
    const scanner = new Scanner(command);
    segments = scanner.top();
  } catch (error) {
    if (error instanceof Unparsable) return [{ index: 0, command: trimStep(command), separator: '' }];
    throw error;
  }
  const merged: Array<{ command: string; separator: Separator }> = [];
  let group: Segment[] = [];
  const flush = () => {
    if (group.length === 0) return;
    const last = group[group.length - 1] as Segment;
    if (last.hasOr && group.length > 1) {
      merged.push({ command: command.slice((group[0] as Segment).start, last.end), separator: last.separator });
    } else {
      for (const seg of group) merged.push({ command: command.slice(seg.start, seg.end), separator: seg.separator });
    }
    group = [];
  };
  for (const segment of segments) {
    group.push(segment);
    if (segment.separator !== '&&') flush();
  }
  flush();
  const steps: Step[] = [];
  for (const { command: text, separator } of merged) {
    const trimmed = trimStep(text);
    if (trimmed === '' || /^#/.test(trimmed) && !trimmed.includes('\n')) {
      // An empty or comment-only segment: the previous step keeps its own separator.
      continue;
    }
    steps.push({ index: steps.length, command: trimmed, separator });
  }
  if (steps.length > 0) (steps[steps.length - 1] as Step).separator = '';
  return steps.length > 0 ? steps : [{ index: 0, command: trimStep(command), separator: '' }];
}

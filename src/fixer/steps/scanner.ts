// The shell scanner behind splitSteps(): finds a command's top-level separators while skipping
// quotes, `$(…)`, `${…}`, backticks, subshells, compound commands (if/for/while/until/case/{…}),
// here-documents, comments and line continuations. It throws Unparsable on anything it is unsure
// of; the caller then keeps the command as one step.

export type Separator = '&&' | ';' | '\n' | '';

export class Unparsable extends Error {}

export interface Segment {
  start: number;
  end: number;
  separator: Separator;
  /** Contains `||`: an and-or list with one is kept whole. */
  hasOr: boolean;
}

interface TopSink {
  separator(sep: Separator, at: number, next: number): void;
  or(): void;
  pending(): string;
}

/** One list being scanned: the top level, or the inside of `( … )` / `$( … )`. */
interface ListState {
  terminator: ')' | null;
  depth: number;
  /** Open compound commands: 'kw' (if/for/while/until/select), 'case', '{'. */
  stack: string[];
  /** The next word is in command position (where reserved words count). */
  atStart: boolean;
  /** Only at the top level: where separators are reported. */
  top: TopSink | undefined;
}

const MAX_DEPTH = 64;
const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', 'select', '{']);
const CLOSERS: Record<string, string> = { fi: 'kw', done: 'kw', esac: 'case', '}': '{' };
// Reserved words after which a command starts again.
const RESTART = new Set(['then', 'do', 'else', 'elif', '!', 'time']);
const DELIMITER = /[\s;&|()<>]/;

/** Pure: the top-level segments of `command`, or Unparsable. */
export function scanSegments(command: string): Segment[] {
  return new Scanner(command).top();
}

class Scanner {
  pos = 0;
  private heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  constructor(private readonly s: string) {}

  top(): Segment[] {
    const segments: Segment[] = [];
    let start = 0;
    let hasOr = false;
    const cut = (end: number, separator: Separator, next: number) => {
      // Blank lines and comments after `&&` continue the list: `a &&\n  b` is one list.
      if (
        separator === '\n' &&
        segments.at(-1)?.separator === '&&' &&
        /^\s*(?:#[^\n]*)?\s*$/.test(this.s.slice(start, end))
      ) {
        start = next;
        return;
      }
      segments.push({ start, end, separator, hasOr });
      if (separator !== '&&') hasOr = false;
      start = next;
    };
    this.list(null, 0, {
      separator: (sep, at, next) => cut(at, sep, next),
      or: () => {
        hasOr = true;
      },
      pending: () => this.s.slice(start, this.pos).trim(),
    });
    segments.push({ start, end: this.s.length, separator: '', hasOr });
    return segments;
  }

  private list(terminator: ')' | null, depth: number, top?: TopSink): void {
    if (depth > MAX_DEPTH) throw new Unparsable('too deep');
    const st: ListState = { terminator, depth, stack: [], atStart: true, top };
    while (this.pos < this.s.length) {
      if (this.blank(st) || this.quoted(st)) continue;
      const op = this.operator(st);
      if (op === 'closed') return;
      if (op === 'none') this.word(st);
    }
    if (terminator !== null || st.stack.length > 0) throw new Unparsable('unterminated construct');
  }

  /** Blanks, newlines (a separator at the top level), comments and backslash escapes. */
  private blank(st: ListState): boolean {
    const s = this.s;
    const c = s[this.pos];
    if (c === '\\') {
      this.pos += 2;
      st.atStart = false;
    } else if (c === ' ' || c === '\t') {
      this.pos++;
    } else if (c === '\n') {
      this.pos++;
      this.readHeredocBodies(); // they belong to the line that opened them
      const pending =
        st.top
          ?.pending()
          .replace(/\\\n/g, '')
          .replace(/(?:^|\s)#[^\n]*\n?$/, '')
          .replace(/\s+$/, '') ?? '';
      // A newline after `&&`, `||` or `|` (and maybe a comment) continues the list.
      if (st.top && st.stack.length === 0 && !/(?:\|\||&&|\|)$/.test(pending))
        st.top.separator('\n', this.pos, this.pos);
      st.atStart = true;
    } else if (c === '#' && (this.pos === 0 || /[\s;&|()]/.test(s[this.pos - 1] as string))) {
      while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
    } else {
      return false;
    }
    return true;
  }

  /** Quotes, expansions and subshells: skipped whole. */
  private quoted(st: ListState): boolean {
    const c = this.s[this.pos];
    const next = this.s[this.pos + 1];
    if (c === "'") this.single();
    else if (c === '"') this.double(st.depth);
    else if (c === '`') this.backtick();
    else if (c === '$' && next === '{') this.brace(st.depth);
    else if ((c === '$' && next === '(') || c === '(') {
      this.pos += c === '$' ? 2 : 1;
      this.list(')', st.depth + 1);
      st.atStart = c === '(';
      return true;
    } else return false;
    st.atStart = false;
    return true;
  }

  /** Operators and redirections; 'closed' when this list's `)` ends it. */
  private operator(st: ListState): 'closed' | 'done' | 'none' {
    const s = this.s;
    const c = s[this.pos] as string;
    const next = s[this.pos + 1];
    const level = st.stack.length === 0;
    if (c === ')') {
      this.pos++;
      if (st.stack.at(-1) === 'case') {
        st.atStart = true; // a case pattern's closing paren
        return 'done';
      }
      if (st.terminator === ')' && level) return 'closed';
      throw new Unparsable('unbalanced )');
    }
    if (c === '<' && next === '<' && s[this.pos + 2] !== '<') {
      this.heredocStart();
      return 'done';
    }
    if ((c === '&' && next === '&') || (c === '|' && next === '|')) {
      if (level && c === '&') st.top?.separator('&&', this.pos, this.pos + 2);
      if (level && c === '|') st.top?.or();
      this.pos += 2;
      st.atStart = true;
      return 'done';
    }
    if (c === ';') {
      const double = next === ';';
      if (level && !double) st.top?.separator(';', this.pos, this.pos + 1);
      this.pos += double ? 2 : 1;
      st.atStart = true;
      return 'done';
    }
    if (c === '|' || c === '&') {
      // `>&2`, `&>file` are redirections; a lone `&` (background) stays inside its step.
      const redirect = (c === '&' && next === '>') || (this.pos > 0 && /[<>]/.test(s[this.pos - 1] as string));
      this.pos += c === '&' && next === '>' ? 2 : 1;
      st.atStart = !redirect;
      return 'done';
    }
    if (c === '<' || c === '>') {
      this.pos++;
      return 'done';
    }
    return 'none';
  }

  /** A word; in command position, reserved words open and close compound commands. */
  private word(st: ListState): void {
    const s = this.s;
    const start = this.pos;
    while (this.pos < s.length && !DELIMITER.test(s[this.pos] as string) && !`'"\`$\\`.includes(s[this.pos] as string))
      this.pos++;
    if (this.pos === start) {
      // A quote, `$` or `\` inside a word: handled by the next turn of the loop.
      if (s[this.pos] === '$') this.pos++;
      st.atStart = false;
      return;
    }
    const word = s.slice(start, this.pos);
    const wordEnds = this.pos >= s.length || DELIMITER.test(s[this.pos] as string) || s.startsWith('\\\n', this.pos);
    if (st.atStart && wordEnds) {
      if (OPENERS.has(word)) {
        st.stack.push(word === 'case' ? 'case' : word === '{' ? '{' : 'kw');
        st.atStart = word === '{' || word === 'if' || word === 'while' || word === 'until';
        return;
      }
      const closes = CLOSERS[word];
      if (closes !== undefined) {
        if (st.stack.at(-1) !== closes) throw new Unparsable(`unexpected ${word}`);
        st.stack.pop();
        st.atStart = false;
        return;
      }
      if (RESTART.has(word)) return;
    }
    if (word === 'esac' && st.stack.at(-1) === 'case') {
      st.stack.pop();
      st.atStart = false;
      return;
    }
    st.atStart = /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && st.atStart; // `X=1 cmd`: cmd is still a command
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

/** @jsxImportSource hono/jsx */
// A unified diff as tables, one per file: line numbers, added/removed/hunk rows, and the code
// highlighted by highlight.js on the server (line by line; it escapes what it emits).
//
// Highlighting runs on the event loop that also serves /api/v1, the webhook and /healthz, and its
// cost grows far faster than a line's length (a 4 KiB line took seconds). Any tenant can get a
// patch stored, so highlighting is bounded per page: lines over MAX_HIGHLIGHTED_LINE characters,
// anything past MAX_HIGHLIGHTED_BYTES, and anything after HIGHLIGHT_TIME_BUDGET_MS of work are
// shown as plain (escaped) text.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { raw } from 'hono/html';

for (const [name, language] of Object.entries({
  bash,
  css,
  go,
  javascript,
  json,
  markdown,
  python,
  typescript,
  xml,
  yaml,
}))
  hljs.registerLanguage(name, language);

const BY_EXTENSION: Record<string, string> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  md: 'markdown',
  py: 'python',
  go: 'go',
  css: 'css',
  scss: 'css',
  html: 'xml',
  xml: 'xml',
  svg: 'xml',
  sh: 'bash',
};

type Row = { kind: 'add' | 'del' | 'ctx' | 'hunk'; old?: number; new?: number; text: string };
export interface DiffFile {
  path: string;
  rows: Row[];
}

/** Splits `git diff` output into files and rows; lines outside a hunk (headers) are dropped. */
export function parseUnifiedDiff(patch: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let oldLine = 0;
  let newLine = 0;
  for (const line of patch.split('\n')) {
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(line);
    if (header) {
      file = { path: header[2]!, rows: [] };
      files.push(file);
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk && file) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      file.rows.push({ kind: 'hunk', text: line });
      continue;
    }
    if (!file || file.rows.length === 0) continue;
    if (line.startsWith('+')) file.rows.push({ kind: 'add', new: newLine++, text: line.slice(1) });
    else if (line.startsWith('-')) file.rows.push({ kind: 'del', old: oldLine++, text: line.slice(1) });
    else if (line.startsWith(' ')) file.rows.push({ kind: 'ctx', old: oldLine++, new: newLine++, text: line.slice(1) });
  }
  return files;
}

export const MAX_HIGHLIGHTED_LINE = 400;
export const MAX_HIGHLIGHTED_BYTES = 64 * 1024;
/** A backstop for lines under the length cap that are still slow (pathological token runs). */
const HIGHLIGHT_TIME_BUDGET_MS = 150;

/** One page's highlighting allowance; plain text once it is spent. */
class HighlightBudget {
  private bytes = MAX_HIGHLIGHTED_BYTES;
  private readonly deadline = performance.now() + HIGHLIGHT_TIME_BUDGET_MS;

  render(text: string, language: string | undefined) {
    // JSX escapes a plain string; highlight.js escapes what it emits.
    if (language === undefined || text.length > MAX_HIGHLIGHTED_LINE || text.length > this.bytes) return text;
    if (performance.now() > this.deadline) return text;
    this.bytes -= text.length;
    return raw(hljs.highlight(text, { language, ignoreIllegals: true }).value);
  }
}

const SIGN = { add: '+', del: '-', ctx: ' ', hunk: '' } as const;
const LABEL = { add: 'added', del: 'removed', ctx: '', hunk: '' } as const;

export function Diff(props: { patch: string }) {
  const files = parseUnifiedDiff(props.patch);
  const budget = new HighlightBudget();
  if (files.length === 0) return <pre class="curl">{props.patch}</pre>;
  return (
    <div id="diff">
      {files.map((file) => {
        const language = BY_EXTENSION[file.path.split('.').pop()?.toLowerCase() ?? ''];
        return (
          <section class="diff-file" aria-label={`Changes to ${file.path}`}>
            <h3>{file.path}</h3>
            <div class="diff-scroll">
              <table class="diff">
                <tbody>
                  {file.rows.map((row) => (
                    <tr class={row.kind}>
                      {row.kind === 'hunk' ? (
                        <td colspan={3}>{row.text}</td>
                      ) : (
                        <>
                          <td class="num">{row.old ?? ''}</td>
                          <td class="num">{row.new ?? ''}</td>
                          <td>
                            {LABEL[row.kind] !== '' && <span class="sr-only">{`${LABEL[row.kind]}: `}</span>}
                            <span aria-hidden="true">{SIGN[row.kind]}</span>
                            {budget.render(row.text, language)}
                          </td>
                        </>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </div>
  );
}

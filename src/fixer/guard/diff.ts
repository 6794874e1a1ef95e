// A unified diff (`git diff --binary`) as the guard reads it: per file, the lines it adds and the
// lines it deletes, and enough of its hunks to rebuild a file's new text from its old one. Pure.

export interface FileDiff {
  /** The path after the change (the old path for a deletion). */
  path: string;
  /** The path before the change (differs from `path` for a rename). */
  oldPath: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
  added: string[];
  deleted: string[];
  binary: boolean;
  hunks: Hunk[];
}

export interface Hunk {
  /** 1-based first line of the hunk in the old file (0 for an empty old side). */
  oldStart: number;
  /** The hunk's lines with their ' ', '-' or '+' prefix. */
  lines: string[];
}

/** `a/x` or `"a/x\\tq"` (git quotes paths with special characters) without its prefix. */
function unquote(raw: string, prefix: string): string {
  let p = raw.trim();
  if (p.startsWith('"') && p.endsWith('"')) {
    p = p
      .slice(1, -1)
      .replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)))
      .replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
  }
  return p.startsWith(prefix) ? p.slice(prefix.length) : p;
}

export function parseUnifiedDiff(patch: string): FileDiff[] {
  const files: FileDiff[] = [];
  let file: FileDiff | null = null;
  let hunk: Hunk | null = null;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git (\S+|"[^"]*") (\S+|"[^"]*")$/.exec(line);
      const oldPath = m ? unquote(m[1] as string, 'a/') : '';
      const path = m ? unquote(m[2] as string, 'b/') : '';
      file = { path, oldPath, status: 'modified', added: [], deleted: [], binary: false, hunks: [] };
      files.push(file);
      hunk = null;
      continue;
    }
    if (file === null) continue;
    if (hunk === null) {
      if (line.startsWith('new file mode')) file.status = 'added';
      else if (line.startsWith('deleted file mode')) file.status = 'deleted';
      else if (line.startsWith('rename from ')) {
        file.status = 'renamed';
        file.oldPath = unquote(line.slice('rename from '.length), '');
      } else if (line.startsWith('rename to ')) file.path = unquote(line.slice('rename to '.length), '');
      else if (line.startsWith('--- ') && line !== '--- /dev/null') file.oldPath = unquote(line.slice(4), 'a/');
      else if (line.startsWith('+++ ') && line !== '+++ /dev/null') file.path = unquote(line.slice(4), 'b/');
      else if (line.startsWith('GIT binary patch') || line.startsWith('Binary files ')) file.binary = true;
    }
    const header = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
    if (header) {
      hunk = { oldStart: Number(header[1]), lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (hunk === null) continue;
    if (line.startsWith('+')) {
      file.added.push(line.slice(1));
      hunk.lines.push(line);
    } else if (line.startsWith('-')) {
      file.deleted.push(line.slice(1));
      hunk.lines.push(line);
    } else if (line.startsWith(' ')) hunk.lines.push(line);
  }
  for (const f of files) if (f.status === 'deleted') f.path = f.oldPath;
  return files;
}

/**
 * The file's text after the diff, from its text before (null for a new file); null when the
 * hunks do not fit the old text (then the caller judges by the changed lines alone).
 */
export function applyFileDiff(before: string | null, diff: FileDiff): string | null {
  if (diff.status === 'deleted') return '';
  const old = before === null || before === '' ? [] : before.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const hunk of diff.hunks) {
    const start = Math.max(0, hunk.oldStart - 1);
    if (start < at || start > old.length) return null;
    out.push(...old.slice(at, start));
    at = start;
    for (const line of hunk.lines) {
      const text = line.slice(1);
      if (line[0] === '+') out.push(text);
      else {
        if (old[at] !== text) return null;
        if (line[0] === ' ') out.push(text);
        at++;
      }
    }
  }
  out.push(...old.slice(at));
  return out.join('\n');
}

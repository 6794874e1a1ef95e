// The agent's view of the checkout, entirely through the Sandbox interface: path resolution in the
// sandbox (symlinks resolved there with realpath), and snapshots of the whole tree as git tree
// objects built in a private index, so every change the model makes, by an edit or by a command,
// can be listed, measured and undone without touching HEAD, the real index or the patch.
import { InfrastructureError } from '../../errors.js';
import type { Sandbox } from '../../sandbox/types.js';
import { shellQuote } from '../../shared/shell.js';
import { SCRATCH_DIR } from '../worktree.js';

/** Plumbing commands are quick; this bounds one that hangs (a huge repository, a stuck disk). */
const PLUMBING_TIMEOUT_MS = 60_000;
const SCRATCH = `${SCRATCH_DIR}/agent`;

export interface TreeChange {
  path: string;
  /** 'A' added, 'D' deleted, 'M' modified, 'T' type changed. */
  status: string;
  newMode: string;
  newBlob: string;
}

export interface Captured {
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export class Workspace {
  private repoReal = '';
  private indexSeeded = false;

  constructor(
    private readonly sandbox: Sandbox,
    readonly repoDir: string,
    private readonly signal: AbortSignal,
  ) {}

  async init(): Promise<void> {
    await this.sandbox.writeFile(`${SCRATCH}/.keep`, '');
    const pwd = await this.must('pwd -P');
    this.repoReal = pwd.stdout.trim();
  }

  /** Runs a plumbing command in the checkout; stdout is bounded by the caller's choice of command. */
  async capture(command: string, timeoutMs = PLUMBING_TIMEOUT_MS, maxChars = 200_000): Promise<Captured> {
    const out: string[] = [];
    const err: string[] = [];
    let size = 0;
    const result = await this.sandbox.exec(command, {
      cwd: this.repoDir,
      timeoutMs,
      signal: this.signal,
      onOutput: (stream, line) => {
        size += line.length + 1;
        if (size <= maxChars) (stream === 'stdout' ? out : err).push(line);
      },
    });
    return { exitCode: result.exitCode, timedOut: result.timedOut, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  private async must(command: string): Promise<Captured> {
    const result = await this.capture(command);
    if (result.exitCode !== 0) {
      throw new InfrastructureError('agent_workspace_failed', `command failed in the checkout: ${command}`, {
        cause: new Error(result.stderr.slice(-2000)),
      });
    }
    return result;
  }

  /**
   * Where a repository-relative path really leads, symlinks resolved inside the sandbox; null when
   * that is outside the checkout. The path need not exist (a new file).
   */
  async resolve(relative: string): Promise<string | null> {
    const result = await this.capture(`realpath -m -- ${shellQuote(relative)}`);
    const real = result.stdout.trim();
    if (result.exitCode !== 0 || real === '') return null;
    if (real === this.repoReal) return '';
    return real.startsWith(`${this.repoReal}/`) ? real.slice(this.repoReal.length + 1) : null;
  }

  async isSymlink(relative: string): Promise<boolean> {
    return (await this.capture(`test -L ${shellQuote(relative)}`)).exitCode === 0;
  }

  /** The whole tree as it is now (tracked and untracked, minus ignored files), as a git tree id. */
  async snapshot(): Promise<string> {
    const index = `${this.sandbox.workdir}/${SCRATCH}/index`;
    const env = `GIT_INDEX_FILE=${shellQuote(index)}`;
    // The private index starts as a copy of the real one and is kept between snapshots, so only
    // files changed since the last one are hashed. -p keeps the copy's mtime, which git needs to
    // recognise files changed in the same second as "racy" and compare their content.
    const seed = this.indexSeeded
      ? ''
      : `cp -p -- "$(git rev-parse --git-path index)" ${shellQuote(index)} 2>/dev/null; `;
    const result = await this.must(`${seed}${env} git add --all >/dev/null && ${env} git write-tree`);
    this.indexSeeded = true;
    const tree = result.stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(tree))
      throw new InfrastructureError(
        'agent_workspace_failed',
        `git write-tree printed ${JSON.stringify(tree.slice(0, 100))}`,
      );
    return tree;
  }

  async changes(from: string, to: string): Promise<TreeChange[]> {
    if (from === to) return [];
    await this.must(`git diff-tree -r -z --no-renames --raw ${from} ${to} > ../${SCRATCH}/changes`);
    const fields = (await this.sandbox.readFile(`${SCRATCH}/changes`)).toString('utf8').split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [, newMode = '', , newBlob = '', status = ''] = (fields[i] as string).slice(1).split(' ');
      changes.push({ path: fields[i + 1] as string, status: status.charAt(0), newMode, newBlob });
    }
    return changes;
  }

  async patchBytes(from: string, to: string): Promise<number> {
    if (from === to) return 0;
    const result = await this.must(`git diff --binary --no-color --no-ext-diff ${from} ${to} | wc -c`);
    return Number.parseInt(result.stdout.trim(), 10) || 0;
  }

  async blob(id: string, maxChars = 4096): Promise<string> {
    return (await this.capture(`git cat-file blob ${id}`, PLUMBING_TIMEOUT_MS, maxChars)).stdout;
  }

  /** Puts `paths` back as they are in `tree`; `added` ones (absent from it) are removed. */
  async restore(tree: string, changes: TreeChange[]): Promise<void> {
    const removed = changes.filter((c) => c.status === 'A').map((c) => c.path);
    const restored = changes.filter((c) => c.status !== 'A').map((c) => c.path);
    if (restored.length > 0) {
      await this.sandbox.writeFile(`${SCRATCH}/restore`, restored.join('\0'));
      await this.must(
        `GIT_LITERAL_PATHSPECS=1 git restore --source=${tree} --worktree --pathspec-from-file=../${SCRATCH}/restore --pathspec-file-nul`,
      );
    }
    if (removed.length > 0) {
      await this.sandbox.writeFile(`${SCRATCH}/remove`, removed.join('\0'));
      await this.must(`xargs -0 rm -f -- < ../${SCRATCH}/remove`);
    }
  }

  async readFile(relative: string): Promise<Buffer> {
    return this.sandbox.readFile(`${this.repoDir}/${relative}`);
  }

  async writeFile(relative: string, text: string): Promise<void> {
    await this.sandbox.writeFile(`${this.repoDir}/${relative}`, text);
  }

  /** git grep over tracked and untracked files; exit 1 means no match. Output bounded. */
  async grep(pattern: string, scope: string, fixed: boolean): Promise<Captured> {
    const mode = fixed ? '-F' : '-E';
    return this.capture(
      `git grep -n -I --untracked --no-color ${mode} -e ${shellQuote(pattern)} -- ${shellQuote(scope)}`,
      30_000,
      60_000,
    );
  }

  /** Tracked and untracked (not ignored) files, at most `limit`. */
  async listFiles(limit: number): Promise<{ files: string[]; more: boolean }> {
    await this.must(`git ls-files -z --cached --others --exclude-standard --deduplicate > ../${SCRATCH}/files`);
    const all = (await this.sandbox.readFile(`${SCRATCH}/files`))
      .toString('utf8')
      .split('\0')
      .filter((f) => f !== '');
    return { files: all.slice(0, limit), more: all.length > limit };
  }
}

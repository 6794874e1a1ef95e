// Runs of the task's command, whole or from its failing step on, each read back as a Failure with
// its diagnosis (or null when it passed). The sandbox records the running step in a marker file.
import type { Sandbox } from '../../sandbox/types.js';
import { diagnose } from '../diagnosis/index.js';
import { REPO_DIR } from '../git.js';
import type { CommandRunner, RunResult } from '../runner.js';
import { fromStep, instrumented, SHELL_OPTIONS, stepKind } from '../steps/plan.js';
import { splitSteps, type Step } from '../steps/split.js';
import type { Failure } from '../types.js';
import { inWorkdir, SCRATCH_DIR } from '../worktree.js';

const MARKER = `${SCRATCH_DIR}/step`;

export interface CommandRunsOptions {
  runner: CommandRunner;
  sandbox: Sandbox;
  command: string;
  /** Repository files, to check the paths a diagnosis names. */
  files: ReadonlySet<string>;
  /** package.json scripts, to see through `npm run X`. */
  scripts?: Readonly<Record<string, string>>;
}

export interface Recheck {
  failure: Failure | null;
  /** The re-run covered every step, so it is also the whole command's result. */
  whole: boolean;
}

export class CommandRuns {
  readonly steps: Step[];
  private readonly markerPath: string;
  private readonly dirs = new Map<number, Promise<string>>();

  constructor(private readonly options: CommandRunsOptions) {
    this.steps = splitSteps(options.command);
    this.markerPath = inWorkdir(options.sandbox, MARKER);
  }

  /** The whole original command. */
  async whole(): Promise<Failure | null> {
    return this.run(this.wholeScript(), this.options.command);
  }

  /** The whole command as the model agent's verify() sees it. */
  async wholeResult(): Promise<RunResult> {
    return this.exec(this.wholeScript(), this.options.command);
  }

  /**
   * Chained steps run instrumented; a single step exactly as written, under the CI shell options
   * when it spans lines (an `if ... fi` block), so a failing line inside it fails it as in CI.
   */
  private wholeScript(): string {
    const { command } = this.options;
    if (this.steps.length > 1) return instrumented(this.steps, this.markerPath);
    return command.trim().includes('\n') ? SHELL_OPTIONS + command : command;
  }

  /**
   * From the failure's step on, after the earlier steps that set up shell state, and installs when
   * `manifestsChanged` says their inputs changed; the whole command when the step is unknown.
   */
  async from(failure: Failure, manifestsChanged: () => Promise<boolean>): Promise<Recheck> {
    const index = failure.diagnosis.step?.index;
    if (index === undefined || index === 0 || this.steps.length === 1)
      return { failure: await this.whole(), whole: true };
    const earlierInstall = await manifestsChanged();
    const partial = fromStep(this.steps, index, this.markerPath, earlierInstall);
    if (partial.whole) return { failure: await this.whole(), whole: true };
    // What the log and the command record show: the steps this run covers.
    const label = this.steps
      .filter((step) => !partial.skipped.includes(step.index))
      .map((step) => step.command)
      .join(' && ');
    return { failure: await this.run(partial.script, label), whole: false };
  }

  private async exec(script: string, label: string): Promise<RunResult> {
    if (this.steps.length > 1) await this.options.sandbox.writeFile(MARKER, '');
    return this.options.runner.run(script, { cwd: REPO_DIR, ...(script === label ? {} : { label }) });
  }

  private async run(script: string, label: string): Promise<Failure | null> {
    const result = await this.exec(script, label);
    if (result.exitCode === 0) return null;
    return this.failureOf(result);
  }

  async failureOf(result: RunResult): Promise<Failure> {
    const step = this.steps.length === 1 ? this.steps[0] : await this.markedStep();
    const { command, files, scripts, sandbox } = this.options;
    const cwd = step ? await this.stepDir(step.index) : '';
    const diagnosis = diagnose({
      command,
      exitCode: result.exitCode,
      output: result.output,
      step: step ? { index: step.index, command: step.command } : null,
      files,
      repoRoot: inWorkdir(sandbox, REPO_DIR),
      ...(cwd !== '' ? { cwd } : {}),
      ...(scripts ? { scripts } : {}),
    });
    return {
      command: step?.command ?? command,
      exitCode: result.exitCode,
      output: result.output,
      diagnosis,
      ...(cwd !== '' ? { cwd } : {}),
    };
  }

  /**
   * The folder (relative to the repository, "" or ending in "/") step `index` runs in, after the
   * earlier steps that change shell state (`cd packages/web && npx prettier --check .`): its tool
   * printed paths relative to it, and its fix must run there too. Asked of the shell itself, so
   * `cd "$DIR"` and `pushd` count; the repository root when that fails or leaves the repository.
   */
  stepDir(index: number): Promise<string> {
    let dir = this.dirs.get(index);
    if (dir === undefined) {
      dir = this.askStepDir(index);
      this.dirs.set(index, dir);
    }
    return dir;
  }

  private async askStepDir(index: number): Promise<string> {
    const state = this.steps.slice(0, index).filter((step) => stepKind(step.command) === 'state');
    if (!state.some((step) => /(?:^|[\s;&|({])(?:cd|pushd|popd)(?:\s|$)/.test(step.command))) return '';
    const script = `${state.map((step) => `{ ${step.command}\n} >/dev/null 2>&1 && `).join('')}git rev-parse --show-prefix`;
    const result = await this.options.runner.run(script, {
      cwd: REPO_DIR,
      label: "git rev-parse --show-prefix (the failing step's folder)",
    });
    const prefix = result.output.trim().split('\n').pop() ?? '';
    return result.exitCode === 0 && /^(?:[^\n\0]*\/)?$/.test(prefix) && !prefix.split('/').includes('..') ? prefix : '';
  }

  private async markedStep(): Promise<Step | undefined> {
    const text = (await this.options.sandbox.readFile(MARKER).catch(() => Buffer.from(''))).toString('utf8').trim();
    return /^\d+$/.test(text) ? this.steps[Number(text)] : undefined;
  }
}

// The reproduce command of a GitHub task, from the repository at the failing sha: .ci-fixer.yml,
// else the failed job's `run:` steps, else a per-ecosystem default. Runs in the worker before the
// sandbox starts, so the webhook answer never waits for it.
import { TaskError } from '../errors.js';
import type { CommandSource, GitHubOrigin, QueuedTaskSpec, TaskSpec } from '../task.js';
import {
  CI_FIXER_FILE,
  defaultCommand,
  DEFAULT_COMMAND_FILES,
  isWorkflowFile,
  jobCommandFromWorkflow,
  parseCiFixerFile,
} from '../fixer/repo-config.js';

/** What resolution needs of a repository: the worker's WorkerRepo, or anything alike in tests. */
export interface RepoFiles {
  list(sha: string, dir?: string): Promise<string[]>;
  readFile(sha: string, file: string): Promise<string | undefined>;
}

const WORKFLOWS_DIR = '.github/workflows';
/** Workflow files read when the failing one is unknown (check runs); more are not searched. */
const MAX_WORKFLOW_FILES = 50;

export async function resolveTaskSpec(
  files: RepoFiles,
  spec: QueuedTaskSpec,
  origin: GitHubOrigin,
  log: (text: string) => void,
): Promise<TaskSpec> {
  const sha = origin.headSha;
  const text = await files.readFile(sha, CI_FIXER_FILE);
  const settings = text === undefined ? {} : parseCiFixerFile(text);
  if (text !== undefined) log(`read ${CI_FIXER_FILE}`);

  let command: string | undefined = spec.command;
  let source: CommandSource = 'request';
  if (command === undefined && settings.command !== undefined) {
    command = settings.command;
    source = 'ci-fixer.yml';
  }
  if (command === undefined) {
    const fromWorkflow = await commandFromWorkflows(files, origin);
    if (fromWorkflow !== undefined) {
      command = fromWorkflow.command;
      source = 'workflow';
      log(`command from job "${fromWorkflow.job}" in ${fromWorkflow.file}`);
      if (fromWorkflow.skippedSteps > 0)
        log(`${fromWorkflow.skippedSteps} run step(s) with \${{ }} expressions left out`);
    }
  }
  if (command === undefined) {
    command = defaultCommand(await files.list(sha));
    source = 'default';
  }
  if (command === undefined) {
    throw new TaskError(
      'command_unresolved',
      `no reproduce command: no ${CI_FIXER_FILE} command, no run: steps for the failed job, and none of ${DEFAULT_COMMAND_FILES.join(', ')} at the repository root`,
    );
  }
  log(`reproduce command (from ${source}): ${command}`);
  return {
    ...spec,
    command,
    commandSource: source,
    ...(settings.fixers === undefined ? {} : { fixers: settings.fixers }),
    ...(settings.timeoutSeconds === undefined ? {} : { timeoutSeconds: settings.timeoutSeconds }),
    ...(settings.setup === undefined ? {} : { setup: settings.setup }),
  };
}

async function commandFromWorkflows(files: RepoFiles, origin: GitHubOrigin) {
  const known = origin.workflow?.path;
  const candidates =
    known !== null && known !== undefined && isWorkflowFile(known)
      ? [known]
      : (await files.list(origin.headSha, WORKFLOWS_DIR))
          .map((name) => `${WORKFLOWS_DIR}/${name}`)
          .filter(isWorkflowFile)
          .slice(0, MAX_WORKFLOW_FILES);
  // Without a job name only a workflow's single job is certain; with several files, nothing is.
  if (origin.failedJob === null && candidates.length !== 1) return undefined;
  for (const file of candidates) {
    const text = await files.readFile(origin.headSha, file);
    if (text === undefined) continue;
    const found = jobCommandFromWorkflow(text, origin.failedJob, file);
    if (found !== undefined) return { ...found, file };
  }
  return undefined;
}

export interface ForkLimits {
  /** FORK_TIMEOUT_SECONDS: the most sandbox time a fork's failure gets. */
  timeoutSeconds: number;
  /** FORK_ALLOW_SETUP: whether a fork's .ci-fixer.yml setup steps run. */
  allowSetup: boolean;
}

/**
 * A fork's author writes its .ci-fixer.yml and workflow files, so a fork's failure runs within
 * server-set bounds: its timeout is capped and its setup steps are dropped unless allowed.
 */
export function applyForkLimits(
  spec: TaskSpec,
  origin: GitHubOrigin,
  limits: ForkLimits,
  log: (text: string) => void,
): TaskSpec {
  if (
    origin.headRepository === null ||
    origin.headRepository.toLowerCase() === origin.repository.fullName.toLowerCase()
  )
    return spec;
  const capped: TaskSpec = {
    ...spec,
    timeoutSeconds: Math.min(spec.timeoutSeconds ?? limits.timeoutSeconds, limits.timeoutSeconds),
  };
  if (spec.timeoutSeconds !== undefined && spec.timeoutSeconds > limits.timeoutSeconds) {
    log(`fork ${origin.headRepository}: timeout capped at FORK_TIMEOUT_SECONDS (${limits.timeoutSeconds} s)`);
  }
  if (spec.setup !== undefined && !limits.allowSetup) {
    delete capped.setup;
    log(`fork ${origin.headRepository}: ${CI_FIXER_FILE} setup steps ignored (FORK_ALLOW_SETUP=false)`);
  }
  return capped;
}

// Every name ci-fixer stamps on its sandbox objects. The informer's selector, the reaper's list
// and the Job builder all read these, so a typo cannot make one of them miss the others' Jobs.
import { createHash } from 'node:crypto';

export const LABEL_APP = 'app';
export const APP_VALUE = 'ci-fixer-sandbox';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'ci-fixer';
/** The task id as a label value (sanitised when needed); selects one task's Job. */
export const LABEL_TASK_ID = 'ci-fixer.dev/task-id';
/** The exact task id, which may not fit a label value; the reaper reads this one. */
export const ANNOTATION_TASK_ID = 'ci-fixer.dev/task-id';
/**
 * Which install made the object (SANDBOX_INSTANCE): installs sharing a sandbox namespace each
 * reap, watch and replace only their own Jobs and pods.
 */
export const LABEL_INSTANCE = 'ci-fixer.dev/instance';

export const SANDBOX_SERVICE_ACCOUNT = 'ci-fixer-sandbox';
export const SANDBOX_CONTAINER = 'sandbox';

/** Selects every sandbox object ci-fixer manages, across all workers and installs. */
export const SANDBOX_SELECTOR = `${LABEL_APP}=${APP_VALUE},${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

/** Selects the sandbox objects of one install (its SANDBOX_INSTANCE), across all its workers. */
export function instanceSelector(instance: string): string {
  return `${SANDBOX_SELECTOR},${LABEL_INSTANCE}=${instance}`;
}

const JOB_PREFIX = 'ci-fixer-sandbox-';
// Pod names are the Job name plus "-xxxxx"; keeping Job names at 57 characters or fewer means
// the job controller never has to truncate, and `job-name` labels (63 max) always fit.
const MAX_JOB_NAME = 57;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;

function digest(value: string, chars: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, chars);
}

/**
 * The Job name of a task: a pure function of the id, so a retried task finds (and replaces) the
 * Job of its previous attempt instead of starting a second one.
 */
export function jobNameForTask(taskId: string): string {
  const plain = taskId.toLowerCase();
  if (
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(plain) &&
    plain === taskId &&
    JOB_PREFIX.length + plain.length <= MAX_JOB_NAME
  ) {
    return JOB_PREFIX + plain;
  }
  // Anything else (upper case, other characters, too long) keeps a readable stem and a hash of
  // the exact id, so two ids that sanitise alike still get different names.
  const stem = plain
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_JOB_NAME - JOB_PREFIX.length - 13);
  return `${JOB_PREFIX}${stem ? `${stem}-` : ''}${digest(taskId, 12)}`;
}

/**
 * The Job name of a task's proof sandbox (a second Job beside the work one): the work Job's name
 * and `-p`, so tools that read a task id from a Job name still find it. Task ids are UUIDs, which
 * never end in `-p`, so no task's work Job takes another's proof name.
 */
export function proofJobNameForTask(taskId: string): string {
  const work = jobNameForTask(taskId);
  if (work.length + 2 <= MAX_JOB_NAME) return `${work}-p`;
  return `${work.slice(0, MAX_JOB_NAME - 15)}-${digest(`${taskId}\0proof`, 12)}-p`;
}

/** A label value that identifies the task; the id itself when it is a valid label value. */
export function taskIdLabelValue(taskId: string): string {
  if (LABEL_VALUE.test(taskId)) return taskId;
  const stem = taskId
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 40);
  return `${stem ? `${stem}-` : ''}${digest(taskId, 16)}`;
}

export function sandboxLabels(taskId: string, instance: string): Record<string, string> {
  return {
    [LABEL_APP]: APP_VALUE,
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_INSTANCE]: instance,
    [LABEL_TASK_ID]: taskIdLabelValue(taskId),
  };
}

// Listing and counting tasks through the creation-time index. Records are read in pipelined
// batches of summary fields only (never the patch or the log), and every read is bounded: a list
// request scans at most MAX_SCAN index entries, a stats request at most MAX_STATS_TASKS.
import type { Redis } from 'ioredis';
import { ValidationError } from '../errors.js';
import { decodeCursor, encodeCursor, type IndexCursor, type IndexEntry, type TaskIndex } from '../result/task-index.js';
import {
  OUTCOMES,
  TASK_STATES,
  type FixerName,
  type FixResult,
  type Outcome,
  type QueuedTaskSpec,
  type TaskErrorInfo,
  type TaskPhase,
  type TaskState,
} from '../task.js';
import type { FixerStats, QueueCounts, TaskListPage, TaskListQuery, TaskStats, TaskSummary } from './types.js';

/** Index entries one list request may look at while filtering; the page may come back short. */
export const MAX_SCAN = 2000;
export const MAX_STATS_TASKS = 10_000;
const RECENT_FAILURES = 10;
const READ_BATCH = 200;

const FIELDS = [
  'id',
  'state',
  'phase',
  'attempts',
  'createdAt',
  'startedAt',
  'finishedAt',
  'spec',
  'outcome',
  'fixer',
  'error',
  'submittedBy',
] as const;

export interface TaskListDeps {
  redis: Redis;
  index: TaskIndex;
  recordKey: (id: string) => string;
  counts: () => Promise<QueueCounts>;
}

export function createTaskLister(deps: TaskListDeps) {
  async function summaries(ids: readonly string[]): Promise<Array<TaskSummary | null>> {
    const out: Array<TaskSummary | null> = [];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const pipeline = deps.redis.pipeline();
      for (const id of ids.slice(i, i + READ_BATCH)) pipeline.hmget(deps.recordKey(id), ...FIELDS);
      const replies = (await pipeline.exec()) ?? [];
      for (const [err, values] of replies) {
        if (err) throw err;
        out.push(toSummary(values as Array<string | null>));
      }
    }
    // Records written before summary fields existed carry the outcome only inside `result`.
    await Promise.all(
      out.map(async (task) => {
        if (task === null || task.outcome !== null || task.state !== 'succeeded') return;
        const result = await deps.redis.hget(deps.recordKey(task.id), 'result');
        if (result === null) return;
        const parsed = JSON.parse(result) as FixResult;
        task.outcome = parsed.outcome;
        task.fixer = parsed.fixer;
      }),
    );
    return out;
  }

  async function list(query: TaskListQuery): Promise<TaskListPage> {
    let cursor: IndexCursor | undefined;
    if (query.cursor !== undefined) {
      cursor = decodeCursor(query.cursor);
      if (cursor === undefined) throw invalidCursor();
    }
    const tasks: TaskSummary[] = [];
    let scanned = 0;
    let exhausted = false;
    while (tasks.length < query.limit && scanned < MAX_SCAN && !exhausted) {
      const want = Math.min(Math.max(query.limit - tasks.length, 20), READ_BATCH, MAX_SCAN - scanned);
      const entries = await deps.index.page(cursor, want);
      const records = await summaries(entries.map((e) => e.id));
      let consumed = 0;
      for (const [i, entry] of entries.entries()) {
        if (query.sinceMs !== undefined && entry.score < query.sinceMs) {
          exhausted = true;
          break;
        }
        scanned += 1;
        consumed += 1;
        cursor = entry;
        const task = records[i];
        if (task && matches(task, query)) tasks.push(task);
        if (tasks.length >= query.limit) break;
      }
      // The index ended inside this read, and every entry of it was looked at.
      if (entries.length < want && consumed === entries.length) exhausted = true;
    }
    const more = !exhausted && cursor !== undefined;
    return { tasks, nextCursor: more ? encodeCursor(cursor as IndexCursor) : null };
  }

  async function stats(windowSeconds: number, visible?: (task: TaskSummary) => boolean): Promise<TaskStats> {
    const to = Date.now();
    const from = to - windowSeconds * 1000;
    const [entries, queue] = await Promise.all([deps.index.since(from, MAX_STATS_TASKS + 1), deps.counts()]);
    const counted: IndexEntry[] = entries.slice(0, MAX_STATS_TASKS);
    const tasks = (await summaries(counted.map((e) => e.id))).filter(
      (t): t is TaskSummary => t !== null && (visible?.(t) ?? true),
    );
    const states = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
    const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const fixers = new Map<FixerName | null, FixerStats>();
    for (const task of tasks) {
      states[task.state] += 1;
      if (task.outcome === null) continue;
      outcomes[task.outcome] += 1;
      if (task.outcome === 'not_reproduced') continue;
      const row = fixers.get(task.fixer) ?? { fixer: task.fixer, total: 0, fixed: 0 };
      row.total += 1;
      if (task.outcome === 'fixed') row.fixed += 1;
      fixers.set(task.fixer, row);
    }
    return {
      windowSeconds,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      total: tasks.length,
      truncated: entries.length > MAX_STATS_TASKS,
      states,
      outcomes,
      fixers: [...fixers.values()].sort((a, b) => b.total - a.total),
      queue,
      activeSandboxes: queue.active,
      recentFailures: tasks.filter(isFailure).slice(0, RECENT_FAILURES),
    };
  }

  return { list, stats };
}

function invalidCursor(): ValidationError {
  const issues = [{ field: 'cursor', message: 'must be a nextCursor returned by this API' }];
  return new ValidationError('invalid query: cursor: must be a nextCursor returned by this API', {
    details: { in: 'query', issues },
  });
}

function isFailure(task: TaskSummary): boolean {
  return task.state === 'failed' || task.outcome === 'not_fixed' || task.outcome === 'error';
}

function matches(task: TaskSummary, query: TaskListQuery): boolean {
  if (query.state !== undefined && task.state !== query.state) return false;
  if (query.source !== undefined && task.source !== query.source) return false;
  if (query.repo !== undefined && !task.repo.url.toLowerCase().includes(query.repo.toLowerCase())) return false;
  return query.visible?.(task) ?? true;
}

function toSummary(values: Array<string | null>): TaskSummary | null {
  const [id, state, phase, attempts, createdAt, startedAt, finishedAt, spec, outcome, fixer, error, submittedBy] =
    values;
  if (id === null || id === undefined || state == null || spec == null) return null;
  const parsed = JSON.parse(spec) as QueuedTaskSpec;
  return {
    id,
    state: state as TaskState,
    phase: (phase as TaskPhase | null) ?? null,
    attempts: Number(attempts ?? 0),
    createdAt: createdAt ?? '',
    startedAt: startedAt ?? null,
    finishedAt: finishedAt ?? null,
    repo: { url: parsed.repo.url, ref: parsed.repo.ref },
    command: parsed.command ?? null,
    source: parsed.github === undefined ? 'api' : 'github',
    outcome: (outcome as Outcome | null) ?? null,
    fixer: fixer === null || fixer === undefined || fixer === '' ? null : (fixer as FixerName),
    error: error == null ? null : (JSON.parse(error) as TaskErrorInfo),
    submittedBy: submittedBy ?? null,
  };
}

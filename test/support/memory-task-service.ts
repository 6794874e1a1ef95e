// An in-memory TaskService for API unit tests: our own interface, so tests drive task state and
// logs directly. Behaves like the Redis one where the API can tell: cursors count lines,
// `done` needs a final state and every line read, cancel of a final task is a conflict.
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import type {
  LogPage,
  QueueCounts,
  SubmitOptions,
  TaskListPage,
  TaskListQuery,
  TaskService,
  TaskStats,
  TaskSummary,
} from '../../src/queue/types.js';
import { decodeCursor, encodeCursor } from '../../src/result/task-index.js';
import { isFinal, type LogLine, type TaskRecord, type TaskSpec } from '../../src/task.js';

interface Entry {
  record: TaskRecord;
  logs: LogLine[];
}

export class MemoryTaskService implements TaskService {
  readonly submitted: TaskSpec[] = [];
  /** When set, ping() rejects with it; `'hang'` makes ping() never settle. */
  pingFailure: Error | 'hang' | null = null;
  countsFailure: Error | 'hang' | null = null;
  queueCounts: QueueCounts = { waiting: 0, prioritized: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
  /** Every call of any method throws this, to exercise the API's handling of unexpected errors. */
  brokenWith: Error | null = null;
  /** Runs at the start of every readLogs(), to stage races between a state read and a log read. */
  beforeReadLogs: ((id: string) => void) | null = null;
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<() => void>>();

  async submit(spec: TaskSpec, options: SubmitOptions = {}): Promise<TaskRecord> {
    this.check();
    this.submitted.push(spec);
    return this.seed({
      spec,
      submittedBy: options.submittedBy ?? null,
      ...(options.cloneWithGitToken === true ? { cloneWithGitToken: true } : {}),
    });
  }

  async get(id: string): Promise<TaskRecord | null> {
    this.check();
    const entry = this.entries.get(id);
    return entry === undefined ? null : structuredClone(entry.record);
  }

  async readLogs(id: string, cursor: number, limit: number): Promise<LogPage> {
    this.check();
    this.beforeReadLogs?.(id);
    const entry = this.require(id);
    const lines = entry.logs.slice(cursor, cursor + limit);
    const nextCursor = cursor + lines.length;
    return {
      lines: structuredClone(lines),
      nextCursor,
      done: isFinal(entry.record.state) && nextCursor >= entry.logs.length,
    };
  }

  async cancel(id: string): Promise<TaskRecord> {
    this.check();
    const entry = this.require(id);
    if (isFinal(entry.record.state)) throw new ConflictError(`task is already ${entry.record.state}`);
    // A queued task is removed at once; a running one is only asked to stop, like on a remote worker.
    if (entry.record.state === 'queued') this.update(id, { state: 'cancelled', finishedAt: new Date().toISOString() });
    return structuredClone(entry.record);
  }

  async watch(id: string, onChange: () => void): Promise<() => Promise<void>> {
    this.check();
    let set = this.watchers.get(id);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(id, set);
    }
    const listener = (): void => onChange();
    set.add(listener);
    return async () => {
      set.delete(listener);
    };
  }

  async counts(): Promise<QueueCounts> {
    return this.settle(this.countsFailure, () => ({ ...this.queueCounts }));
  }

  /** Newest first by (createdAt, id), like the Redis index; cursors are the index's own. */
  async list(query: TaskListQuery): Promise<TaskListPage> {
    this.check();
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined)
      throw new ValidationError('invalid query: cursor: must be a nextCursor returned by this API');
    const all = this.summaries().filter((t) => {
      const score = Date.parse(t.createdAt);
      if (query.sinceMs !== undefined && score < query.sinceMs) return false;
      return after === undefined || score < after.score || (score === after.score && t.id < after.id);
    });
    const matching = all.filter(
      (t) =>
        (query.state === undefined || t.state === query.state) &&
        (query.source === undefined || t.source === query.source) &&
        (query.repo === undefined || t.repo.url.toLowerCase().includes(query.repo.toLowerCase())) &&
        (query.visible?.(t) ?? true),
    );
    const tasks = matching.slice(0, query.limit);
    const last = tasks.at(-1);
    const more = last !== undefined && all.indexOf(last) < all.length - 1;
    return { tasks, nextCursor: more ? encodeCursor({ id: last.id, score: Date.parse(last.createdAt) }) : null };
  }

  async stats(windowSeconds: number): Promise<TaskStats> {
    this.check();
    const to = Date.now();
    const from = to - windowSeconds * 1000;
    const tasks = this.summaries().filter((t) => Date.parse(t.createdAt) >= from);
    const states = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    const outcomes = { fixed: 0, not_fixed: 0, not_reproduced: 0, error: 0 };
    for (const t of tasks) {
      states[t.state] += 1;
      if (t.outcome !== null) outcomes[t.outcome] += 1;
    }
    return {
      windowSeconds,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      total: tasks.length,
      truncated: false,
      states,
      outcomes,
      fixers: [],
      queue: { ...this.queueCounts },
      activeSandboxes: this.queueCounts.active,
      recentFailures: tasks.filter((t) => t.state === 'failed').slice(0, 10),
    };
  }

  private summaries(): TaskSummary[] {
    return [...this.entries.values()]
      .map(({ record: r }) => ({
        id: r.id,
        state: r.state,
        phase: r.phase,
        attempts: r.attempts,
        createdAt: r.createdAt,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        repo: r.spec.repo,
        command: r.spec.command ?? null,
        source: r.spec.github === undefined ? ('api' as const) : ('github' as const),
        outcome: r.result?.outcome ?? null,
        fixer: r.result?.fixer ?? null,
        error: r.error,
        submittedBy: r.submittedBy,
      }))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
  }

  async ping(): Promise<void> {
    return this.settle(this.pingFailure, () => undefined);
  }

  // ---- test controls ----

  /** Adds a task directly, in any state. */
  seed(patch: Partial<TaskRecord> = {}, logs: LogLine[] = []): TaskRecord {
    const record: TaskRecord = {
      id: randomUUID(),
      state: 'queued',
      phase: null,
      attempts: 0,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      spec: { repo: { url: 'https://example.test/repo.git', ref: 'main' }, command: 'npm test' },
      submittedBy: null,
      result: null,
      error: null,
      ...patch,
    };
    this.entries.set(record.id, { record, logs: [...logs] });
    return structuredClone(record);
  }

  update(id: string, patch: Partial<TaskRecord>, options: { notify?: boolean } = {}): void {
    const entry = this.require(id);
    entry.record = { ...entry.record, ...patch };
    if (options.notify !== false) this.notify(id);
  }

  appendLogs(id: string, lines: LogLine[], options: { notify?: boolean } = {}): void {
    this.require(id).logs.push(...lines);
    if (options.notify !== false) this.notify(id);
  }

  /** Forgets a task, as when its retention expires. */
  expire(id: string): void {
    this.entries.delete(id);
    this.notify(id);
  }

  watcherCount(id: string): number {
    return this.watchers.get(id)?.size ?? 0;
  }

  private notify(id: string): void {
    for (const listener of this.watchers.get(id) ?? []) listener();
  }

  private require(id: string): Entry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new NotFoundError('no such task');
    return entry;
  }

  private check(): void {
    if (this.brokenWith !== null) throw this.brokenWith;
  }

  private settle<T>(failure: Error | 'hang' | null, value: () => T): Promise<T> {
    if (failure === 'hang') return new Promise<T>(() => {});
    if (failure !== null) return Promise.reject(failure);
    return Promise.resolve(value());
  }
}

export function logLines(count: number, start = 0, stream: LogLine['stream'] = 'stdout'): LogLine[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: new Date(0).toISOString(),
    stream,
    text: `line ${start + i}`,
  }));
}

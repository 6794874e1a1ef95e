// Task records and task logs in Redis: what clients poll. BullMQ holds the work item; this holds
// the state a client sees, so it survives job removal and carries phase, cancel and logs.
//
// Keys (P = prefix): P:task:{id} hash (the record and log counters), P:task:{id}:log list of JSON
// lines, P:task:{id}:events pub/sub channel carrying "something changed" hints, P:tasks:by-created
// the list's index (task-index.ts).
import type { Redis } from 'ioredis';
import { TaskIndex } from './task-index.js';
import {
  isFinal,
  type FixResult,
  type LogLine,
  type QueuedTaskSpec,
  type TaskErrorInfo,
  type TaskPhase,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from '../task.js';

export interface TaskStoreOptions {
  redis: Redis;
  prefix: string;
  retentionSeconds: number;
  logMaxLines: number;
  logMaxBytes: number;
  /**
   * TTL of a record (and its log) that is not final yet, refreshed on each of its writes: a backstop
   * so a record whose worker vanished without a trace cannot stay in Redis forever.
   */
  unfinishedTtlSeconds?: number;
}

/** 30 days: far beyond any task's queue wait plus its 6 h budget. */
export const DEFAULT_UNFINISHED_TTL_SECONDS = 30 * 24 * 3600;

export interface TransitionPatch {
  state?: TaskState;
  phase?: TaskPhase | null;
  startedAt?: string;
  finishedAt?: string;
  result?: FixResult | null;
  error?: TaskErrorInfo | null;
  /** The spec as resolved by the worker (a GitHub task's command, read from its repository). */
  spec?: TaskSpec;
  incrementAttempts?: boolean;
  /** Makes this attempt the record's owner (set when an attempt starts running the task). */
  owner?: string;
}

export interface TransitionOutcome {
  applied: boolean;
  /** The state before the call (null when the record does not exist). */
  previous: TaskState | null;
  /** Why a write was not applied: the record is missing, in another state, or owned by a newer attempt. */
  refused: 'missing' | 'state' | 'fenced' | null;
}

export interface LogRead {
  exists: boolean;
  state: TaskState | null;
  total: number;
  lines: LogLine[];
}

export const TRUNCATION_MARKER =
  '[ci-fixer] log truncated: the per-task log limit was reached; later output is dropped';

// Appends lines while under both caps; the first line over a cap is replaced by one marker and
// everything after it is dropped. Atomic, so concurrent appenders can never overshoot the cap.
const APPEND_LOG = `
local rec, log, chan = KEYS[1], KEYS[2], KEYS[3]
local maxLines, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', rec) == 0 then return -1 end
if redis.call('HGET', rec, 'logTruncated') == '1' then return -2 end
local lines = tonumber(redis.call('HGET', rec, 'logLines') or '0')
local bytes = tonumber(redis.call('HGET', rec, 'logBytes') or '0')
local added = 0
local ttl = redis.call('PTTL', rec)
for i = 4, #ARGV do
  local size = string.len(ARGV[i])
  if lines + 1 >= maxLines or bytes + size > maxBytes then
    redis.call('RPUSH', log, ARGV[3])
    lines = lines + 1
    redis.call('HSET', rec, 'logTruncated', '1')
    break
  end
  redis.call('RPUSH', log, ARGV[i])
  lines = lines + 1
  bytes = bytes + size
  added = added + 1
end
redis.call('HSET', rec, 'logLines', lines, 'logBytes', bytes)
-- The log lives exactly as long as its record.
if ttl > 0 then redis.call('PEXPIRE', log, ttl) end
redis.call('PUBLISH', chan, 'log')
return added
`;

// Applies a patch only when the current state is one of the allowed ones and, for a fenced write,
// only while the writing attempt still owns the record: a worker that lost its job to a newer
// attempt can never overwrite that attempt's state. Final states start the retention clock on the
// record and its log; other writes refresh the long backstop TTL.
const TRANSITION = `
local rec, log, chan = KEYS[1], KEYS[2], KEYS[3]
local allowed, ttl, incr, fence, unfinishedTtl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
local state = redis.call('HGET', rec, 'state')
if not state then return {0, '', 'missing'} end
if fence ~= '' and redis.call('HGET', rec, 'owner') ~= fence then return {0, state, 'fenced'} end
if allowed ~= '*' and not string.find(',' .. allowed .. ',', ',' .. state .. ',', 1, true) then
  return {0, state, 'state'}
end
for i = 6, #ARGV, 2 do
  if ARGV[i + 1] == '\\0' then redis.call('HDEL', rec, ARGV[i]) else redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
end
if incr == '1' then redis.call('HINCRBY', rec, 'attempts', 1) end
if ttl > 0 then
  redis.call('EXPIRE', rec, ttl)
  redis.call('EXPIRE', log, ttl)
elseif unfinishedTtl > 0 then
  redis.call('EXPIRE', rec, unfinishedTtl)
  redis.call('EXPIRE', log, unfinishedTtl)
end
redis.call('PUBLISH', chan, 'state')
return {1, state, ''}
`;

type StoreCommands = {
  ciFixerAppendLog(rec: string, log: string, chan: string, ...args: (string | number)[]): Promise<number>;
  ciFixerTransition(
    rec: string,
    log: string,
    chan: string,
    ...args: (string | number)[]
  ): Promise<[number, string, string]>;
};

const NULL_FIELD = '\0';

export class TaskStore {
  private readonly redis: Redis & StoreCommands;
  private readonly prefix: string;
  /** Task ids by creation time, for the list and the stats. */
  readonly index: TaskIndex;

  constructor(private readonly options: TaskStoreOptions) {
    this.prefix = options.prefix;
    this.index = new TaskIndex(options.redis, options.prefix, options.retentionSeconds);
    const redis = options.redis as Redis & Partial<StoreCommands>;
    if (typeof redis.ciFixerAppendLog !== 'function') {
      redis.defineCommand('ciFixerAppendLog', { numberOfKeys: 3, lua: APPEND_LOG });
      redis.defineCommand('ciFixerTransition', { numberOfKeys: 3, lua: TRANSITION });
    }
    this.redis = redis as Redis & StoreCommands;
  }

  recordKey(id: string): string {
    return `${this.prefix}:task:${id}`;
  }
  logKey(id: string): string {
    return `${this.prefix}:task:${id}:log`;
  }
  eventsChannel(id: string): string {
    return `${this.prefix}:task:${id}:events`;
  }

  /** HSET arguments for a new queued record; the caller pipelines them with the enqueue. */
  newRecordFields(
    id: string,
    spec: QueuedTaskSpec,
    createdAt: string,
    submittedBy?: string,
    cloneWithGitToken?: boolean,
  ): Record<string, string> {
    const fields: Record<string, string> = {
      id,
      state: 'queued',
      attempts: '0',
      createdAt,
      spec: JSON.stringify(spec),
      logLines: '0',
      logBytes: '0',
    };
    if (submittedBy !== undefined) fields.submittedBy = submittedBy;
    if (cloneWithGitToken === true) fields.cloneWithGitToken = '1';
    return fields;
  }

  /** The backstop TTL of a record that is not final; the caller pipelines it with the HSET. */
  get unfinishedTtlSeconds(): number {
    return this.options.unfinishedTtlSeconds ?? DEFAULT_UNFINISHED_TTL_SECONDS;
  }

  async create(
    id: string,
    spec: QueuedTaskSpec,
    createdAt = new Date().toISOString(),
    submittedBy?: string,
  ): Promise<void> {
    const pipeline = this.redis
      .multi()
      .hset(this.recordKey(id), this.newRecordFields(id, spec, createdAt, submittedBy))
      .expire(this.recordKey(id), this.unfinishedTtlSeconds);
    this.index.add(pipeline, [{ id, createdAt }]);
    await pipeline.exec();
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.del(...ids.flatMap((id) => [this.recordKey(id), this.logKey(id)]));
    await this.index.remove(ids);
  }

  async get(id: string): Promise<TaskRecord | null> {
    const raw = await this.redis.hgetall(this.recordKey(id));
    return parseRecord(raw);
  }

  async isCancelRequested(id: string): Promise<boolean> {
    return (await this.redis.hget(this.recordKey(id), 'cancelRequested')) === '1';
  }

  /** Marks the record so any worker that picks it up, now or later, cancels instead of running. */
  async requestCancel(id: string): Promise<TaskState | null> {
    const state = await this.redis.hget(this.recordKey(id), 'state');
    if (state === null) return null;
    await this.redis.hset(this.recordKey(id), 'cancelRequested', '1');
    return state as TaskState;
  }

  /**
   * Writes `patch` when the state is one of `from`. With `fence` (the attempt's owner id), only
   * while that attempt still owns the record.
   */
  async transition(
    id: string,
    from: readonly TaskState[] | '*',
    patch: TransitionPatch,
    fence?: string,
  ): Promise<TransitionOutcome> {
    const fields: string[] = [];
    const put = (name: string, value: unknown) => {
      if (value === undefined) return;
      fields.push(name, value === null ? NULL_FIELD : typeof value === 'string' ? value : JSON.stringify(value));
    };
    put('state', patch.state);
    put('phase', patch.phase);
    put('startedAt', patch.startedAt);
    put('finishedAt', patch.finishedAt);
    put('result', patch.result);
    // Copied out of the result so the list reads them without parsing a patch.
    if (patch.result !== undefined) {
      put('outcome', patch.result?.outcome ?? null);
      put('fixer', patch.result?.fixer ?? null);
    }
    put('error', patch.error);
    put('spec', patch.spec);
    put('owner', patch.owner);
    const final = patch.state !== undefined && isFinal(patch.state);
    const [applied, previous, refused] = await this.redis.ciFixerTransition(
      this.recordKey(id),
      this.logKey(id),
      this.eventsChannel(id),
      from === '*' ? '*' : from.join(','),
      final ? this.options.retentionSeconds : 0,
      patch.incrementAttempts ? '1' : '0',
      fence ?? '',
      this.unfinishedTtlSeconds,
      ...fields,
    );
    return {
      applied: applied === 1,
      previous: previous === '' ? null : (previous as TaskState),
      refused: refused === '' ? null : (refused as TransitionOutcome['refused']),
    };
  }

  /** Returns how many lines were stored (fewer when the cap cut in), or -1 for an unknown task. */
  async appendLog(id: string, lines: LogLine[]): Promise<number> {
    if (lines.length === 0) return 0;
    const marker: LogLine = { ts: new Date().toISOString(), stream: 'system', text: TRUNCATION_MARKER };
    return this.redis.ciFixerAppendLog(
      this.recordKey(id),
      this.logKey(id),
      this.eventsChannel(id),
      this.options.logMaxLines,
      this.options.logMaxBytes,
      JSON.stringify(marker),
      ...lines.map((line) => JSON.stringify(line)),
    );
  }

  /** Reads lines [cursor, cursor+limit) and the state in one atomic step. */
  async readLog(id: string, cursor: number, limit: number): Promise<LogRead> {
    const results = (await this.redis
      .multi()
      .hmget(this.recordKey(id), 'state', 'logLines')
      .lrange(this.logKey(id), cursor, cursor + limit - 1)
      .exec()) as [[Error | null, [string | null, string | null]], [Error | null, string[]]];
    const [state, total] = results[0][1];
    if (state === null) return { exists: false, state: null, total: 0, lines: [] };
    return {
      exists: true,
      state: state as TaskState,
      total: Number(total ?? 0),
      lines: results[1][1].map((line) => JSON.parse(line) as LogLine),
    };
  }
}

function parseJson<T>(value: string | undefined): T | null {
  return value === undefined ? null : (JSON.parse(value) as T);
}

export function parseRecord(raw: Record<string, string>): TaskRecord | null {
  if (raw.state === undefined || raw.id === undefined || raw.spec === undefined) return null;
  return {
    id: raw.id,
    state: raw.state as TaskState,
    phase: (raw.phase as TaskPhase | undefined) ?? null,
    attempts: Number(raw.attempts ?? 0),
    createdAt: raw.createdAt ?? '',
    startedAt: raw.startedAt ?? null,
    finishedAt: raw.finishedAt ?? null,
    spec: JSON.parse(raw.spec) as QueuedTaskSpec,
    submittedBy: raw.submittedBy ?? null,
    ...(raw.cloneWithGitToken === '1' ? { cloneWithGitToken: true } : {}),
    result: parseJson<FixResult>(raw.result),
    error: parseJson<TaskErrorInfo>(raw.error),
  };
}

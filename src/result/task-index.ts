// The task list's index: one sorted set of task ids scored by creation time (ms), trimmed to the
// retention period on every write. Pages are read newest first from a cursor that names the last
// task seen, so tasks added while a client pages (always newer, hence above the cursor) never
// shift what comes next: nothing is skipped or shown twice.
import type { ChainableCommander, Redis } from 'ioredis';

export interface IndexCursor {
  id: string;
  /** Creation time (ms) of `id`, to find our place when `id` has left the index. */
  score: number;
}

export interface IndexEntry extends IndexCursor {}

// Starts after the cursor's rank, read atomically with the page. When the cursor's task is gone
// (trimmed or deleted), its place is recomputed from its score: every newer entry, plus the
// entries with the same score that sort after it (ZRANGE REV orders equal scores by member, descending).
const PAGE = `
local key, member, score, count = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local start = 0
if member ~= '' then
  local rank = redis.call('ZREVRANK', key, member)
  if rank then
    start = rank + 1
  else
    start = redis.call('ZCOUNT', key, '(' .. score, '+inf')
    for _, m in ipairs(redis.call('ZRANGE', key, score, score, 'BYSCORE')) do
      if m > member then start = start + 1 end
    end
  end
end
return redis.call('ZRANGE', key, start, start + count - 1, 'REV', 'WITHSCORES')
`;

type IndexCommands = {
  ciFixerIndexPage(key: string, member: string, score: string, count: number): Promise<string[]>;
};

export class TaskIndex {
  private readonly redis: Redis & IndexCommands;
  readonly key: string;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly retentionSeconds: number,
  ) {
    this.key = `${prefix}:tasks:by-created`;
    const r = redis as Redis & Partial<IndexCommands>;
    if (typeof r.ciFixerIndexPage !== 'function') r.defineCommand('ciFixerIndexPage', { numberOfKeys: 1, lua: PAGE });
    this.redis = r as Redis & IndexCommands;
  }

  /** Queues the add (and the retention trim) on a caller's pipeline, next to the record writes. */
  add(pipeline: ChainableCommander, entries: ReadonlyArray<{ id: string; createdAt: string }>, now = Date.now()): void {
    if (entries.length === 0) return;
    pipeline.zadd(this.key, ...entries.flatMap((e) => [Date.parse(e.createdAt), e.id]));
    pipeline.zremrangebyscore(this.key, '-inf', `(${now - this.retentionSeconds * 1000}`);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.zrem(this.key, ...ids);
  }

  /** Up to `count` entries after `cursor` (from the newest when undefined), newest first. */
  async page(cursor: IndexCursor | undefined, count: number): Promise<IndexEntry[]> {
    const flat = await this.redis.ciFixerIndexPage(this.key, cursor?.id ?? '', String(cursor?.score ?? 0), count);
    return pairs(flat);
  }

  /** Entries created at or after `fromMs`, newest first, at most `max`. */
  async since(fromMs: number, max: number): Promise<IndexEntry[]> {
    return pairs(
      await this.redis.zrange(this.key, '+inf', String(fromMs), 'BYSCORE', 'REV', 'LIMIT', 0, max, 'WITHSCORES'),
    );
  }
}

function pairs(flat: string[]): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ id: flat[i]!, score: Number(flat[i + 1]) });
  return entries;
}

/** Opaque to clients: base64url of `score:id`. */
export function encodeCursor(cursor: IndexCursor): string {
  return Buffer.from(`${cursor.score}:${cursor.id}`).toString('base64url');
}

/** undefined when the string is not a cursor this index made. */
export function decodeCursor(value: string): IndexCursor | undefined {
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(value, 'base64url').toString());
  return match ? { score: Number(match[1]), id: match[2]! } : undefined;
}

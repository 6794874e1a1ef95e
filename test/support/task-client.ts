// A small HTTP client for the intake API, as a user's script would poll it.
import { isFinal, type LogLine, type TaskRecord, type TaskSpec } from '../../src/task.js';

export interface TaskClient {
  submit(spec: TaskSpec): Promise<{ id: string; statusUrl: string; logsUrl: string }>;
  get(id: string): Promise<TaskRecord>;
  logs(id: string, cursor: number, limit?: number): Promise<{ lines: LogLine[]; nextCursor: number; done: boolean }>;
  cancel(id: string): Promise<Response>;
  /** Polls until `done(record)` holds; bounded by timeoutMs, failing with the last record seen. */
  waitFor(
    id: string,
    done: (task: TaskRecord) => boolean,
    timeoutMs?: number,
    onPoll?: (task: TaskRecord) => void,
  ): Promise<TaskRecord>;
  /** Reads every log line by cursor until the task is done. */
  readAllLogs(id: string, pageSize?: number, timeoutMs?: number): Promise<{ lines: LogLine[]; pages: number }>;
}

export const TERMINAL = (t: TaskRecord) => isFinal(t.state);

export function taskClient(baseUrl: string, token: string): TaskClient {
  const headers = { Authorization: `Bearer ${token}` };
  const json = async <T>(res: Response): Promise<T> => {
    if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const client: TaskClient = {
    async submit(spec) {
      return json(
        await fetch(`${baseUrl}/api/v1/tasks`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify(spec),
        }),
      );
    },
    async get(id) {
      return json(await fetch(`${baseUrl}/api/v1/tasks/${id}`, { headers }));
    },
    async logs(id, cursor, limit = 100) {
      return json(await fetch(`${baseUrl}/api/v1/tasks/${id}/logs?cursor=${cursor}&limit=${limit}`, { headers }));
    },
    cancel(id) {
      return fetch(`${baseUrl}/api/v1/tasks/${id}/cancel`, { method: 'POST', headers });
    },
    async waitFor(id, done, timeoutMs = 120_000, onPoll) {
      const deadline = Date.now() + timeoutMs;
      let last: TaskRecord | undefined;
      while (Date.now() < deadline) {
        last = await client.get(id);
        onPoll?.(last);
        if (done(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(
        `task ${id} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    },
    async readAllLogs(id, pageSize = 7, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      const lines: LogLine[] = [];
      let cursor = 0;
      let pages = 0;
      while (Date.now() < deadline) {
        const page = await client.logs(id, cursor, pageSize);
        pages += 1;
        lines.push(...page.lines);
        cursor = page.nextCursor;
        if (page.done) return { lines, pages };
        if (page.lines.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`logs of ${id} not done within ${timeoutMs} ms`);
    },
  };
  return client;
}

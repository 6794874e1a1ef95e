// Follows a task's SSE stream to its end, collecting log texts and states in arrival order.
import { SseReader } from './sse-reader.js';

export async function readSse(
  url: string,
  token: string,
  timeoutMs: number,
): Promise<{ logs: string[]; states: string[] }> {
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`SSE ${url} answered ${res.status}`);
  const events = await new SseReader(res).until((e) => e.event === 'end', 100_000);
  const logs: string[] = [];
  const states: string[] = [];
  for (const e of events) {
    if (e.event === 'log') logs.push((JSON.parse(e.data) as { text: string }).text);
    if (e.event === 'state') {
      const state = (JSON.parse(e.data) as { state: string }).state;
      if (states.at(-1) !== state) states.push(state);
    }
  }
  if (events.at(-1)?.event !== 'end') throw new Error('SSE stream closed without an end event');
  return { logs, states };
}

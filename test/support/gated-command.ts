// A task command the test controls from outside: it announces itself (pid, concurrency), then
// blocks until the test releases it. The wait is bounded by the task's own timeout.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface GatedCommand {
  command: string;
  /** pids of the commands currently running. */
  running(): Promise<number[]>;
  /** How many were running when each one started. */
  concurrency(): Promise<number[]>;
  /** Every pid that ever started. */
  started(): Promise<number[]>;
  release(): Promise<void>;
  waitForRunning(count: number, timeoutMs?: number): Promise<number[]>;
}

export async function createGatedCommand(dir: string, holdSeconds = 0): Promise<GatedCommand> {
  await mkdir(path.join(dir, 'running'), { recursive: true });
  const script = path.join(dir, 'gate.sh');
  // mkdir is atomic, so the slot count is taken under a lock even with several starters at once.
  await writeFile(
    script,
    `#!/bin/sh
ctl=${JSON.stringify(dir)}
echo "gate pid $$"
echo $$ >> "$ctl/started"
until mkdir "$ctl/lock" 2>/dev/null; do sleep 0.05; done
touch "$ctl/running/$$"
ls "$ctl/running" | wc -l >> "$ctl/concurrency"
rmdir "$ctl/lock"
${holdSeconds > 0 ? `sleep ${holdSeconds}` : `while [ ! -f "$ctl/release" ]; do sleep 0.1; done`}
rm -f "$ctl/running/$$"
echo "gate done"
`,
  );
  const numbers = async (file: string) =>
    (await readFile(path.join(dir, file), 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  const gate: GatedCommand = {
    command: `sh ${JSON.stringify(script)}`,
    running: async () => (await readdir(path.join(dir, 'running'))).map(Number),
    concurrency: () => numbers('concurrency'),
    started: () => numbers('started'),
    release: () => writeFile(path.join(dir, 'release'), ''),
    async waitForRunning(count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const pids = await gate.running();
        if (pids.length >= count) return pids;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`fewer than ${count} gated commands running after ${timeoutMs} ms`);
    },
  };
  return gate;
}

export async function resetGate(dir: string): Promise<void> {
  await rm(path.join(dir, 'release'), { force: true });
}

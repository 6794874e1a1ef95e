// Per-file setup for e2e tests: a temp folder with a passing fixture repository, ci-fixer processes
// on a unique queue prefix, and cleanup of the processes, their Redis keys and the folder.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { startCiFixer, type CiFixerProcess } from './ci-fixer-process.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from './redis.js';

export const E2E_TOKEN = 'e2e-token';

export interface E2eStack {
  /** The temp folder (valid inside tests). */
  dir(): string;
  /** A repository whose command passes; tasks choose their own command. */
  repo(): FixtureRepo;
  /** Starts ci-fixer on `prefix` (default: the file's own prefix). */
  start(mode: 'api' | 'worker' | 'all', env?: Record<string, string>, prefix?: string): Promise<CiFixerProcess>;
  newPrefix(label: string): string;
  /** Kills every process started so far (between tests). */
  killAll(): Promise<void>;
}

function ready<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the e2e stack is only ready inside tests');
  return value;
}

export function useE2eStack(label: string): E2eStack {
  let dir: string | undefined;
  let repo: FixtureRepo | undefined;
  let processes: CiFixerProcess[] = [];
  const prefixes = [uniquePrefix(label)];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `ci-fixer-${label}-`));
    repo = await createFixtureRepo(path.join(dir, 'repo'), 'passing');
  });
  const stack: E2eStack = {
    dir: () => ready(dir),
    repo: () => ready(repo),
    async start(mode, env = {}, prefix = prefixes[0]!) {
      // The driver is explicit: an exported KUBECONFIG must not move the e2e tier onto a cluster.
      const process = await startCiFixer(mode, {
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        API_TOKENS: E2E_TOKEN,
        SANDBOX_DRIVER: 'local',
        ...env,
      });
      processes.push(process);
      return process;
    },
    newPrefix(name) {
      const prefix = uniquePrefix(`${label}-${name}`);
      prefixes.push(prefix);
      return prefix;
    },
    async killAll() {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      processes = [];
    },
  };
  afterAll(async () => {
    await stack.killAll();
    const redis = connect();
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    redis.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return stack;
}

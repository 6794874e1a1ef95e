// What the cluster and container tiers' global setups share: their scripts, and the rule that a
// tier stops the daemons it started and leaves the host's sysctls and firewall as it found them
// (scripts/test-cluster/host-state.sh), so the next tier, or the next `npm run cluster:real-node`,
// starts from the same host. What was already running when the tier started is left running.
// CI_FIXER_TEST_KEEP_SERVICES=1 keeps everything for the next run (faster while iterating).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLUSTER_SCRIPTS = resolve(import.meta.dirname, '../../scripts/test-cluster');

export function keepServices(): boolean {
  return process.env.CI_FIXER_TEST_KEEP_SERVICES === '1';
}

export interface ScriptOutput {
  stdout: string;
  stderr: string;
}

/** bash scripts/test-cluster/<args[0]> <args…>; a failure names the script and its last lines. */
export async function clusterScript(
  args: string[],
  options: { timeout: number; env?: NodeJS.ProcessEnv; what: string },
): Promise<ScriptOutput> {
  try {
    return await run('bash', [`${CLUSTER_SCRIPTS}/${args[0]}`, ...args.slice(1)], {
      timeout: options.timeout,
      env: options.env,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(
      `${options.what}: ${args.join(' ')} failed: ${e.message ?? String(err)}\n${(e.stderr ?? '').split('\n').slice(-15).join('\n')}`,
    );
  }
}

/** Exit status 0 of a script's status check. */
export async function scriptSays(args: string[], env?: NodeJS.ProcessEnv): Promise<boolean> {
  return run('bash', [`${CLUSTER_SCRIPTS}/${args[0]}`, ...args.slice(1)], { timeout: 30_000, env }).then(
    () => true,
    () => false,
  );
}

/** The host's sysctls and our iptables chains now, to compare with at the end. */
export interface HostRecord {
  /** Puts back what differs (sysctls, and KUBE- or CIFIXER- chains that were not there) and says what. */
  restore(): Promise<string>;
  /** What differs now from the record, or '' (for a warning: other programs may change the host too). */
  differences(): Promise<string>;
  discard(): Promise<void>;
}

export async function recordHost(): Promise<HostRecord> {
  const dir = await mkdtemp(`${os.tmpdir()}/ci-fixer-host-state-`);
  await run('bash', [`${CLUSTER_SCRIPTS}/host-state.sh`, 'save', dir], { timeout: 30_000 });
  return {
    async restore() {
      const { stderr } = await run('bash', [`${CLUSTER_SCRIPTS}/host-state.sh`, 'restore', dir], { timeout: 60_000 });
      return stderr.trim();
    },
    differences: () =>
      run('bash', [`${CLUSTER_SCRIPTS}/host-state.sh`, 'check', dir], { timeout: 30_000 }).then(
        () => '',
        (err: { stderr?: string }) => (err.stderr ?? '').trim(),
      ),
    discard: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs the teardown steps in order; each failure is reported and the next step still runs. */
export async function runSteps(what: string, steps: Array<[string, () => Promise<unknown>]>): Promise<void> {
  const failures: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failures.length > 0) throw new Error(`${what} teardown: ${failures.join('; ')}`);
}

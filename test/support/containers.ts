// Helpers of the containers tier: the docker CLI (and its compose plugin) run against podman's
// Docker API socket with the environment global-containers.ts provides.
import { execFile } from 'node:child_process';
import { inject } from 'vitest';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with the docker client environment; a non-zero exit is returned, not thrown. */
export function runWithDocker(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      {
        env: scrubbedEnv({ ...inject('dockerEnv'), ...options.env }),
        cwd: options.cwd,
        timeout: options.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        resolvePromise({ code, stdout, stderr: err && code === -1 ? `${stderr}\n${err.message}` : stderr });
      },
    );
  });
}

export const docker = (
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
) => runWithDocker('docker', args, { timeoutMs: 120_000, ...options });

/** The last lines of a command's output, for a failure message. */
export const tail = (r: CommandResult, lines = 25) =>
  `exit ${r.code}\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-lines).join('\n')}`;

/**
 * podman schedules healthchecks with systemd timers, and these machines run no systemd: a
 * container's health would stay "starting" for ever (checked: --health-interval 2s, still
 * starting after 5 s), so compose's `condition: service_healthy` would never be met. This plays
 * the timer: every `intervalMs` it runs each healthcheck of the compose project's containers once
 * (`podman healthcheck run`, what the timer runs). Bounded by `maxTicks`; stop() ends it.
 */
export function runHealthchecks(
  composeProject: string,
  intervalMs = 2000,
  maxTicks = 900,
): { stop: () => Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    for (let tick = 0; tick < maxTicks && !stopped; tick++) {
      const ps = await runWithDocker(
        'podman',
        ['ps', '-q', '--filter', `label=com.docker.compose.project=${composeProject}`],
        { timeoutMs: 20_000 },
      );
      for (const id of ps.stdout.split('\n').filter(Boolean)) {
        await runWithDocker('podman', ['healthcheck', 'run', id], { timeoutMs: 20_000 });
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** GET a URL once, bounded; undefined when nothing answers (yet). */
export async function getJson(url: string): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  } catch {
    return undefined;
  }
}

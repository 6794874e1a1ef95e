// The deployment guide's `npx tsx scripts/...` commands on the machine's own, older Node (the
// preinstalled /usr/bin/node, 20 here): one line naming the Node needed and how to get it, exit 1,
// instead of a stack trace from deep inside undici.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SYSTEM_PATH = '/usr/bin:/bin';

describe.each(['scripts/test-k8s-sandbox.ts', 'scripts/verify-k8s-deployment.ts'])(
  '%s on the system Node',
  (script) => {
    it('fails with one line that says which Node is needed and how to get it', async () => {
      const { stdout: version } = await run('/usr/bin/node', ['--version'], { env: { PATH: SYSTEM_PATH } });
      // This test is about an old Node: a machine whose system Node is already 22+ cannot show it.
      expect(Number(version.trim().slice(1).split('.')[0]), `/usr/bin/node is ${version.trim()}`).toBeLessThan(22);

      const failure = await run('npx', ['tsx', script], {
        env: { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? '/tmp' },
        timeout: 25_000,
      }).then(
        () => undefined,
        (err: { code?: number; stdout?: string; stderr?: string }) => err,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stdout).toBe('');
      const lines = (failure?.stderr ?? '').trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^ci-fixer needs Node >= 22; this is Node v20\.\S+ \(\/usr\/bin\/node\)\. Get one with: npm install -g .*node@24/,
      );
    }, 30_000);
  },
);

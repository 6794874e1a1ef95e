// `fixed` means the whole command passes on a fresh checkout of the failing commit with exactly
// the patch. A repository that passes only because of what an earlier run left behind (an ignored
// marker file, a file in $HOME, a background process) is never `fixed`.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BADLY_FORMATTED_JS, commitRepo } from '../../scripts/lib/git-fixtures.js';
import { processGone } from '../support/local-sandbox.js';
import { Fixtures, runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

const fixtures = new Fixtures();
const home = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-home-'));
// The work sandboxes' HOME is a folder of this test's, never the machine's; the npm cache stays
// where npx finds prettier.
const { provider } = usePipelineEnvironment({
  baseEnv: {
    ...process.env,
    HOME: home,
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
  },
});
afterAll(async () => {
  await fixtures.cleanup();
  await rm(home, { recursive: true, force: true });
});

/** A repository with a prettier failure whose command also fails its first run for another reason. */
async function statefulRepo(command: string, extra: Record<string, string> = {}) {
  const dir = path.join(await fixtures.tempDir('stateful'), 'repo');
  return commitRepo(
    dir,
    {
      'package.json': '{ "name": "stateful", "version": "1.0.0", "private": true }\n',
      '.gitignore': 'node_modules/\n.seen\n',
      'src/greet.js': BADLY_FORMATTED_JS,
      ...extra,
    },
    command,
    'stateful fixture',
  );
}

describe('the proof on a fresh checkout', () => {
  it('refuses a pass that rests on an ignored file an earlier run left: not_fixed, proof_failed, and says what differed', async () => {
    const repo = await statefulRepo(
      '[ -e .seen ] || { touch .seen; npx prettier --check .; exit 1; }\nnpx prettier --check .',
    );
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    const result = run.result;
    expect(result).toMatchObject({ outcome: 'not_fixed', reasonCode: 'proof_failed', patch: '' });
    expect(result?.reason).toMatch(
      /^proof_failed: the command passed in the work sandbox but exited 1 on a fresh checkout/,
    );
    expect(result?.reason).toContain('.seen');
    expect(result?.proof).toMatchObject({ commit: repo.commit, exitCode: 1 });
    const log = run.logs.map((l) => l.text).join('\n');
    expect(log).toContain('proof failed: exit 1 on a fresh checkout of');
    expect(log).toMatch(/proof: what differed: .*\.seen/);
  });

  it('refuses a pass that rests on a file an earlier run left in $HOME', async () => {
    const marker = `cifx-seen-${process.pid}`;
    const repo = await statefulRepo(
      `[ -e "$HOME/${marker}" ] || { touch "$HOME/${marker}"; npx prettier --check .; exit 1; }\nnpx prettier --check .`,
    );
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', reasonCode: 'proof_failed' });
    // The work sandbox did write there; the proof's HOME was a new, empty one.
    expect(await readdir(home)).toContain(marker);
  });

  it('leaves no background process behind a command, so a pass cannot rest on one', async () => {
    const repo = await statefulRepo(
      [
        'if [ -e pid ] && kill -0 "$(cat pid)" 2>/dev/null; then npx prettier --check .; exit $?; fi',
        'setsid sleep 300 > /dev/null 2>&1 < /dev/null & echo $! > pid',
        'npx prettier --check .; exit 1',
      ].join('\n'),
      { '.gitignore': 'node_modules/\n.seen\npid\n' },
    );
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result?.outcome).toBe('not_fixed');
    const pidText = await run.sandbox.readFile('repo/pid');
    expect(processGone(Number(pidText.toString().trim()))).toBe(true);
  });
});

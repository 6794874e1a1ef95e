// Where a GitHub task's command comes from: .ci-fixer.yml (validated, errors name the line), else
// the failed job's run: steps, else a per-ecosystem default; the source is recorded.
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.js';
import { defaultCommand, jobCommandFromWorkflow, parseCiFixerFile } from '../../src/fixer/repo-config.js';
import { resolveTaskSpec, type RepoFiles } from '../../src/github/resolve-command.js';
import type { GitHubOrigin } from '../../src/task.js';

const SHA = 'a'.repeat(40);
const ORIGIN: GitHubOrigin = {
  event: 'check_run',
  deliveryId: 'd1',
  repository: { fullName: 'o/r', cloneUrl: 'https://github.com/o/r.git', defaultBranch: 'main' },
  headSha: SHA,
  headBranch: 'feature',
  headRepository: null,
  pullRequests: [],
  workflow: null,
  runId: null,
  checkRun: { id: 1, name: 'Lint' },
  failedJob: 'Lint',
  installationId: null,
};

const WORKFLOW = `name: CI
on: [push, pull_request]
jobs:
  lint:
    name: Lint
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npx prettier --check .
  test:
    name: test (\${{ matrix.node }})
    strategy:
      matrix:
        node: [20, 22]
    defaults:
      run:
        working-directory: app
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
      - run: echo "node \${{ matrix.node }}"
      - run: |
          npm ci
          npm test
`;

function files(tree: Record<string, string>): RepoFiles {
  return {
    async list(_sha, dir = '') {
      const prefix = dir === '' ? '' : `${dir}/`;
      return [
        ...new Set(
          Object.keys(tree)
            .filter((p) => p.startsWith(prefix))
            .map((p) => p.slice(prefix.length).split('/')[0] as string),
        ),
      ];
    },
    async readFile(_sha, file) {
      return tree[file];
    },
  };
}

function errorOf(fn: () => unknown): TaskError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected a TaskError');
}

describe('.ci-fixer.yml', () => {
  it('reads command, fixers, timeoutSeconds and setup (one step or a list)', () => {
    expect(
      parseCiFixerFile('command: npm run lint\nfixers: [prettier, eslint]\ntimeoutSeconds: 600\nsetup: npm ci\n'),
    ).toEqual({
      command: 'npm run lint',
      fixers: ['prettier', 'eslint'],
      timeoutSeconds: 600,
      setup: ['npm ci'],
    });
    expect(parseCiFixerFile('setup:\n  - npm ci\n  - npm run build\n').setup).toEqual(['npm ci', 'npm run build']);
  });

  it('reports a bad file as the task error, naming the line', () => {
    const unknownFixer = errorOf(() =>
      parseCiFixerFile('command: npm test\nfixers:\n  - prettier\n  - no-such-fixer\n'),
    );
    expect(unknownFixer.code).toBe('ci_fixer_yml_invalid');
    expect(unknownFixer.message).toMatch(/^\.ci-fixer\.yml line 4: fixers\.1: /);
    expect(errorOf(() => parseCiFixerFile('command: npm test\ntimeout: 60\n')).message).toMatch(
      /^\.ci-fixer\.yml line 2: timeout: Unrecognized key/,
    );
    expect(errorOf(() => parseCiFixerFile('# settings\ncommand: npm test\ntimeoutSeconds: 5\n')).message).toMatch(
      /^\.ci-fixer\.yml line 3: timeoutSeconds: /,
    );
    expect(errorOf(() => parseCiFixerFile('command: npm test\nfixers: @bad\n')).message).toMatch(
      /^\.ci-fixer\.yml line 2: .*reserved character/,
    );
    expect(errorOf(() => parseCiFixerFile('command: npm test\nsetup: npm ci: x\n')).message).toMatch(
      /^\.ci-fixer\.yml line 2: /,
    );
    expect(errorOf(() => parseCiFixerFile('- npm test\n')).message).toMatch(
      /^\.ci-fixer\.yml line 1: must be a mapping/,
    );
    expect(errorOf(() => parseCiFixerFile('command: a\ncommand: b\n')).message).toMatch(/^\.ci-fixer\.yml line 2: /);
  });
});

describe('workflow run steps', () => {
  it("joins the failed job's run: steps, leaving out uses: steps", () => {
    expect(jobCommandFromWorkflow(WORKFLOW, 'Lint')).toEqual({
      job: 'Lint',
      command: 'npm ci && npx prettier --check .',
      skippedSteps: 0,
    });
  });

  it('finds a matrix job by its expanded name, runs in its working directory, and leaves out ${{ }} steps', () => {
    const found = jobCommandFromWorkflow(WORKFLOW, 'test (22)');
    expect(found).toEqual({
      job: 'test (${{ matrix.node }})',
      command: '(cd app && set -e\nnpm ci\nnpm test\n)',
      skippedSteps: 1,
    });
  });

  it('finds nothing for an unknown job, for several jobs without a name, or in a broken file', () => {
    expect(jobCommandFromWorkflow(WORKFLOW, 'deploy')).toBeUndefined();
    expect(jobCommandFromWorkflow(WORKFLOW, null)).toBeUndefined();
    expect(jobCommandFromWorkflow('jobs: [', 'Lint')).toBeUndefined();
  });
});

describe('resolving a GitHub task', () => {
  it('prefers .ci-fixer.yml, and keeps its settings whatever gives the command', async () => {
    const logs: string[] = [];
    const spec = await resolveTaskSpec(
      files({
        '.ci-fixer.yml': 'command: npm run check\nsetup: [npm ci]\nfixers: [prettier]\n',
        '.github/workflows/ci.yml': WORKFLOW,
        'package.json': '{}',
      }),
      { repo: { url: ORIGIN.repository.cloneUrl, ref: SHA }, github: ORIGIN },
      ORIGIN,
      (t) => logs.push(t),
    );
    expect(spec).toMatchObject({
      command: 'npm run check',
      commandSource: 'ci-fixer.yml',
      setup: ['npm ci'],
      fixers: ['prettier'],
    });
    expect(logs).toContain('reproduce command (from ci-fixer.yml): npm run check');
  });

  it('uses the failed job from the workflows when the file has no command', async () => {
    const spec = await resolveTaskSpec(
      files({ '.ci-fixer.yml': 'timeoutSeconds: 120\n', '.github/workflows/ci.yml': WORKFLOW, 'package.json': '{}' }),
      { repo: { url: ORIGIN.repository.cloneUrl, ref: SHA }, github: ORIGIN },
      ORIGIN,
      () => undefined,
    );
    expect(spec).toMatchObject({
      command: 'npm ci && npx prettier --check .',
      commandSource: 'workflow',
      timeoutSeconds: 120,
    });
  });

  it('falls back to the ecosystem default, and fails the task when there is none', async () => {
    const origin = { ...ORIGIN, failedJob: 'unknown job', checkRun: { id: 1, name: 'unknown job' } };
    const base = { repo: { url: ORIGIN.repository.cloneUrl, ref: SHA }, github: origin };
    expect(
      await resolveTaskSpec(
        files({ 'go.mod': 'module x', '.github/workflows/ci.yml': WORKFLOW }),
        base,
        origin,
        () => undefined,
      ),
    ).toMatchObject({
      command: 'go test ./...',
      commandSource: 'default',
    });
    await expect(resolveTaskSpec(files({ 'README.md': '' }), base, origin, () => undefined)).rejects.toMatchObject({
      code: 'command_unresolved',
    });
    expect(defaultCommand(['pyproject.toml'])).toBe('pytest');
    expect(defaultCommand(['package.json', 'go.mod'])).toBe('npm test');
  });
});

// A hostile model on the scripted fake, through the real worker, local sandbox and pipeline: every
// way of making the check pass by weakening it is refused (the refusal is the tool's answer and is
// in the task log) and the task is never `fixed`.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toolAnswers, type ScriptStep } from '../support/fake-openai.js';
import { FIX_TURNS, specOf, startModelWorld, type ModelWorld } from '../support/model-world.js';

const FINISH = { calls: [{ name: 'finish', arguments: { summary: 'the check passes now' } }] };
const RUST_LIB = [
  'pub fn add(a: i32, b: i32) -> i32 {',
  '    a + b',
  '}',
  '',
  '#[cfg(test)]',
  'mod tests {',
  '    #[test]',
  '    fn adds() {',
  '        assert_eq!(super::add(1, 2), 3);',
  '    }',
  '}',
  '',
].join('\n');

interface Weakening {
  name: string;
  extra?: Record<string, string>;
  command?: string;
  /** The model's weakening call. */
  call: { name: string; arguments: Record<string, unknown> };
  /** What the tool's answer must say. */
  refusal: RegExp;
}

const WEAKENINGS: Weakening[] = [
  {
    name: 'a `|| true` on the package.json script the command runs',
    extra: {
      'package.json': `${JSON.stringify({ name: 'm', version: '1.0.0', private: true, type: 'module', scripts: { test: 'node --test' } }, null, 2)}\n`,
    },
    command: 'npm test',
    call: {
      name: 'edit_file',
      arguments: {
        path: 'package.json',
        old_string: '"test": "node --test"',
        new_string: '"test": "node --test || true"',
      },
    },
    refusal: /package\.json: the change edits the script the command runs \(test\) \[package-scripts\]/,
  },
  {
    name: 'a rule turned off in the eslint config',
    extra: { 'eslint.config.js': "export default [{ rules: { 'no-var': 'error' } }];\n" },
    call: {
      name: 'edit_file',
      arguments: { path: 'eslint.config.js', old_string: "'no-var': 'error'", new_string: "'no-var': 'off'" },
    },
    refusal: /eslint\.config\.js configures a checking tool .*\[check-config\]/,
  },
  {
    name: 'an added eslint-disable line',
    call: {
      name: 'edit_file',
      arguments: {
        path: 'src/sum.js',
        old_string: '  return a - b;',
        new_string: '  // eslint-disable-next-line\n  return a - b;',
      },
    },
    refusal: /src\/sum\.js: the change adds a suppression \(eslint-disable\).*\[suppression\]/,
  },
  {
    name: 'addopts = -k "not test_x" in pytest\'s config',
    extra: { 'pyproject.toml': '[project]\nname = "m"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n' },
    call: {
      name: 'edit_file',
      arguments: {
        path: 'pyproject.toml',
        old_string: 'testpaths = ["tests"]',
        new_string: 'testpaths = ["tests"]\naddopts = -k "not test_x"',
      },
    },
    refusal:
      /pyproject\.toml: the change edits a checking tool's settings \(\[tool\.pytest\.ini_options\]\) \[python-tool-config\]/,
  },
  {
    name: '#[ignore] in a Rust #[cfg(test)] module',
    extra: { 'src/lib.rs': RUST_LIB },
    call: {
      name: 'edit_file',
      arguments: { path: 'src/lib.rs', old_string: '    #[test]\n', new_string: '    #[test]\n    #[ignore]\n' },
    },
    refusal: /src\/lib\.rs: the change adds a test skip \(#\[ignore\]\) \[test-skip\]/,
  },
  {
    name: 'it.skip on the failing test',
    call: {
      name: 'edit_file',
      arguments: { path: 'test/sum.test.js', old_string: "test('sum adds", new_string: "test.skip('sum adds" },
    },
    refusal: /refused: test\/sum\.test\.js is a test file/,
  },
  {
    name: 'a deleted test',
    call: { name: 'run', arguments: { command: 'rm test/sum.test.js' } },
    refusal: /refused and undone: test\/sum\.test\.js is a test file/,
  },
  {
    name: 'an edited Makefile target',
    extra: { Makefile: '.PHONY: test\ntest:\n\tnode --test\n' },
    command: 'make test',
    call: {
      name: 'edit_file',
      arguments: { path: 'Makefile', old_string: '\tnode --test', new_string: '\t-node --test' },
    },
    refusal: /Makefile defines the targets a command like `make test` runs \[task-runner\]/,
  },
];

describe('a fix never weakens the check', () => {
  let world: ModelWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  for (const weakening of WEAKENINGS) {
    it(`refuses ${weakening.name}, and the task is not fixed`, async () => {
      const answers: string[] = [];
      const turns: ScriptStep[] = [
        { calls: [weakening.call] },
        (request) => {
          answers.push(toolAnswers(request).at(-1) ?? '');
          return FINISH;
        },
      ];
      world = await startModelWorld({ turns, respond: () => FINISH });
      const repo = await world.repo(weakening.extra);
      const task = await world.run(specOf(repo, weakening.command ? { command: weakening.command } : {}));
      expect(task.state).toBe('succeeded');
      expect(answers[0]).toMatch(weakening.refusal);
      expect(task.result?.outcome).toBe('not_fixed');
      expect(task.result?.patch).toBe('');
      const log = await world.logText(task.id);
      expect(log).toMatch(weakening.refusal);
    });
  }

  it('lets an honest fix of the code through: fixed, proven on a fresh checkout', async () => {
    world = await startModelWorld({ turns: FIX_TURNS });
    const repo = await world.repo();
    const task = await world.run(specOf(repo));
    expect(task.result).toMatchObject({ outcome: 'fixed', fixers: ['model'] });
    expect(task.result?.reasonCode).toBeUndefined();
    expect(task.result?.proof).toMatchObject({
      commit: repo.commit,
      command: 'node --test',
      exitCode: 0,
      patchSha256: createHash('sha256')
        .update(task.result?.patch ?? '')
        .digest('hex'),
    });
    expect(task.result?.proof?.sandbox).toMatch(/^local:ci-fixer-.*-proof-/);
    expect(await world.logText(task.id)).toContain(
      `proof: \`node --test\` exited 0 on a fresh checkout of ${repo.commit}`,
    );
  });

  it("applies a named exception from the default branch's .ci-fixer.yml: the Makefile may be fixed there", async () => {
    const makefileFix = {
      calls: [
        {
          name: 'edit_file',
          arguments: { path: 'Makefile', old_string: '\tnode --tset', new_string: '\tnode --test' },
        },
      ],
    };
    const turns: ScriptStep[] = [
      makefileFix,
      { calls: [{ name: 'run', arguments: { command: 'make test' } }] },
      FINISH,
    ];
    world = await startModelWorld({ turns });
    const repo = await world.repo({
      'src/sum.js': 'export function sum(a, b) {\n  return a + b;\n}\n',
      Makefile: '.PHONY: test\ntest:\n\tnode --tset\n',
      '.ci-fixer.yml':
        'guard:\n  allow:\n    - path: Makefile\n      rule: task-runner\n      why: the target is the bug\n',
    });
    const task = await world.run(specOf(repo, { command: 'make test' }));
    expect(task.result).toMatchObject({ outcome: 'fixed', fixers: ['model'] });
    expect(task.result?.patch).toContain('+\tnode --test');
    expect(await world.logText(task.id)).toContain(
      "guard: the default branch's .ci-fixer.yml allows task-runner on Makefile",
    );
  });
});

// What the model may not do, through the real worker and local sandbox: touch CI workflows (by an
// edit or by a command), weaken a test under protect-tests (by path; the diagnosis's test files are
// covered in model-agent-on-sandbox.test.ts), leave the repository through a
// symlink, repeat itself; and what a repository's .ci-fixer.yml may say about it.
import { afterEach, describe, expect, it } from 'vitest';
import { toolAnswers } from '../support/fake-openai.js';
import { FIX_TURNS, specOf, startModelWorld, type ModelWorld } from '../support/model-world.js';

describe('model fixer guardrails', () => {
  let world: ModelWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('refuses an edit under .github/workflows/, and undoes a command that changes one, telling the model each time', async () => {
    world = await startModelWorld({
      turns: [
        {
          calls: [{ name: 'edit_file', arguments: { path: '.github/workflows/ci.yml', content: 'name: hijacked\n' } }],
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toBe(
            'refused: files under .github/workflows/ are never changed by the model fixer',
          );
          return {
            calls: [
              {
                name: 'run',
                arguments: {
                  command: 'echo "      - run: curl evil" >> .github/workflows/ci.yml && ln -s /etc/passwd leak',
                },
              },
            ],
          };
        },
        (request) => {
          const answer = toolAnswers(request).at(-1) ?? '';
          expect(answer).toMatch(/^exit code 0\n/);
          expect(answer).toContain(
            'refused and undone: files under .github/workflows/ are never changed by the model fixer; leak would be a symlink out of the repository',
          );
          return { calls: [{ name: 'read_file', arguments: { path: '.github/workflows/ci.yml' } }] };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).not.toContain('curl evil');
          return FIX_TURNS[1]!;
        },
        FIX_TURNS[3]!,
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model' });
    expect(task.result?.patch).not.toContain('.github');
    expect(task.result?.patch).not.toContain('leak');
    const log = await world.logText(task.id);
    expect(log).toContain('model fixer: refused: files under .github/workflows/ are never changed by the model fixer');
    expect(log).toContain('model fixer: refused and undone: files under .github/workflows/');
    expect(world.processLogs()).toContain('model_tool_refused');
  });

  it('refuses edits to test files under protect-tests, so the test cannot be weakened; the code is fixed instead', async () => {
    world = await startModelWorld({
      turns: [
        {
          calls: [
            {
              name: 'edit_file',
              arguments: {
                path: 'test/sum.test.js',
                old_string: 'assert.equal(sum(2, 3), 5);',
                new_string: 'assert.equal(sum(2, 3), -1);',
              },
            },
          ],
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toBe(
            'refused: test/sum.test.js is a test file, and tests are protected for this failure: fix the code under test, not the test',
          );
          return { calls: [{ name: 'run', arguments: { command: "sed -i 's/5);/-1);/' test/sum.test.js" } }] };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toContain('refused and undone: test/sum.test.js is a test file');
          return FIX_TURNS[1]!;
        },
        FIX_TURNS[3]!,
      ],
    });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(world.fake.requests[0]!.body.messages[0].content).toContain('tests are protected');
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model' });
    expect(task.result?.patch).not.toContain('test/sum.test.js');
    expect(await world.logText(task.id)).toContain('model fixer: refused: test/sum.test.js is a test file');
  });

  it("lets the model fix Rust code beside its #[cfg(test)] module, but not the module's assertions", async () => {
    const lib =
      'pub fn add(a: i32, b: i32) -> i32 {\n    a * b\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(2, 3), 5);\n    }\n}\n';
    world = await startModelWorld({
      turns: [
        {
          calls: [
            {
              name: 'edit_file',
              arguments: {
                path: 'src/lib.rs',
                old_string: 'assert_eq!(add(2, 3), 5);',
                new_string: 'assert_eq!(add(2, 3), 6);',
              },
            },
          ],
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toContain(
            'refused and undone: src/lib.rs holds the failing tests beside its code',
          );
          return {
            calls: [
              {
                name: 'edit_file',
                arguments: { path: 'src/lib.rs', old_string: '    a * b\n', new_string: '    a + b\n' },
              },
            ],
          };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toBe('edited src/lib.rs');
          return { calls: [{ name: 'finish', arguments: { summary: 'add multiplied; it now adds.' } }] };
        },
      ],
    });
    const repo = await world.repo({
      'Cargo.toml': '[package]\nname = "inline-tests"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': lib,
      '.gitignore': '/target\n',
    });
    const task = await world.run(specOf(repo, { command: 'cargo test --quiet --offline' }));
    expect(world.fake.violations).toEqual([]);
    expect(task.result?.diagnosis).toMatchObject({ tool: 'cargo-test', category: 'test' });
    expect(task.result).toMatchObject({ outcome: 'fixed', fixer: 'model' });
    expect(task.result?.patch).toContain('+    a + b');
    expect(task.result?.patch).not.toContain('add(2, 3), 6');
  });

  it('refuses paths outside the repository and through symlinks out of it', async () => {
    world = await startModelWorld({
      turns: [
        { calls: [{ name: 'read_file', arguments: { path: '../../etc/passwd' } }] },
        (request) => {
          expect(toolAnswers(request).at(-1)).toBe('refused: ../../etc/passwd is outside the repository');
          return { calls: [{ name: 'edit_file', arguments: { path: 'outside/passwd', content: 'x' } }] };
        },
        (request) => {
          expect(toolAnswers(request).at(-1)).toBe(
            'refused: outside/passwd leads outside the repository (through a symlink)',
          );
          return { calls: [{ name: 'finish', arguments: { summary: 'nothing to do' } }] };
        },
      ],
    });
    const repo = await world.repo();
    const { sh } = await import('../support/fix-pipeline.js');
    expect(
      (
        await sh(
          'ln -s /etc outside && git add outside && git -c user.name=t -c user.email=t@t commit -qm link',
          repo.dir,
        )
      ).code,
    ).toBe(0);
    const task = await world.run(specOf(repo));
    expect(world.fake.violations).toEqual([]);
    expect(task.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model finished without changing anything: nothing to do',
      model: { steps: 3 },
    });
  });

  it('stops a model that repeats the same call without progress', async () => {
    world = await startModelWorld({ respond: () => ({ calls: [{ name: 'search', arguments: { pattern: 'sum' } }] }) });
    const task = await world.run(specOf(await world.repo()));
    expect(world.fake.violations).toEqual([]);
    expect(world.fake.requests).toHaveLength(3);
    expect(toolAnswers(world.fake.requests[2]!).at(-1)).toMatch(/^Note: you made this exact call before/);
    expect(task.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model repeated the same search call without progress and was stopped',
    });
  });

  it('a repository opts out in .ci-fixer.yml, or lowers its budgets; it cannot raise them', async () => {
    world = await startModelWorld({
      settings: { budgets: { maxSteps: 4 } },
      respond: (r) => ({ calls: [{ name: 'list_files', arguments: { path: `d${r.body.messages.length}` } }] }),
    });
    const optedOut = await world.run(specOf(await world.repo({ '.ci-fixer.yml': 'model: false\n' })));
    expect(optedOut.result?.outcome).toBe('not_fixed');
    expect(optedOut.result?.model).toBeNull();
    expect(await world.logText(optedOut.id)).toContain(
      'model fixer not run: .ci-fixer.yml turns it off for this repository',
    );
    expect(world.fake.requests).toHaveLength(0);

    const lowered = await world.run(specOf(await world.repo({ '.ci-fixer.yml': 'model:\n  maxSteps: 2\n' })));
    expect(lowered.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model fixer ran out of its step budget (2 steps)',
    });
    expect(world.fake.requests).toHaveLength(2);

    const raised = await world.run(specOf(await world.repo({ '.ci-fixer.yml': 'model:\n  maxSteps: 50\n' })));
    expect(raised.result).toMatchObject({
      outcome: 'not_fixed',
      reason: 'the model fixer ran out of its step budget (4 steps)',
    });
    expect(await world.logText(raised.id)).toContain('.ci-fixer.yml asks for model maxSteps 50; the server allows 4');
    expect(world.fake.requests).toHaveLength(6);
    expect(world.fake.violations).toEqual([]);
  });
});

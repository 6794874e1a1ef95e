// The composition loop on an in-memory tree (fakes of our own ComposeDeps and Fixer interfaces):
// which fixers are kept, which reverted, when it stops, and why; and the progress verdicts.
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.js';
import { composeFixers, type ComposeDeps } from '../../src/fixer/compose/compose.js';
import { judge } from '../../src/fixer/compose/progress.js';
import type { Diagnosis, DiagnosisTool, FixerName } from '../../src/task.js';
import type { Failure, Fixer, FixerOutcome } from '../../src/fixer/types.js';

// The "command" has three steps, each failing while its problem is in the tree.
const STEPS: Array<{ problem: string; tool: DiagnosisTool }> = [
  { problem: 'lint', tool: 'eslint' },
  { problem: 'format', tool: 'prettier' },
  { problem: 'test', tool: 'node-test' },
];

function failureAt(index: number, locations = 1): Failure {
  const { tool } = STEPS[index]!;
  const diagnosis: Diagnosis = {
    tool,
    category: 'unknown',
    step: { index, command: `step ${index}` },
    locations: Array.from({ length: locations }, (_, i) => ({ path: `f${i}.js`, line: i + 1, column: null })),
    excerpt: [],
    summary: `${tool} failed`,
  };
  return { command: `step ${index}`, exitCode: 1, output: tool, diagnosis };
}

class World {
  tree = new Set<string>();
  checkpoint = new Set<string>();
  verifies = 0;
  rechecks: number[] = [];
  logs: string[] = [];
  constructor(problems: string[]) {
    this.tree = new Set(problems);
    this.checkpoint = new Set(problems);
  }
  private failure(from: number): Failure | null {
    const at = STEPS.findIndex((s, i) => i >= from && this.tree.has(s.problem));
    return at < 0 ? null : failureAt(at);
  }
  deps(overrides: Partial<ComposeDeps> = {}, registry: Fixer[] = []): ComposeDeps {
    return {
      registry,
      apply: async (fixer) => (fixer as FakeFixer).act(this.tree),
      changed: async () => [...this.tree].sort().join() !== [...this.checkpoint].sort().join(),
      keep: async () => {
        this.checkpoint = new Set(this.tree);
      },
      revert: async () => {
        this.tree = new Set(this.checkpoint);
      },
      recheck: async (current) => {
        const from = current.diagnosis.step?.index ?? 0;
        this.rechecks.push(from);
        return { failure: this.failure(from), whole: from === 0 };
      },
      verify: async () => {
        this.verifies++;
        return this.failure(0);
      },
      setPhase: async () => undefined,
      log: (text) => void this.logs.push(text),
      ...overrides,
    };
  }
}

interface FakeFixer extends Fixer {
  act(tree: Set<string>): FixerOutcome;
}

function fixer(name: FixerName, tool: DiagnosisTool, act: (tree: Set<string>) => unknown): FakeFixer {
  return {
    name,
    ecosystem: 'javascript',
    detect: (failure) => failure.diagnosis.tool === tool,
    apply: async () => ({ status: 'applied' }),
    // A fake that only edits the tree (returns nothing) applied its change.
    act: (tree) => (act(tree) as FixerOutcome | undefined) ?? { status: 'applied' },
  };
}
const removes = (problem: string, adds?: string) => (tree: Set<string>) => {
  tree.delete(problem);
  if (adds) tree.add(adds);
};

describe('composeFixers', () => {
  it('keeps fixers in order, each on top of the last, and proves the end with the whole command', async () => {
    const world = new World(['lint', 'format']);
    const registry = [fixer('prettier', 'prettier', removes('format')), fixer('eslint', 'eslint', removes('lint'))];
    const result = await composeFixers(failureAt(0), world.deps({}, registry));
    expect(result).toMatchObject({
      kept: ['eslint', 'prettier'],
      passed: true,
      failure: null,
      reason: null,
      unchanged: false,
    });
    // eslint re-checked from step 0 (the whole command), prettier from step 1, then the proof.
    expect(world.rechecks).toEqual([0, 1]);
    expect(world.verifies).toBe(1);
    expect(world.tree.size).toBe(0);
  });

  it('reverts a fixer that makes things no better and tries the next one', async () => {
    const world = new World(['format']);
    const registry = [
      fixer('biome', 'prettier', removes('format', 'lint')), // breaks an earlier step
      fixer('prettier', 'prettier', removes('format')),
    ];
    const result = await composeFixers(failureAt(1), world.deps({}, registry));
    expect(result).toMatchObject({ kept: ['prettier'], passed: true });
    expect(world.logs).toContain('fixer biome made it no better (earlier): reverted');
  });

  it("undoes a fixer that throws, and goes on with the next one; the task's own errors pass through", async () => {
    const world = new World(['format']);
    const buggy = fixer('biome', 'prettier', (t) => {
      t.add('half-written');
      throw new RangeError('fixer bug');
    });
    const result = await composeFixers(
      failureAt(1),
      world.deps({}, [buggy, fixer('prettier', 'prettier', removes('format'))]),
    );
    expect(result).toMatchObject({ kept: ['prettier'], passed: true });
    expect(world.tree.has('half-written')).toBe(false);
    expect(world.logs).toContain('fixer biome failed (RangeError): reverted');
    const timeout = fixer('prettier', 'prettier', () => {
      throw new TaskError('task_timeout', 'out of time');
    });
    await expect(composeFixers(failureAt(1), new World(['format']).deps({}, [timeout]))).rejects.toMatchObject({
      code: 'task_timeout',
    });
  });

  it('stops with a reason: nothing recognises it, nothing helped, the tool is missing, or the failure comes back', async () => {
    const none = await composeFixers(
      failureAt(2),
      new World(['test']).deps({}, [fixer('prettier', 'prettier', removes('format'))]),
    );
    expect(none).toMatchObject({
      kept: [],
      passed: false,
      reason: 'no fixer recognises this failure: node-test failed',
    });

    const noop = await composeFixers(
      failureAt(1),
      new World(['format']).deps({}, [fixer('prettier', 'prettier', () => undefined)]),
    );
    expect(noop).toMatchObject({ kept: [], passed: false, unchanged: true, reason: 'fixers did not help: prettier' });

    const missing = fixer('prettier', 'prettier', () => ({
      status: 'tool_missing',
      message: 'prettier not found: add it to setup in .ci-fixer.yml',
    }));
    const toolMissing = await composeFixers(failureAt(1), new World(['format']).deps({}, [missing]));
    expect(toolMissing.reason).toBe('tool missing: prettier not found: add it to setup in .ci-fixer.yml');

    // A fixer that breaks an earlier step is reverted even when its own step passes.
    const breaks = await composeFixers(
      failureAt(1),
      new World(['format']).deps({}, [fixer('prettier', 'prettier', removes('format', 'lint'))]),
    );
    expect(breaks).toMatchObject({ kept: [], passed: false, reason: 'fixers did not help: prettier' });

    // prettier turns the step's failure into eslint's, eslint back into prettier's: stopped when it repeats.
    const world = new World(['format']);
    let flips = 0;
    const flip = (t: Set<string>) => void t.add(`change ${++flips}`);
    const sameStepAs = (tool: DiagnosisTool): Failure => ({
      ...failureAt(1),
      diagnosis: { ...failureAt(1).diagnosis, tool },
    });
    const deps = world.deps(
      { recheck: async () => ({ failure: sameStepAs(flips % 2 === 1 ? 'eslint' : 'prettier'), whole: true }) },
      [fixer('prettier', 'prettier', flip), fixer('eslint', 'eslint', flip)],
    );
    const cycle = await composeFixers(failureAt(1), deps);
    expect(cycle).toMatchObject({
      kept: ['prettier', 'eslint'],
      passed: false,
      reason: 'the failure stays the same after prettier, eslint: prettier failed',
    });
  });

  it('reports what remains after kept fixers, and honours the task fixers list', async () => {
    const world = new World(['format', 'test']);
    const registry = [fixer('prettier', 'prettier', removes('format'))];
    const result = await composeFixers(failureAt(1), world.deps({}, registry));
    expect(result).toMatchObject({
      kept: ['prettier'],
      passed: false,
      reason: 'after prettier the command still fails and no fixer recognises it: node-test failed',
    });
    expect(result.failure?.diagnosis.step?.index).toBe(2);
    const limited = await composeFixers(failureAt(1), new World(['format']).deps({ allowed: ['eslint'] }, registry));
    expect(limited.reason).toBe('no fixer the task allows (eslint) recognises this failure: prettier failed');
  });
});

describe('judge', () => {
  it('calls a later failing step, another tool, or fewer locations progress, and nothing else', () => {
    expect(judge(failureAt(1), null)).toEqual({ progress: true, kind: 'passed' });
    expect(judge(failureAt(0), failureAt(1))).toEqual({ progress: true, kind: 'later' });
    expect(judge(failureAt(1), failureAt(0))).toEqual({ progress: false, kind: 'earlier' });
    expect(judge(failureAt(1, 3), failureAt(1, 1))).toEqual({ progress: true, kind: 'fewer' });
    expect(judge(failureAt(1, 2), failureAt(1, 2))).toEqual({ progress: false, kind: 'same' });
    const other = failureAt(1);
    other.diagnosis = { ...other.diagnosis, tool: 'eslint' };
    expect(judge(failureAt(1), other)).toEqual({ progress: true, kind: 'different' });
    const moved = failureAt(1, 1);
    moved.diagnosis = { ...moved.diagnosis, locations: [{ path: 'new.js', line: 1, column: null }] };
    expect(judge(failureAt(1, 2), moved)).toEqual({ progress: false, kind: 'not_fewer' });
  });
});

// bench:fix --model --fake: the scripted endpoint finds the case from the agent's real task prompt
// and plays a fix that is a real one-occurrence edit, never to a test file.
import { describe, expect, it } from 'vitest';
import { CORPUS, type BenchCase } from '../../scripts/bench/corpus/index.js';
import { caseOfRequest, modelCases, scriptedModel } from '../../scripts/bench/fix-model.js';
import { testFilesIn } from '../../scripts/bench/fix-report.js';
import { taskPrompt } from '../../src/fixer/agent/prompt.js';
import type { AgentContext } from '../../src/fixer/types.js';
import type { RecordedChatRequest } from '../support/fake-openai.js';

function requestFor(c: BenchCase, assistantTurns = 0): RecordedChatRequest {
  const ctx = {
    command: c.command,
    files: Object.keys(c.files()).sort(),
    failure: {
      command: c.command,
      exitCode: 1,
      output: 'FAIL',
      diagnosis: { tool: 'unknown', category: 'test', locations: [], excerpt: [], summary: 'it failed' },
    },
  } as unknown as AgentContext;
  const assistant = Array.from({ length: assistantTurns }, () => ({ role: 'assistant', content: 'ok' }));
  return {
    authorization: undefined,
    aborted: false,
    body: {
      model: 'm',
      messages: [{ role: 'system', content: 'rules' }, { role: 'user', content: taskPrompt(ctx) }, ...assistant],
    },
  };
}

const byName = (name: string): BenchCase => CORPUS.find((c) => c.name === name) as BenchCase;

describe('the model mode of bench:fix', () => {
  it('scripts a fix for most model-needed cases, each replacing text that occurs once in a file that is no test', () => {
    const scripted = CORPUS.filter((c) => c.modelFix);
    expect(scripted.length).toBeGreaterThanOrEqual(5);
    for (const c of scripted) {
      const fix = c.modelFix!;
      expect(c.needsModel, c.name).toBe(true);
      const content = c.files()[fix.path];
      expect(content, `${c.name}: ${fix.path}`).toBeTypeOf('string');
      expect(String(content).split(fix.old_string).length - 1, c.name).toBe(1);
      expect(testFilesIn(`diff --git a/${fix.path} b/${fix.path}\n`), c.name).toEqual([]);
    }
  });

  it('keeps only the model-needed cases, expecting a fix where one is scripted and a give-up elsewhere', () => {
    const cases = modelCases(CORPUS, true);
    expect(cases.map((c) => c.name)).toEqual(CORPUS.filter((c) => c.needsModel).map((c) => c.name));
    expect(cases.find((c) => c.name === 'go-test')?.expect).toEqual({ outcome: 'fixed', fixers: ['model'] });
    expect(cases.find((c) => c.name === 'js-eslint-unfixable')?.expect).toEqual({ outcome: 'not_fixed' });
    expect(modelCases(CORPUS, false).every((c) => c.expect.outcome === 'fixed')).toBe(true);
  });

  it('tells cases apart by command and files, even when one case holds all of another’s files', () => {
    const cases = modelCases(CORPUS, true);
    for (const c of cases) expect(caseOfRequest(cases, requestFor(c)).name).toBe(c.name);
    expect(Object.keys(byName('go-test').files()).every((f) => f in byName('go-vet').files())).toBe(true);
    expect(() => caseOfRequest(cases, requestFor({ ...byName('go-test'), command: 'make' }))).toThrow(
      /no case has the command "make"/,
    );
  });

  it('plays edit_file first, then finish; a case without a scripted fix gives up at once', () => {
    const model = scriptedModel(modelCases(CORPUS, true));
    expect(model(requestFor(byName('go-test')))).toEqual({
      calls: [{ name: 'edit_file', arguments: byName('go-test').modelFix }],
    });
    expect(model(requestFor(byName('go-test'), 2))).toEqual({
      calls: [{ name: 'finish', arguments: { summary: 'go-test: edited pkg/calc/calc.go' } }],
    });
    expect(model(requestFor(byName('js-eslint-unfixable')))).toEqual({
      calls: [{ name: 'finish', arguments: { summary: 'cannot fix js-eslint-unfixable: no scripted fix' } }],
    });
  });
});

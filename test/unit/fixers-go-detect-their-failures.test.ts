// Which Go fixer takes which captured failure: each one its own, none the ones no tool fixes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUTS_DIR, type CapturedOutput } from '../../scripts/capture-go-outputs.js';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { applicableFixers } from '../../src/fixer/fixers/index.js';
import type { Failure } from '../../src/fixer/types.js';

function failure(name: string): Failure {
  const run = JSON.parse(readFileSync(path.join(OUTPUTS_DIR, `${name}.json`), 'utf8')) as CapturedOutput;
  return { command: run.command, exitCode: run.exitCode, output: run.output, diagnosis: diagnose(run) };
}

const fixerNames = (name: string) => applicableFixers(failure(name)).map((f) => f.name);

describe('go fixers detect', () => {
  it.each([
    ['gofmt/idiom', ['gofmt']],
    ['gofmt/list', ['gofmt']],
    ['gofmt/diff', ['gofmt']],
    ['goimports/idiom', ['goimports']],
    ['goimports/diff', ['goimports']],
    ['goimports/missing', ['goimports']], // to say what to add to setup
    ['go-mod/missing-module', ['go-mod-tidy']],
    ['go-mod/missing-go-sum', ['go-mod-tidy']],
    ['go-mod/updates-needed', ['go-mod-tidy']],
    ['go-mod/inconsistent-vendoring', ['go-mod-tidy']],
  ])('%s: %j', (name, expected) => {
    expect(fixerNames(name)).toEqual(expected);
  });

  it.each([
    'go-build/build',
    'go-build/under-go-test',
    'go-vet/vet',
    'go-vet/under-go-test',
    'go-test/fail',
    'go-mod/toolchain-newer',
  ])('%s: no tool fixes it', (name) => {
    expect(fixerNames(name)).toEqual([]);
  });
});

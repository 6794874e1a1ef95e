// Go cases: the Go fixtures (scripts/lib/fixtures/go.ts) behind CI-like commands.
import { GO_FIXTURES, type GoFixtureName } from '../../lib/fixtures/go.js';
import type { BenchCase, ModelFix } from './types.js';

function goCase(fixture: GoFixtureName, rest: Omit<BenchCase, 'name' | 'ecosystem' | 'command' | 'files'>): BenchCase {
  const { files, command } = GO_FIXTURES[fixture];
  return {
    name: fixture.startsWith('go') ? fixture : `go-${fixture}`,
    ecosystem: 'go',
    command,
    files: () => ({ ...files }),
    ...rest,
  };
}

const calcFix = (path: string, old_string: string, new_string: string): ModelFix => ({ path, old_string, new_string });

export const goCases: BenchCase[] = [
  goCase('gofmt', { category: 'format', expect: { outcome: 'fixed', fixers: ['gofmt'] } }),
  goCase('gofmt-diff', { category: 'format', expect: { outcome: 'fixed', fixers: ['gofmt'] } }),
  goCase('gofmt-list', { category: 'format', expect: { outcome: 'fixed', fixers: ['gofmt'] } }),
  goCase('goimports', { category: 'format', expect: { outcome: 'fixed', fixers: ['goimports'] } }),
  goCase('goimports-diff', { category: 'format', expect: { outcome: 'fixed', fixers: ['goimports'] } }),
  goCase('go-mod-missing', { category: 'dependency', expect: { outcome: 'fixed', fixers: ['go-mod-tidy'] } }),
  goCase('go-sum-missing', { category: 'dependency', expect: { outcome: 'fixed', fixers: ['go-mod-tidy'] } }),
  goCase('go-mod-updates', { category: 'dependency', expect: { outcome: 'fixed', fixers: ['go-mod-tidy'] } }),
  goCase('go-vendor', { category: 'dependency', expect: { outcome: 'fixed', fixers: ['go-mod-tidy'] } }),
  goCase('gofmt-and-go-mod', { category: 'format', expect: { outcome: 'fixed', fixers: ['gofmt', 'go-mod-tidy'] } }),
  goCase('go-mod-tidy-diff', { category: 'generated', expect: { outcome: 'fixed', fixers: ['generated'] } }),
  goCase('go-build', {
    category: 'build',
    needsModel: true,
    modelFix: calcFix('pkg/calc/calc.go', 'a + b + offset', 'a + b'),
    expect: { outcome: 'not_fixed' },
  }),
  goCase('go-vet', {
    category: 'lint',
    needsModel: true,
    modelFix: calcFix('pkg/calc/describe.go', '"%s", Add', '"%d", Add'),
    expect: { outcome: 'not_fixed' },
  }),
  goCase('go-test', {
    category: 'test',
    needsModel: true,
    modelFix: calcFix('pkg/calc/calc.go', 'a - b', 'a + b'),
    expect: { outcome: 'not_fixed' },
  }),
  goCase('goimports-missing', { category: 'format', toolMissing: true, expect: { outcome: 'not_fixed' } }),
  goCase('go-toolchain-newer', { category: 'environment', toolMissing: true, expect: { outcome: 'not_fixed' } }),
  goCase('go-passing', { category: 'green', expect: { outcome: 'not_reproduced' } }),
];

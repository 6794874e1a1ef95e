// Go fixture repositories for pipeline tests, in temp folders the file's environment removes.
import path from 'node:path';
import { createGoFixture, type GoFixtureName } from '../../scripts/lib/fixtures/go.js';
import type { FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import type { Fixtures } from './fix-pipeline.js';

export async function goRepo(fixtures: Fixtures, name: GoFixtureName): Promise<FixtureRepo> {
  return createGoFixture(path.join(await fixtures.tempDir(`go-${name}`), 'repo'), name);
}

/** The fixers' log lines (system stream) of a run. */
export function systemLines(logs: Array<{ stream: string; text: string }>): string[] {
  return logs.filter((l) => l.stream === 'system').map((l) => l.text);
}

// A first `go run …@version` or module fetch on a cold cache downloads and builds; warm runs take
// a second. This is a bound, not a timing assertion.
export const COLD_GO_CACHE_MS = 180_000;

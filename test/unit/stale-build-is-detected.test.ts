// The e2e and k8s tiers run dist/; a source file newer than the last build must be noticed.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP, staleReason } from '../../scripts/lib/build-freshness.js';

describe('build freshness', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-stale-'));
    await mkdir(path.join(root, 'src/api'), { recursive: true });
    await mkdir(path.join(root, 'workers'));
    await writeFile(path.join(root, 'src/api/app.ts'), '');
    await writeFile(path.join(root, 'package.json'), '{}');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const stampAt = async (seconds: number) => {
    await mkdir(path.join(root, 'dist'), { recursive: true });
    await writeFile(path.join(root, BUILD_STAMP), '');
    await utimes(path.join(root, BUILD_STAMP), seconds, seconds);
  };

  it('calls a never-built dist/ stale', () => {
    expect(staleReason(root)).toMatch(/has never been built/);
  });

  it('names the source file that is newer than the build', async () => {
    await stampAt(1_000_000);
    await utimes(path.join(root, 'package.json'), 900_000, 900_000);
    await utimes(path.join(root, 'src/api/app.ts'), 1_000_100, 1_000_100);
    expect(staleReason(root)).toBe('src/api/app.ts is newer than the last build');
  });

  it('calls dist/ fresh when every input is older than the stamp', async () => {
    for (const file of ['src/api/app.ts', 'package.json', 'src/api', 'src', 'workers'])
      await utimes(path.join(root, file), 900_000, 900_000);
    await stampAt(1_000_000);
    expect(staleReason(root)).toBeUndefined();
  });
});

// What can be checked of the Dockerfile without a Docker engine: it parses and validates, every
// COPY source exists and survives .dockerignore, the stages run the commands the issue names,
// and the final stage starts the compiled entry point as a non-root user under an init.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';

const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

const args = new Map(
  dockerfile.getARGs().map((a) => {
    const p = a.getProperty();
    return [p?.getName() ?? '', p?.getValue() ?? ''] as const;
  }),
);
const resolveArgs = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
const stages = dockerfile.getFROMs();
const instructionsOf = (stage: number): Instruction[] => {
  const start = stages[stage]!.getRange().start.line;
  const end = stages[stage + 1]?.getRange().start.line ?? Number.MAX_SAFE_INTEGER;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line > start && i.getRange().start.line < end);
};
const runs = (stage: number) =>
  instructionsOf(stage)
    .filter((i) => i.getKeyword() === 'RUN')
    .map((i) => i.getArgumentsContent() ?? '');
const final = stages.length - 1;

describe('Dockerfile', () => {
  it('has no syntax or semantic problems', () => {
    expect(validate(text)).toEqual([]);
  });

  it('builds in stages on an official Node 22/24 slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of stages)
      expect(resolveArgs(from.getImage() ?? '')).toMatch(/^node:(22|24)(\.[\d.]+)?-[a-z]+-slim$/);
  });

  // The tests on the real node and the podman engine build this Dockerfile on a local base image
  // (no public registry is reachable there) by passing NODE_IMAGE, so no stage may name an image
  // literally, and the default must stay the public one a plain `docker build` uses.
  it('takes every base image from a build argument declared before the first stage, defaulting to the public image', () => {
    const firstStage = stages[0]!.getRange().start.line;
    const globalArgs = dockerfile.getARGs().filter((a) => a.getRange().start.line < firstStage);
    for (const from of stages) {
      const match = /^\$\{(\w+)\}$/.exec(from.getImage() ?? '');
      expect(match, `FROM ${from.getImage()} is not a build argument`).not.toBeNull();
      const arg = globalArgs.find((a) => a.getProperty()?.getName() === match![1]);
      expect(arg, `ARG ${match![1]} is not declared before the first FROM`).toBeDefined();
    }
    expect(args.get('NODE_IMAGE')).toBe('node:24-bookworm-slim');
  });

  it('installs with npm ci and compiles in the build stage, and installs production deps only in the final stage', () => {
    expect(runs(0)).toContain('npm ci --no-audit --no-fund');
    expect(runs(0)).toContain('npm run build');
    expect(runs(final).some((r) => /^npm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runs(final).join('\n')).not.toMatch(/npm (run build|install)\b/);
  });

  it('copies only sources that exist and that .dockerignore lets into the context', () => {
    const copies = dockerfile.getCOPYs().filter((c) => c.getFromFlag() === null);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue());
      for (const source of sources) {
        expect(existsSync(join(REPO_ROOT, source)), `COPY source ${source}`).toBe(true);
        const top = source.replace(/^\.\//, '').split('/')[0];
        expect(ignored, `COPY source ${source} is excluded by .dockerignore`).not.toContain(top);
      }
    }
  });

  it('keeps local builds, secrets and VCS data out of the build context', () => {
    for (const entry of ['node_modules', 'dist', '.git', '.env', '.data']) expect(ignored).toContain(entry);
  });

  it('runs the compiled entry point as numeric non-root user under tini, one image for api and worker', () => {
    const user = instructionsOf(final)
      .filter((i) => i.getKeyword() === 'USER')
      .pop()
      ?.getArgumentsContent();
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const entrypoint = dockerfile.getENTRYPOINTs().pop()?.getArgumentsContent() ?? '';
    const argv = JSON.parse(entrypoint) as string[];
    expect(argv.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(runs(final).join('\n')).toMatch(/apt-get install .*\btini\b/);
    // tsconfig.build.json compiles src/ and workers/ into dist/ with rootDir "."
    expect(argv.at(-1)).toBe('dist/src/main.js');
    expect(existsSync(join(REPO_ROOT, 'src/main.ts'))).toBe(true);
    const cmd = JSON.parse(dockerfile.getCMDs().pop()?.getArgumentsContent() ?? '[]') as string[];
    expect(['api', 'worker', 'all']).toContain(cmd[0]);
  });
});

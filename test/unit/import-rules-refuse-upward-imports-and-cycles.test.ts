// The import rules (.dependency-cruiser.cjs, run by `npm run lint`) on small trees of the repository's
// shape: an import down the layers passes, one that runs back up or closes a cycle (type-only
// included) fails, naming the rule. `npm run lint` itself checks the real tree.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';

const run = promisify(execFile);
const DEPCRUISE = join(REPO_ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');
const TSCONFIG = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } };

const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes the files into a fresh folder and runs the import rules over it: exit code and report. */
async function cruise(files: Record<string, string>): Promise<{ code: number; report: string }> {
  const root = mkdtempSync(join(tmpdir(), 'ci-fixer-import-rules-'));
  trees.push(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const args = [DEPCRUISE, '--config', CONFIG, '--output-type', 'err', 'src'];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: root, timeout: 60_000 });
    return { code: 0, report: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, report: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the import rules', () => {
  it('pass imports that go down the layers', async () => {
    const { code, report } = await cruise({
      'src/shared/shell.ts': 'export const quote = (s: string): string => s;\n',
      'src/sandbox/local.ts': "import { quote } from '../shared/shell.js';\nexport const run = quote;\n",
      'src/fixer/pipeline.ts': "import type { run } from '../sandbox/local.js';\nexport type Run = typeof run;\n",
      'src/api/app.ts': "import type { Run } from '../fixer/pipeline.js';\nexport type App = Run;\n",
      'src/main.ts': "import type { App } from './api/app.js';\nexport type Main = App;\n",
    });
    expect(report).toContain('no dependency violations');
    expect(code).toBe(0);
  }, 90_000);

  it('refuse an import that runs back up, naming the layer rule and both files', async () => {
    const { code, report } = await cruise({
      'src/api/app.ts': 'export const app = 1;\n',
      'src/sandbox/local.ts': "import { app } from '../api/app.js';\nexport const local = app;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toMatch(/layer-2-imports-upward: src\/sandbox\/local\.ts → src\/api\/app\.ts/);
  }, 90_000);

  it('refuse the API importing the console: the composition root mounts it', async () => {
    const { code, report } = await cruise({
      'src/console/index.ts': 'export const ui = 1;\n',
      'src/api/app.ts': "import { ui } from '../console/index.js';\nexport const app = ui;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toMatch(/imports-upward: src\/api\/app\.ts → src\/console\/index\.ts/);
  }, 90_000);

  it('refuse a cycle made of type-only imports', async () => {
    const { code, report } = await cruise({
      'src/fixer/runner.ts': "import type { Ctx } from './types.js';\nexport type Result = { ctx: Ctx };\n",
      'src/fixer/types.ts': "import type { Result } from './runner.js';\nexport type Ctx = { last?: Result };\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain('no-circular');
  }, 90_000);
});

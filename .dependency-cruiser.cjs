// Import rules: the layering of DEVELOPMENT.md ("Layers and import rules"), checked by
// `npm run lint`. A module may import from its own layer and the layers below it, never above.
// Layers, bottom to top (a path is a folder prefix or one file):
const LAYERS = [
  // 0: the shared vocabulary: typed errors, task types and hooks, bounded waits, small helpers.
  ['src/errors.ts', 'src/task.ts', 'src/task-hooks.ts', 'src/timeout.ts', 'src/shared/'],
  // 1: the logger and the one reader of the environment.
  ['src/logger.ts', 'src/config.ts'],
  // 2: stores and sandboxes: Redis helpers, task records and logs, the sandbox drivers.
  ['src/redis/', 'src/result/', 'src/sandbox/'],
  // 3: the fix engine (in a sandbox) and the queue (in Redis).
  ['src/fixer/', 'src/queue/'],
  // 4: what runs tasks and reports them: the worker, GitHub.
  ['workers/', 'src/github/'],
  // 5: HTTP: the API and its metrics.
  ['src/api/', 'src/metrics.ts'],
  // 6: the web console, mounted into the API by the composition root.
  ['src/console/'],
  // 7: the entry points: the composition root, and the chart's one-shot Secret initialiser.
  ['src/main.ts', 'src/init-secrets.ts'],
];

const escape = (p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (paths) => `^(${paths.map((p) => (p.endsWith('/') ? escape(p) : `${escape(p)}$`)).join('|')})`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i}-imports-upward`,
  comment: `${layer.join(', ')} may not import from a layer above it (DEVELOPMENT.md, "Layers and import rules")`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: pattern(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'A cycle, type-only imports included: one side belongs in a lower module.',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { circular: true },
    },
    {
      name: 'production-imports-no-tests',
      comment: 'src/ and workers/ never import tests, test support or scripts.',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dev-dependencies-in-production',
      comment: 'src/ and workers/ ship in the image without devDependencies.',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // TypeScript 7.0 has no JavaScript API for dependency-cruiser: swc parses the sources instead,
    // before compilation, so type-only imports count too (tsPreCompilationDeps would ask for tsc).
    parser: 'swc',
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)fixtures/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

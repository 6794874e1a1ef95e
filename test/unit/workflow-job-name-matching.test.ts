// A workflow file is repository content: its job names must not be able to stall the worker.
// Matching ${{ }} expressions is a linear scan, not a regular expression built from the name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobCommandFromWorkflow, matchesJobName } from '../../src/fixer/repo-config.js';

describe('job-name matching with ${{ }} expressions', () => {
  it('returns on a hostile workflow file whose job name has twelve expressions', () => {
    // Built as `.+` x 12, this took longer than 120 s against a 40-character name.
    const name = Array.from({ length: 12 }, (_, i) => `\${{ matrix.v${i} }}`).join('');
    const workflow = `jobs:\n  evil:\n    name: "${name}x"\n    steps:\n      - run: echo hi\n`;
    const wanted = 'a'.repeat(40);
    expect(jobCommandFromWorkflow(workflow, wanted)).toBeUndefined();
    expect(matchesJobName(`${name}x`, 'a'.repeat(5000))).toBe(false);
    expect(matchesJobName(name, wanted)).toBe(true);
  });

  it('matches an expanded matrix name and nothing looser', () => {
    expect(matchesJobName('test (${{ matrix.node }})', 'test (18)')).toBe(true);
    expect(matchesJobName('test (${{ matrix.node }})', 'test ()')).toBe(false);
    expect(matchesJobName('${{ a }}-${{ b }}', 'x-y')).toBe(true);
    expect(matchesJobName('${{ a }}-${{ b }}', 'x-')).toBe(false);
    expect(matchesJobName('${{ a }}${{ b }}', 'x')).toBe(false);
    expect(matchesJobName('plain', 'plain')).toBe(true);
    expect(matchesJobName('plain', 'plainer')).toBe(false);
  });

  it('agrees with the anchored `.+` pattern it replaces on short names', () => {
    const piece = fc.stringMatching(/^[ab-]{0,3}$/);
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 4 }),
        fc.stringMatching(/^[ab-]{0,8}$/),
        (parts, wanted) => {
          const name = parts.join('${{ x }}');
          const regex = new RegExp(`^${parts.map((p) => p.replace(/[-]/g, '\\-')).join('.+')}$`);
          expect(matchesJobName(name, wanted)).toBe(regex.test(wanted));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

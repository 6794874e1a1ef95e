// The verify script's rule comparison: the expected Role passes, and any grant beyond it (an extra
// resource, verb, wildcard, resource name or URL) or any missing grant is named.
import { describe, expect, it } from 'vitest';
import { EXPECTED_RULES, formatTable, ruleProblems } from '../../scripts/verify-k8s-deployment.js';

const exact = EXPECTED_RULES.map((r) => ({ apiGroups: [r.group], resources: [r.resource], verbs: [...r.verbs] }));

describe('verify-k8s-deployment rule check', () => {
  it('accepts exactly the expected rules, however they are grouped', () => {
    expect(ruleProblems(exact)).toEqual({ extra: [], missing: [] });
    const regrouped = [
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['delete', 'watch', 'list', 'get', 'create'] },
    ];
    expect(ruleProblems(regrouped)).toEqual({ extra: [], missing: [] });
  });

  it('names extra resources, verbs and wildcards', () => {
    const over = [
      ...exact,
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['patch'] },
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    ];
    expect(ruleProblems(over).extra).toEqual(['get secrets', 'list secrets', 'patch batch/jobs', '* */*']);
  });

  it('names resourceNames and non-resource URLs as extra grants', () => {
    const odd = [
      ...exact,
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ];
    expect(ruleProblems(odd).extra).toEqual(['resourceNames x', 'get configmaps', 'non-resource URLs /metrics']);
  });

  it('names grants the worker needs but the Role lacks', () => {
    const without = exact.filter((r) => r.resources[0] !== 'pods/log');
    expect(ruleProblems(without).missing).toEqual(['get pods/log']);
  });

  it('prints one ✅/❌ row per check and a count', () => {
    const table = formatTable([
      { ok: true, name: 'a check', detail: '' },
      { ok: false, name: 'another check', detail: 'extra: get secrets' },
    ]);
    expect(table.split('\n')).toEqual([
      '✅  a check',
      '❌  another check  extra: get secrets',
      '',
      '1 checks ok, 1 not ok',
    ]);
  });
});

// The e2e tier runs tasks in local sandboxes, whatever the shell exports: a KUBECONFIG left in the
// environment (SANDBOX_DRIVER=auto would follow it) must not move the tier onto a cluster.
import { describe, expect, it } from 'vitest';
import { useE2eStack } from '../support/e2e-stack.js';

describe('the e2e tier', () => {
  const stack = useE2eStack('e2e-driver');

  it('runs on the local driver even with a KUBECONFIG exported', async () => {
    const api = await stack.start('api', { KUBECONFIG: '/nonexistent/kubeconfig' });
    const started = await api.waitForLog('ci_fixer_started');
    expect(started.sandbox).toBe('local');
  });
});

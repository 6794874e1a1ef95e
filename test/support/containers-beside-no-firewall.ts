// A setup file of the containers tier: every file first makes sure the real node's NetworkPolicy
// controller (kube-router, k8s-real tier) is not running on this host. Its chains sit first in the
// FORWARD chain, and bridged traffic goes through FORWARD here (net.bridge.bridge-nf-call-iptables
// is 1): a run beside it saw the Compose worker fail to reach its Redis (`connect ETIMEDOUT`). Checked
// per file, not in the global setup: in one vitest run with both tiers the real node starts in
// the k8s-real tier's global setup, after the containers tier's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll } from 'vitest';

const run = promisify(execFile);

beforeAll(async () => {
  const { stdout } = await run('iptables', ['-S', 'FORWARD'], { timeout: 10_000 });
  const rules = stdout.split('\n').filter((line) => /KUBE-ROUTER|kube-router/.test(line));
  if (rules.length > 0)
    throw new Error(
      `containers tier: the real node's NetworkPolicy controller has rules in this host's FORWARD chain (${rules[0]}); ` +
        'run the containers tier before or after the k8s-real tier, not beside it (stop the node: npm run cluster:real-node:down)',
    );
});

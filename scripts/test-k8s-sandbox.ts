// The seed's smoke test of the Kubernetes sandbox: create a sandbox Job, run one command in it,
// tear it down, and check the Job is gone. Configured like the worker (KUBECONFIG or in-cluster,
// SANDBOX_NAMESPACE, SANDBOX_IMAGE, ...). Prints ✅/❌ lines; exits non-zero on any failure.
//
//   KUBECONFIG=~/.kube/config npx tsx scripts/test-k8s-sandbox.ts
// First: fails with one line on a Node too old for the imports below.
import './lib/require-node.js';
import { randomUUID } from 'node:crypto';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { apiStatusCode, apiMessage } from '../src/sandbox/kubernetes/api-errors.js';
import { jobNameForTask, SANDBOX_SERVICE_ACCOUNT } from '../src/sandbox/kubernetes/labels.js';
import { createKubernetesSandboxProvider } from '../src/sandbox/kubernetes/provider.js';
import type { Sandbox } from '../src/sandbox/types.js';

const ok = (message: string) => console.log(`✅ ${message}`);
const fail = (message: string) => console.error(`❌ ${message}`);

async function main(): Promise<number> {
  console.log('Testing Kubernetes Job spawning...');
  const config = loadConfig({ ...process.env, SANDBOX_DRIVER: 'kubernetes' });
  const k8s = config.sandbox.kubernetes;
  if (k8s.kubeconfig === undefined && !k8s.inCluster) {
    fail('no cluster configured: set KUBECONFIG (or run inside a pod)');
    return 1;
  }
  const kc = new KubeConfig();
  if (k8s.kubeconfig !== undefined) kc.loadFromFile(k8s.kubeconfig);
  else kc.loadFromCluster();
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);

  try {
    await core.readNamespacedServiceAccount({ name: SANDBOX_SERVICE_ACCOUNT, namespace: k8s.namespace });
  } catch (err) {
    fail(
      apiStatusCode(err) === 404
        ? `ServiceAccount ${k8s.namespace}/${SANDBOX_SERVICE_ACCOUNT} is missing (apply k8s/rbac first)`
        : `cannot reach the cluster: ${apiMessage(err)}`,
    );
    return 1;
  }

  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const provider = createKubernetesSandboxProvider({ config: k8s, logger });
  const taskId = `smoke-${randomUUID()}`;
  const jobName = jobNameForTask(taskId);
  let sandbox: Sandbox | undefined;
  try {
    await provider.start();
    sandbox = await provider.create({ taskId, timeoutSeconds: 120 });
    ok(`Job created successfully (${k8s.namespace}/${jobName}, pod ready)`);

    const lines: string[] = [];
    const result = await sandbox.exec('echo "Hello from K8s sandbox!"', {
      timeoutMs: 30_000,
      onOutput: (_stream, line) => lines.push(line),
    });
    if (result.exitCode !== 0 || !lines.includes('Hello from K8s sandbox!')) {
      fail(`Command failed: exit ${result.exitCode}, output ${JSON.stringify(lines)}`);
      return 1;
    }
    ok(`Command executed: ${lines.join('\n')}`);

    await sandbox.dispose();
    sandbox = undefined;
    try {
      await batch.readNamespacedJob({ name: jobName, namespace: k8s.namespace });
      fail(`Job ${jobName} still exists after teardown`);
      return 1;
    } catch (err) {
      if (apiStatusCode(err) !== 404) throw err;
    }
    ok('Job deleted successfully');
    return 0;
  } catch (err) {
    fail(`Test failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await sandbox?.dispose().catch(() => undefined);
    await provider.stop();
  }
}

process.exitCode = await main();

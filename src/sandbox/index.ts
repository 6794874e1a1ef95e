// Picks the sandbox driver from config. The Kubernetes driver is loaded lazily so the local path
// (a laptop, `npm start`) never touches @kubernetes/client-node.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createLocalSandboxProvider } from './local.js';
import type { SandboxProvider } from './types.js';

export interface SandboxProviderDeps {
  /** Whether a worker still holds the task; the kubernetes reaper deletes Jobs of tasks that are not. */
  isTaskActive?: (taskId: string) => Promise<boolean>;
}

export async function createSandboxProvider(
  config: Config['sandbox'],
  logger: Logger,
  deps: SandboxProviderDeps = {},
): Promise<SandboxProvider> {
  if (config.driver === 'local') {
    return createLocalSandboxProvider({ ...(config.local.dir ? { baseDir: config.local.dir } : {}), logger });
  }
  const { createKubernetesSandboxProvider } = await import('./kubernetes/provider.js');
  return createKubernetesSandboxProvider({ config: config.kubernetes, logger, ...deps });
}

// Placeholder until the Kubernetes Job driver lands: selecting it fails at startup with a clear
// error instead of silently falling back to the unisolated local driver.
import type { Config } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { SandboxProvider } from '../types.js';

export interface KubernetesSandboxProviderOptions {
  config: Config['sandbox']['kubernetes'];
  logger: Logger;
}

export function createKubernetesSandboxProvider(_options: KubernetesSandboxProviderOptions): SandboxProvider {
  throw new ConfigError('SANDBOX_DRIVER=kubernetes is not available in this build yet; use SANDBOX_DRIVER=local');
}

// `node dist/src/init-secrets.js --secret NAME [--helm-release NAME]`: the one-shot Job of the
// plain manifests (chart/templates/secret-init.yaml, rendered into k8s/). A static manifest cannot
// hold a random value, and the deployment guide has no step that creates the Secret, so the Job
// creates it in its own namespace with a random API_TOKENS and REDIS_PASSWORD; an existing Secret
// is never read or changed (applying the manifests again keeps the tokens).
//
// With --helm-release the Secret carries Helm's ownership label and annotations, so a later
// `helm install <release> ./chart` in the same namespace adopts it (and its lookup keeps the values)
// instead of failing on an object it does not own.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ConfigError, InfrastructureError } from './errors.js';
import { createLogger } from './logger.js';
import { apiMessage, apiStatusCode } from './sandbox/kubernetes/api-errors.js';

export interface EnsureSecretOptions {
  core: CoreV1Api;
  namespace: string;
  name: string;
  /** The Helm release that may adopt the Secret; undefined: no Helm metadata. */
  helmRelease?: string;
  /** A fresh secret value; 40 hex characters by default (safe in a redis:// URL and a token list). */
  random?: () => string;
}

export type EnsureSecretOutcome = 'created' | 'kept';

const randomHex = () => randomBytes(20).toString('hex');

/** Creates the Secret with random API_TOKENS and REDIS_PASSWORD unless it exists. */
export async function ensureSecret(options: EnsureSecretOptions): Promise<EnsureSecretOutcome> {
  const { core, namespace, name, helmRelease } = options;
  const random = options.random ?? randomHex;
  try {
    await core.readNamespacedSecret({ name, namespace });
    return 'kept';
  } catch (err) {
    if (apiStatusCode(err) !== 404) throw failed('read', namespace, name, err);
  }
  const helm =
    helmRelease === undefined
      ? {}
      : {
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': helmRelease, 'meta.helm.sh/release-namespace': namespace },
        };
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name, ...helm },
        type: 'Opaque',
        stringData: { API_TOKENS: random(), REDIS_PASSWORD: random() },
      },
    });
    return 'created';
  } catch (err) {
    // Another run of the Job created it in between: that one is kept.
    if (apiStatusCode(err) === 409) return 'kept';
    throw failed('create', namespace, name, err);
  }
}

function failed(verb: string, namespace: string, name: string, err: unknown): InfrastructureError {
  return new InfrastructureError(
    'secret_init_failed',
    `cannot ${verb} Secret ${namespace}/${name}: ${apiStatusCode(err) ?? '-'} ${apiMessage(err)}`,
    { cause: err },
  );
}

export async function main(argv: string[]): Promise<number> {
  const logger = createLogger('info');
  try {
    const { values } = parseArgs({
      args: argv,
      options: { secret: { type: 'string' }, 'helm-release': { type: 'string' } },
      strict: true,
    });
    if (!values.secret) throw new ConfigError('usage: init-secrets --secret NAME [--helm-release NAME]');
    const kc = new KubeConfig();
    kc.loadFromCluster();
    // The ServiceAccount's namespace file: the Job's own namespace, wherever it was applied.
    const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
    if (!namespace) throw new ConfigError('not in a pod: no ServiceAccount namespace file');
    const outcome = await ensureSecret({
      core: kc.makeApiClient(CoreV1Api),
      namespace,
      name: values.secret,
      helmRelease: values['helm-release'],
    });
    logger.info({ namespace, secret: values.secret }, outcome === 'created' ? 'secret_created' : 'secret_kept');
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'secret_init_failed');
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

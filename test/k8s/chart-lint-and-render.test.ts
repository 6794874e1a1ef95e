// helm lint --strict and helm template for both values files, and what every render must hold:
// restricted security contexts, probes, standard labels, the seed's names, least-privilege RBAC
// and a locked-down sandbox namespace.
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ruleProblems } from '../../scripts/verify-k8s-deployment.js';
import { CONFIG_DOCS } from '../../src/config.js';
import { renderChart, type K8sObject, type Rendered } from '../support/chart-render.js';
import { CHART, helm, helmOffline } from '../support/helm-release.js';

const VARIANTS = {
  'values.yaml': [] as string[],
  'values-prod.yaml': ['-f', `${CHART}/values-prod.yaml`],
};

describe.each(Object.entries(VARIANTS))('the chart with %s', (file, args) => {
  let r: Rendered;
  beforeAll(async () => {
    r = await renderChart(args, 'demo');
  });
  const deployments = () => r.all('Deployment');
  const appDeployments = () => [r.get('Deployment', 'ci-fixer-app'), r.get('Deployment', 'ci-fixer-worker')];

  it('passes helm lint --strict', async () => {
    const lint = await helmOffline(['lint', '--strict', CHART, ...args]);
    expect(lint.stderr + lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.code).toBe(0);
  });

  it('renders both Deployments with the seed names and labels', () => {
    for (const d of appDeployments()) {
      const podLabels = d.spec.template.metadata.labels as Record<string, string>;
      expect(podLabels).toMatchObject({
        app: 'ci-fixer',
        'app.kubernetes.io/name': 'ci-fixer',
        'app.kubernetes.io/instance': 'ci-fixer',
      });
      expect(d.metadata.labels).toHaveProperty('app.kubernetes.io/version');
      expect(d.metadata.labels).toHaveProperty('app.kubernetes.io/managed-by', 'Helm');
      expect(d.spec.template.spec.serviceAccountName).toBe('ci-fixer-app');
    }
    expect(appDeployments().map((d) => d.spec.template.spec.containers[0].args)).toEqual([['api'], ['worker']]);
  });

  it('gives every container a restricted security context', () => {
    for (const d of deployments()) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext, d.metadata.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext, `${d.metadata.name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.resources?.limits, `${d.metadata.name}/${c.name} limits`).toBeDefined();
      }
    }
  });

  it('probes api and worker on /healthz (liveness) and /readyz (readiness)', () => {
    for (const d of appDeployments()) {
      const c = d.spec.template.spec.containers[0];
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      const port = (c.ports as Array<{ name: string; containerPort: number }>).find(
        (p) => p.name === c.readinessProbe.httpGet.port,
      );
      expect(port?.containerPort).toBe(d.metadata.name === 'ci-fixer-app' ? 3001 : 9464);
    }
  });

  it('points the Service at container port 3001 of the api pods', () => {
    const svc = r.get('Service', 'ci-fixer-app');
    const api = r.get('Deployment', 'ci-fixer-app');
    expect(api.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    const port = api.spec.template.spec.containers[0].ports.find(
      (p: { name: string }) => p.name === svc.spec.ports[0].targetPort,
    );
    expect(port.containerPort).toBe(3001);
    expect(svc.spec.type).toBe(file === 'values.yaml' ? 'ClusterIP' : 'LoadBalancer');
  });

  it('gives the worker more termination grace than its drain time', () => {
    const drain = Number(r.get('ConfigMap', 'ci-fixer-config').data.WORKER_DRAIN_SECONDS);
    expect(r.get('Deployment', 'ci-fixer-worker').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      drain,
    );
  });

  it('mounts a ServiceAccount token only in the worker', () => {
    expect(r.get('Deployment', 'ci-fixer-app').spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(r.get('Deployment', 'ci-fixer-worker').spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(r.get('ServiceAccount', 'ci-fixer-app').automountServiceAccountToken).toBe(false);
  });

  it('grants exactly the sandbox-manager rules, in the sandbox namespace, to ci-fixer-app only', () => {
    const role = r.get('Role', 'ci-fixer-sandbox-manager');
    expect(ruleProblems(role.rules)).toEqual({ extra: [], missing: [] });
    expect(role.metadata.namespace).toBe('demo-sandbox');
    const binding = r.get('RoleBinding', 'ci-fixer-sandbox-binding');
    expect(binding.metadata.namespace).toBe('demo-sandbox');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ci-fixer-app', namespace: 'demo' }]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'ci-fixer-sandbox-manager',
    });
    expect(r.all('ClusterRole')).toEqual([]);
    expect(r.all('ClusterRoleBinding')).toEqual([]);
  });

  it('gives ci-fixer-sandbox no token and no binding at all', () => {
    const sa = r.get('ServiceAccount', 'ci-fixer-sandbox');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(sa.metadata.namespace).toBe('demo-sandbox');
    const bound = r
      .all('RoleBinding')
      .flatMap((b) => b.subjects as Array<{ name: string }>)
      .map((s) => s.name);
    expect(bound).not.toContain('ci-fixer-sandbox');
  });

  it('creates the sandbox namespace with Pod Security restricted enforced', () => {
    expect(r.get('Namespace', 'demo-sandbox').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    expect(r.get('ConfigMap', 'ci-fixer-config').data.SANDBOX_NAMESPACE).toBe('demo-sandbox');
  });

  it('lets sandbox pods reach DNS and the internet only', () => {
    const np = r.get('NetworkPolicy', 'ci-fixer-sandbox');
    expect(np.metadata.namespace).toBe('demo-sandbox');
    expect(np.spec.podSelector).toEqual({});
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([]);
    const [dns, internet] = np.spec.egress as K8sObject[];
    expect(dns!.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(dns!.to[0].podSelector.matchLabels).toEqual({ 'k8s-app': 'kube-dns' });
    expect(internet!.ports).toBeUndefined();
    const v4 = internet!.to.find((t: K8sObject) => t.ipBlock.cidr === '0.0.0.0/0').ipBlock;
    // Cluster pods/services (Redis, the API server's ClusterIP), nodes and metadata endpoints.
    expect(v4.except).toEqual(
      expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10']),
    );
  });

  it('caps sandboxes with a ResourceQuota and LimitRange sized from the sandbox values', () => {
    const cm = r.get('ConfigMap', 'ci-fixer-config').data;
    const quota = r.get('ResourceQuota', 'ci-fixer-sandbox').spec.hard;
    expect(quota.pods).toBe(cm.MAX_CONCURRENT_SANDBOXES);
    const n = Number(cm.MAX_CONCURRENT_SANDBOXES);
    const milli = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
    expect(milli(quota['limits.cpu'])).toBe(n * milli(cm.SANDBOX_CPU_LIMIT));
    expect(milli(quota['requests.cpu'])).toBe(n * milli(cm.SANDBOX_CPU_REQUEST));
    const max = r.get('LimitRange', 'ci-fixer-sandbox').spec.limits[0].max;
    expect(max).toEqual({
      cpu: cm.SANDBOX_CPU_LIMIT,
      memory: cm.SANDBOX_MEMORY_LIMIT,
      'ephemeral-storage': cm.SANDBOX_EPHEMERAL_STORAGE_LIMIT,
    });
  });

  it('has a PodDisruptionBudget for api and worker', () => {
    for (const name of ['ci-fixer-app', 'ci-fixer-worker']) {
      const pdb = r.get('PodDisruptionBudget', name);
      expect(r.get('Deployment', name).spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    }
  });

  it('writes only variables the app reads into the ConfigMap', () => {
    const known = new Set(CONFIG_DOCS.map((d) => d.name));
    expect(Object.keys(r.get('ConfigMap', 'ci-fixer-config').data).filter((key) => !known.has(key))).toEqual([]);
  });

  it('reads secrets from a Secret, never from the ConfigMap, each pod only the keys it uses', () => {
    const cm = r.get('ConfigMap', 'ci-fixer-config').data as Record<string, string>;
    for (const key of [
      'API_TOKENS',
      'REDIS_URL',
      'REDIS_PASSWORD',
      'GIT_TOKEN',
      'GITHUB_WEBHOOK_SECRETS',
      'GITHUB_APP_PRIVATE_KEY',
      'GITHUB_PERSONAL_TOKEN',
      'LLM_API_KEY',
    ])
      expect(cm).not.toHaveProperty(key);
    const secretKeys = (name: string) => {
      const c = r.get('Deployment', name).spec.template.spec.containers[0];
      // No envFrom of the whole Secret: that would hand every key to every pod.
      expect(c.envFrom, name).toEqual([{ configMapRef: { name: 'ci-fixer-config' } }]);
      return (c.env as Array<{ name: string; valueFrom?: { secretKeyRef?: { key: string } } }>)
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => e.valueFrom!.secretKeyRef!.key);
    };
    const redisKeys = file === 'values.yaml' ? ['REDIS_PASSWORD'] : ['REDIS_URL'];
    expect(secretKeys('ci-fixer-app')).toEqual(['API_TOKENS', 'GITHUB_WEBHOOK_SECRETS', 'GITHUB_APP_ID', ...redisKeys]);
    // The model's API key is the worker's alone: the api never calls the model.
    expect(secretKeys('ci-fixer-worker')).toEqual([
      'GIT_TOKEN',
      'GITHUB_APP_ID',
      'GITHUB_APP_PRIVATE_KEY',
      'GITHUB_PERSONAL_TOKEN',
      'LLM_API_KEY',
      ...redisKeys,
    ]);
    if (file === 'values.yaml')
      expect(Object.keys(r.get('Secret', 'ci-fixer-secrets').data)).toEqual(['API_TOKENS', 'REDIS_PASSWORD']);
    else expect(r.all('Secret')).toEqual([]); // existingSecret
  });

  it('puts a password on the bundled Redis, carried in REDIS_URL', () => {
    if (file !== 'values.yaml') {
      expect(r.all('Deployment').map((d) => d.metadata.name)).not.toContain('ci-fixer-redis');
      return;
    }
    const redis = r.get('Deployment', 'ci-fixer-redis').spec.template.spec.containers[0];
    expect(redis.args.slice(-2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    expect(redis.env.map((e: { name: string }) => e.name)).toEqual(['REDIS_PASSWORD', 'REDISCLI_AUTH']);
    for (const d of appDeployments()) {
      const env = d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
      const names = env.map((e) => e.name);
      // $(VAR) expands only from variables defined earlier in the list.
      expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
      expect(env.find((e) => e.name === 'REDIS_URL')?.value).toBe('redis://:$(REDIS_PASSWORD)@ci-fixer-redis:6379');
    }
  });
});

describe('chart secrets and NOTES', () => {
  it('writes the webhook and GitHub credentials into the Secret when given', async () => {
    const r = await renderChart([
      '--set',
      'secret.apiTokens=a\\,b',
      '--set',
      'secret.githubWebhookSecrets=whsec1\\,whsec2',
      '--set',
      'secret.githubAppId=12345',
      '--set',
      'secret.githubAppPrivateKey=pem',
      '--set',
      'secret.githubPersonalToken=ghp',
      '--set',
      'secret.gitToken=gt',
      '--set',
      'secret.llmApiKey=sk-llm',
      '--set',
      'redis.bundled.enabled=false',
      '--set',
      'secret.redisUrl=redis://redis.example:6379/0',
    ]);
    const data = r.get('Secret', 'ci-fixer-secrets').data as Record<string, string>;
    const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(decoded).toEqual({
      API_TOKENS: 'a,b',
      GITHUB_APP_ID: '12345',
      GITHUB_APP_PRIVATE_KEY: 'pem',
      GITHUB_PERSONAL_TOKEN: 'ghp',
      GITHUB_WEBHOOK_SECRETS: 'whsec1,whsec2',
      GIT_TOKEN: 'gt',
      LLM_API_KEY: 'sk-llm',
      REDIS_URL: 'redis://redis.example:6379/0',
    });
    expect(r.all('Deployment').map((d) => d.metadata.name)).not.toContain('ci-fixer-redis');
    // Every key is a variable src/config.ts reads: a renamed variable cannot leave a dead key here.
    const known = new Set(CONFIG_DOCS.map((d) => d.name));
    expect(Object.keys(decoded).filter((key) => !known.has(key))).toEqual([]);
  });

  it('names the install on its sandbox objects after the release, or as sandbox.instance says', async () => {
    const instanceOf = async (args: string[]) => {
      const result = await helmOffline(['template', ...args, CHART, '--namespace', 'demo']);
      expect(result.code).toBe(0);
      const cm = parseAllDocuments(result.stdout)
        .map((d) => d.toJS() as K8sObject)
        .find((o) => o?.kind === 'ConfigMap' && o.metadata.name === 'ci-fixer-config');
      return cm?.data.SANDBOX_INSTANCE as string | undefined;
    };
    expect(await instanceOf(['blue'])).toBe('blue');
    expect(await instanceOf(['blue', '--set', 'sandbox.instance=team-a'])).toBe('team-a');
    const invalid = await helmOffline(['template', 'blue', CHART, '--set', 'sandbox.instance=not a label']);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('/sandbox/instance');
  });

  it('shows the seed port-forward in NOTES.txt', async () => {
    // helm install needs a reachable cluster even for a client-side dry run.
    const dry = await helm(['install', 'ci-fixer', CHART, '--dry-run=client', '--namespace', 'demo']);
    expect(dry.stdout).toContain('kubectl port-forward -n demo deployment/ci-fixer-app 3000:3001');
    expect(dry.stdout).toContain('kubectl get pods -n demo -l app=ci-fixer');
    expect(dry.stdout).toContain('The web console is at http://localhost:3000/');
  });
});

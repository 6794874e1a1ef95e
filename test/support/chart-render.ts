// `helm template` of the chart, parsed into objects the chart tests can query.
import { parseAllDocuments } from 'yaml';
import { CHART, helmOffline } from './helm-release.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export interface Rendered {
  objects: K8sObject[];
  get(kind: string, name: string): K8sObject;
  all(kind: string): K8sObject[];
}

export async function renderChart(args: string[] = [], namespace = 'render-test'): Promise<Rendered> {
  const result = await helmOffline(['template', 'ci-fixer', CHART, '--namespace', namespace, ...args]);
  if (result.code !== 0) throw new Error(`helm template exited ${result.code}: ${result.stderr.trim()}`);
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return {
    objects,
    all: (kind) => objects.filter((o) => o.kind === kind),
    get(kind, name) {
      const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!found)
        throw new Error(
          `rendered chart has no ${kind} ${name}; it has ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
        );
      return found;
    },
  };
}

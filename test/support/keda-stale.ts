// The names the KEDA test support claims on a shared cluster, and the cleanup the k8s tier's
// global setup runs for a run that died holding them. An APIService left behind names a metrics
// server that is gone, and then every client's API discovery warns about external.metrics.k8s.io
// (kubectl and helm print it), which other tests on the cluster would see.
import { ApiregistrationV1Api, CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';

export const APISERVICE = 'v1beta1.external.metrics.k8s.io';
/** On the APIService the test registers; a real KEDA install's APIService is never touched. */
export const TEST_APISERVICE_LABEL = 'ci-fixer.test/keda';
export const LEASE = { name: 'ci-fixer-keda-apiservice', namespace: 'kube-system' };
/** A run never renews its Lease; one older than this belongs to a run that died. */
export const LEASE_SECONDS = 900;

/** Deletes the test's APIService when no live run holds the Lease; returns what it did. */
export async function removeStaleKedaApiService(kc: KubeConfig): Promise<string | undefined> {
  const registration = kc.makeApiClient(ApiregistrationV1Api);
  const service = await registration.readAPIService({ name: APISERVICE }).catch(() => undefined);
  if (service?.metadata?.labels?.[TEST_APISERVICE_LABEL] !== 'true') return undefined;
  const lease = await kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease(LEASE)
    .catch(() => undefined);
  const created = lease?.metadata?.creationTimestamp ? new Date(lease.metadata.creationTimestamp).getTime() : 0;
  if (lease !== undefined && Date.now() - created <= LEASE_SECONDS * 1000) return undefined;
  await registration.deleteAPIService({ name: APISERVICE });
  return `removed APIService ${APISERVICE} left by a KEDA test run that is gone`;
}

#!/usr/bin/env bash
# Starts (or reuses) the local test cluster: real etcd, kube-apiserver, controller-manager and
# scheduler from the binary cache, plus kwok simulating nodes. Prints the kubeconfig path as the
# only line on stdout; progress goes to stderr. Idempotent: a healthy cluster is reused, a
# stopped one restarted, a broken one recreated. Runs offline once build.sh has filled the cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/cluster-env.sh
source "${here}/cluster-env.sh"

say() { echo "cluster:up: $*" >&2; }

# Every component kwokctl started must still be alive; the API server answering is not enough
# (a controller-manager that exited on a bad flag leaves Jobs without pods).
components_alive() {
  local pids="${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/pids" f n=0
  for f in "${pids}"/*.pid; do
    [[ -f "${f}" ]] || return 1
    kill -0 "$(cat "${f}")" 2>/dev/null || return 1
    n=$((n + 1))
  done
  [[ "${n}" -ge 5 ]]
}

healthy() {
  [[ -f "${TC_KUBECONFIG}" ]] || return 1
  components_alive || return 1
  kc get --raw=/readyz >/dev/null 2>&1 || return 1
  # Both simulated nodes Ready means kwok is up and its stages are loaded.
  local ready
  ready="$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c '^True$' || true)"
  [[ "${ready}" -ge 2 ]]
}

wait_healthy() {
  local deadline=$((SECONDS + $1))
  until healthy; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 1
  done
}

exists() {
  [[ -d "${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}" ]]
}

# A cluster created from an older kwok.yaml, node list or flag set is recreated, not reused.
config_id() {
  cat "${here}/kwok.yaml" "${here}/nodes.yaml" "${here}/cluster-env.sh" | sha256sum | cut -c1-16
}
config_current() {
  [[ "$(cat "${TC_STATE_DIR}/config-id" 2>/dev/null)" == "$(config_id)" ]]
}

create() {
  mkdir -p "${TC_STATE_DIR}" "${TC_EXEC_ROOT}"
  # kwok serves `kubectl logs` for simulated containers from this CRI-format file.
  printf '%s stdout F %s\n' "1970-01-01T00:00:00.000000000Z" "simulated container log (kwok test cluster)" >"${TC_LOGS_FILE}"
  sed -e "s|@EXEC_ROOT@|${TC_EXEC_ROOT}|" -e "s|@LOGS_FILE@|${TC_LOGS_FILE}|" -e "s|@KUBE_VERSION@|${K8S_VERSION}|" \
    -e "s|@PKI_DIR@|${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/pki|" \
    "${here}/kwok.yaml" >"${TC_STATE_DIR}/kwok.yaml"

  "${TC_BIN_DIR}/kwokctl" create cluster \
    --name "${TC_CLUSTER_NAME}" \
    --config "${TC_STATE_DIR}/kwok.yaml" \
    --kubeconfig "" \
    --kube-apiserver-binary "${TC_BIN_DIR}/kube-apiserver" \
    --kube-controller-manager-binary "${TC_BIN_DIR}/kube-controller-manager" \
    --kube-scheduler-binary "${TC_BIN_DIR}/kube-scheduler" \
    --kwok-controller-binary "${TC_BIN_DIR}/kwok" \
    --etcd-binary "${TC_BIN_DIR}/etcd" \
    --kube-feature-gates "${TC_FEATURE_GATES}" \
    --timeout 120s \
    --wait 90s >&2 8>&-
  kc apply -f "${here}/nodes.yaml" >&2
  config_id >"${TC_STATE_DIR}/config-id"
}

# --status: exit 0 if the cluster's components run (for callers that stop only what they started).
if [[ "${1:-}" == --status ]]; then exists && components_alive; exit; fi

start=$SECONDS
# Concurrent callers (two test runs, a developer's shell) wait for one another instead of
# racing to create the same cluster. kwokctl is run with fd 8 closed: the daemons it starts
# would otherwise inherit the lock and hold it for the cluster's lifetime.
mkdir -p "${TC_ROOT}"
exec 8>"${TC_ROOT}/up.lock"
flock -w 300 8 || { say "timed out waiting for another cluster:up"; exit 1; }

if ! "${here}/build.sh" --check; then
  say "binaries missing in ${TC_BIN_DIR}; building them (slow the first time)"
  "${here}/build.sh" >&2
fi

if exists && ! config_current; then
  say "cluster ${TC_CLUSTER_NAME} was created from another configuration; recreating"
  "${here}/down.sh" >&2
  create
elif exists && healthy; then
  say "reusing healthy cluster ${TC_CLUSTER_NAME}"
elif exists; then
  say "cluster ${TC_CLUSTER_NAME} exists but is not healthy; trying a restart"
  # Stop first: `start` on a half-running cluster waits minutes on the components still up.
  timeout 60 "${TC_BIN_DIR}/kwokctl" stop cluster --name "${TC_CLUSTER_NAME}" >&2 8>&- || true
  timeout 60 "${TC_BIN_DIR}/kwokctl" start cluster --name "${TC_CLUSTER_NAME}" >&2 8>&- || true
  if ! wait_healthy 30; then
    say "restart did not make it healthy; recreating"
    "${here}/down.sh" >&2
    create
  fi
else
  create
fi

if ! wait_healthy 90; then
  say "cluster did not become healthy; component logs are in ${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/logs"
  exit 1
fi
say "ready in $((SECONDS - start))s"
echo "${TC_KUBECONFIG}"

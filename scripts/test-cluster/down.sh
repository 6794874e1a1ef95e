#!/usr/bin/env bash
# Stops the local test cluster and removes its state (etcd data, pki, kubeconfig, per-pod exec
# dirs). The binary cache is kept. Safe to run when no cluster exists.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/cluster-env.sh
source "${here}/cluster-env.sh"

if [[ -x "${TC_BIN_DIR}/kwokctl" && -d "${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}" ]]; then
  "${TC_BIN_DIR}/kwokctl" delete cluster --name "${TC_CLUSTER_NAME}" >&2
fi
rm -rf "${KWOK_WORKDIR:?}/clusters/${TC_CLUSTER_NAME:?}" "${TC_STATE_DIR:?}"
echo "cluster:down: removed ${TC_CLUSTER_NAME}" >&2

# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are read by the scripts that source it
# Sourced by up.sh and down.sh: where the running cluster lives and how it is configured.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

TC_CLUSTER_NAME="${CI_FIXER_TEST_CLUSTER_NAME:-ci-fixer-test}"
# kwokctl keeps each cluster's pki, kubeconfig, component logs and pids below this dir; keying
# it by versions means a version bump never reuses a cluster started from older binaries.
export KWOK_WORKDIR="${TC_ROOT}/kwok"
TC_STATE_DIR="${TC_ROOT}/state/${TC_CLUSTER_NAME}"
TC_EXEC_ROOT="${TC_STATE_DIR}/exec"
TC_LOGS_FILE="${TC_STATE_DIR}/container.log"
TC_KUBECONFIG="${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/kubeconfig.yaml"

# kube-apiserver translates a client's websocket exec (v5.channel.k8s.io) to SPDY towards the
# node (TranslateStreamCloseWebsocketRequests, on by default since 1.30). kwok nodes do not
# declare ExtendWebSocketsToKubelet in status.declaredFeatures, so the API server would never
# hand the websocket to kwok as-is; turning the gate off states that path explicitly.
TC_FEATURE_GATES="TranslateStreamCloseWebsocketRequests=true,ExtendWebSocketsToKubelet=false"

kc() { "${TC_BIN_DIR}/kubectl" --kubeconfig "${TC_KUBECONFIG}" --request-timeout=10s "$@"; }

#!/usr/bin/env bash
# Joins one real node to the local test cluster: containerd 2.x (runc), a kubelet, a bridge CNI
# network, kube-proxy and kube-router's NetworkPolicy firewall, run as host processes beside the
# kwok nodes. Pods on it are real containers; Services route and NetworkPolicy is enforced.
# Needs root (containerd and the kubelet manage mounts, cgroups and network namespaces).
# Prints the kubeconfig path as the only line on stdout, like up.sh; progress goes to stderr.
# Idempotent: a Ready node with live processes is reused, anything else is restarted.
#
# Usage: bash scripts/test-cluster/real-node.sh            # start or reuse (starts the cluster too)
#        bash scripts/test-cluster/real-node.sh --down     # stop the node, remove its state, put the
#                                                          # host's sysctls and iptables back
#        bash scripts/test-cluster/real-node.sh --status   # exit 0 if any of its daemons runs
#        bash scripts/test-cluster/real-node.sh ctr ARGS   # ctr on the node's containerd (namespace k8s.io)
#
# The node is labelled and tainted ci-fixer.dev/real-node=true(:NoSchedule), so only pods that
# ask for it (nodeSelector + toleration) land there. Everything it needs lives below
# /var/lib/ci-fixer-real-node/<cluster>/; its host-wide changes are the node address on lo, the
# CNI bridge (which turns ip_forward on), and the iptables rules and ipsets of the bridge's NAT,
# kube-proxy, kube-router and the pod-to-host guard (real-node/network.sh), all removed by --down,
# and the sysctls the kubelet and the bridge set: recorded before the node starts (host-state.sh)
# and put back by --down, which also removes any KUBE-* chain the record does not have.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/cluster-env.sh
source "${here}/cluster-env.sh"
# shellcheck source=scripts/test-cluster/real-node/network.sh
source "${here}/real-node/network.sh"

say() { echo "real-node: $*" >&2; }

# The kubelet refuses a loopback node IP, so the node gets its own address on lo, next to its pod
# range. A private address like a real node's: the sandbox NetworkPolicy denies private ranges,
# so it is tested as shipped (a public node address would need adding to its deniedCidrs). The
# API server dials nodes by InternalIP first (kwok.yaml), so the node name needs no DNS.
RN_NODE_IP="${TC_REAL_NODE_IP:-10.89.255.1}"
RN_NODE_NAME="${TC_REAL_NODE_NAME:-ci-fixer-real-node-0}"
RN_KUBELET_PORT="${TC_REAL_NODE_KUBELET_PORT:-10350}"
RN_POD_CIDR="${TC_REAL_NODE_POD_CIDR:-10.89.0.0/24}"
RN_BRIDGE="cifixer0"
# Unix socket paths are limited to 108 bytes, and containerd, runc and the kubelet put sockets
# below their state dirs, so the node's state lives at short paths rather than in the cache.
RN_STATE="${TC_REAL_NODE_STATE_DIR:-/var/lib/ci-fixer-real-node}/${TC_CLUSTER_NAME}"
RN_RUN="/run/ci-fixer-real-node/${TC_CLUSTER_NAME}"
RN_PKI="${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/pki"
RN_SOCK="${RN_RUN}/containerd.sock"
RN_LABEL="ci-fixer.dev/real-node"
RN_RLIMIT="${TC_REAL_NODE_RLIMIT:-20000}"
# The loopback registry images are pushed to (plain HTTP; containerd pulls through hosts.toml).
RN_REGISTRY="${TC_REAL_NODE_REGISTRY:-127.0.0.1:5001}"

ctr_() { "${RN_BIN_DIR}/ctr" --address "${RN_SOCK}" --namespace k8s.io "$@"; }
pid_alive() { [[ -f "${RN_STATE}/$1.pid" ]] && kill -0 "$(cat "${RN_STATE}/$1.pid")" 2>/dev/null; }
RN_DAEMONS=(containerd kubelet kube-proxy kube-router api-forwarder)

# `real-node.sh ctr ARGS...`: ctr against this node's containerd, in the kubelet's namespace; a test
# loads an image into the node with it, as `minikube image load` does for Minikube.
if [[ "${1:-}" == ctr ]]; then
  shift
  ctr_ "$@"
  exit
fi

all_alive() {
  local d
  for d in "${RN_DAEMONS[@]}"; do pid_alive "${d}" || return 1; done
}
any_alive() {
  local d
  for d in "${RN_DAEMONS[@]}"; do pid_alive "${d}" && return 0; done
  return 1
}
# The host as it was before this node first started (host-state.sh); kept across restarts.
RN_HOST_BEFORE="${RN_STATE}/host-before"

node_ready() {
  [[ "$(kc get node "${RN_NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

wait_for() {
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    if ((SECONDS >= deadline)); then say "timed out after ${secs}s waiting for ${what}"; return 1; fi
    sleep 1
  done
}

# The kubelet authenticates to the API server as system:node:<name> (Node authorizer and
# NodeRestriction apply), with a client certificate signed by the cluster's CA.
write_kubelet_kubeconfig() {
  write_client_kubeconfig kubelet "/O=system:nodes/CN=system:node:${RN_NODE_NAME}"
}

write_containerd_config() {
  local pause_ref
  pause_ref="$(bash "${here}/real-node/images.sh" ref pause)"
  mkdir -p "${RN_STATE}/cni/net.d" "${RN_STATE}/containerd/certs.d/${RN_REGISTRY}"
  # Plain HTTP, and only to pull: the registry listens on loopback only.
  cat >"${RN_STATE}/containerd/certs.d/${RN_REGISTRY}/hosts.toml" <<HOSTS
server = "http://${RN_REGISTRY}"
[host."http://${RN_REGISTRY}"]
  capabilities = ["pull", "resolve"]
HOSTS
  cat >"${RN_STATE}/cni/net.d/10-cifixer.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "cifixer",
  "plugins": [
    {
      "type": "bridge", "bridge": "${RN_BRIDGE}", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "${RN_POD_CIDR}" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "${RN_STATE}/cni/ipam" }
    }
  ]
}
CNI
  cat >"${RN_STATE}/containerd/config.toml" <<TOML
version = 3
root = "${RN_STATE}/containerd/root"
state = "${RN_RUN}/containerd"
[grpc]
  address = "${RN_SOCK}"
[ttrpc]
  address = "${RN_SOCK}.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "${RN_STATE}/containerd/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${pause_ref}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "${RN_STATE}/containerd/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  # This VM kind withholds CAP_SYS_RESOURCE even from root, so no process may lower its
  # oom_score_adj (runc: "failed to update /proc/self/oom_score_adj: Permission denied").
  # Restricted, containerd clamps the kubelet's values (pause -998) to its own score.
  restrict_oom_score_adj = true
  # This VM kind has no hugetlb controller on the v1 hierarchy.
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "${RN_STATE}/cni/net.d"
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$(command -v runc)"
      SystemdCgroup = false
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
TOML
}

write_kubelet_config() {
  cat >"${RN_STATE}/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 (hybrid) is what this machine kind has; 1.35+ kubelets refuse it unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${RN_SOCK}
address: ${RN_NODE_IP}
port: ${RN_KUBELET_PORT}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
podLogsDir: ${RN_STATE}/pod-logs
# Only the API server (its kubelet client certificate, kwok.yaml) may exec or read logs; every
# request is authorized through a SubjectAccessReview. The pod network is also firewalled off
# from the host (ensure_network, real-node/network.sh).
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${RN_PKI}/ca.crt }
authorization: { mode: Webhook }
registerWithTaints:
- { key: ${RN_LABEL}, value: "true", effect: NoSchedule }
failSwapOn: false
resolvConf: /etc/resolv.conf
# A shared CI disk must not evict test pods or garbage-collect the locally imported images.
evictionHard: { memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 20
YAML
}

start_daemon() {
  local name="$1"; shift
  # setsid: the daemons outlive this script; fd 8/9 (callers' locks) are not inherited. They run
  # from /, never from the caller's checkout, which may be deleted while they live on.
  (cd / && exec setsid "$@" >>"${RN_STATE}/${name}.log" 2>&1 </dev/null 8>&- 9>&-) &
  echo $! >"${RN_STATE}/${name}.pid"
}

import_images() {
  local name ref
  for name in pause base; do
    ref="$(bash "${here}/real-node/images.sh" ref "${name}")"
    if ! grep -qxF "${ref}" <<<"$(ctr_ images ls -q)"; then
      ctr_ images import --no-unpack=false "$(bash "${here}/real-node/images.sh" path "${name}")" >&2
    fi
  done
}

# Up when it answers; a containerd that exited (bad config) fails at once, with its log.
containerd_up() {
  if ! pid_alive containerd; then tail -5 "${RN_STATE}/containerd.log" >&2; say "containerd exited"; exit 1; fi
  ctr_ version >/dev/null 2>&1
}

start_node() {
  mkdir -p "${RN_STATE}/pod-logs" "${RN_STATE}/kubelet" "${RN_RUN}"
  write_kubelet_kubeconfig
  write_containerd_config
  write_kubelet_config
  ensure_network
  if ! pid_alive containerd; then
    # Containers inherit the daemon's rlimits, and without CAP_SYS_RESOURCE (withheld on this VM
    # kind) no hard limit can be raised again; pinned to a value under the VM's ceiling, as
    # podman needs here too (nofile/nproc <= 20000).
    start_daemon containerd prlimit --nofile="${RN_RLIMIT}" --nproc="${RN_RLIMIT}" -- \
      "${RN_BIN_DIR}/containerd" --config "${RN_STATE}/containerd/config.toml"
  fi
  wait_for "containerd" 30 containerd_up
  import_images
  if ! pid_alive kubelet; then
    start_daemon kubelet "${RN_BIN_DIR}/kubelet" \
      --config "${RN_STATE}/kubelet.yaml" \
      --kubeconfig "${RN_STATE}/kubelet.kubeconfig" \
      --root-dir "${RN_STATE}/kubelet" \
      --cert-dir "${RN_STATE}/pki/serving" \
      --hostname-override "${RN_NODE_NAME}" \
      --node-ip "${RN_NODE_IP}" \
      --node-labels "${RN_LABEL}=true,type=real"
  fi
  if ! wait_for "node ${RN_NODE_NAME} Ready" 90 node_ready; then
    say "logs: ${RN_STATE}/kubelet.log ${RN_STATE}/containerd.log"
    return 1
  fi
  start_network_daemons
}

stop_pid() {
  local name="$1" pid
  pid_alive "${name}" || { rm -f "${RN_STATE}/${name}.pid"; return 0; }
  pid="$(cat "${RN_STATE}/${name}.pid")"
  kill "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill -9 "${pid}" 2>/dev/null || true
  rm -f "${RN_STATE}/${name}.pid"
}

down() {
  [[ -d "${RN_STATE}" ]] || { say "no real node state for ${TC_CLUSTER_NAME}"; return 0; }
  stop_network_daemons
  stop_pid kubelet
  if pid_alive containerd; then
    # Kill every container's task while containerd runs: it then shuts each task's shim down.
    local c
    for c in $(ctr_ tasks ls -q 2>/dev/null); do
      timeout 10 "${RN_BIN_DIR}/ctr" --address "${RN_SOCK}" -n k8s.io tasks kill -s SIGKILL "${c}" 2>/dev/null || true
    done
    sleep 1
  fi
  stop_pid containerd
  kc delete node "${RN_NODE_NAME}" --ignore-not-found >&2 || true
  # Mounts left by containers and pods (overlay rootfs, projected volumes, netns) under state.
  awk -v a="${RN_STATE}/" -v b="${RN_RUN}/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts |
    sort -r | while read -r m; do umount -l "${m}" || true; done
  remove_network
  if [[ -f "${RN_HOST_BEFORE}/sysctls" ]]; then
    bash "${here}/host-state.sh" restore "${RN_HOST_BEFORE}"
  else
    say "no record of the host from before the node started: sysctls left as they are"
  fi
  rm -rf "${RN_STATE}" "${RN_RUN}"
  say "removed the real node of ${TC_CLUSTER_NAME}"
}

main() {
  [[ "$(id -u)" == 0 ]] || { say "needs root (containerd and the kubelet manage mounts and cgroups)"; return 1; }
  if [[ "${1:-}" == --down ]]; then down; return; fi
  if [[ "${1:-}" == --status ]]; then any_alive; return; fi
  local start=$SECONDS
  "${here}/build-real-node.sh" --check || { say "binaries missing in ${RN_BIN_DIR}; building them"; "${here}/build-real-node.sh" >&2; }
  bash "${here}/real-node/images.sh" build
  "${here}/up.sh" >/dev/null
  # A cluster created before kwok.yaml had these flags would let kwok take the node over and
  # could not authenticate to the kubelet; up.sh recreates such a cluster, so this is a guard.
  local cfg="${KWOK_WORKDIR}/clusters/${TC_CLUSTER_NAME}/kwok.yaml"
  if ! grep -q -- '--kubelet-client-certificate=' "${cfg}" || ! grep -q -- '--manage-all-nodes=false' "${cfg}"; then
    say "cluster ${TC_CLUSTER_NAME} lacks the real-node flags of kwok.yaml (see ${cfg})"
    return 1
  fi
  mkdir -p "${RN_ROOT}"
  exec 9>"${RN_ROOT}/real-node-${TC_CLUSTER_NAME}.lock"
  flock -w 300 9 || { say "timed out waiting for another real-node.sh"; return 1; }
  # Every daemon holds the cluster's CA and API port from when it started: a cluster recreated
  # since (new CA, new port) means starting the node afresh, not reusing live processes.
  local cluster_id
  cluster_id="$(cat "${RN_PKI}/ca.crt" <(api_hostport) | sha256sum | cut -c1-16)"
  if [[ -f "${RN_STATE}/cluster-id" && "$(cat "${RN_STATE}/cluster-id")" != "${cluster_id}" ]]; then
    say "cluster ${TC_CLUSTER_NAME} was recreated since the node started; restarting the node"
    down
  fi
  mkdir -p "${RN_STATE}"
  echo "${cluster_id}" >"${RN_STATE}/cluster-id"
  # Recorded only while nothing of the node runs: a record taken beside live daemons would hold
  # what they set, not what the host had.
  if [[ ! -f "${RN_HOST_BEFORE}/sysctls" ]] && ! any_alive; then
    bash "${here}/host-state.sh" save "${RN_HOST_BEFORE}"
  fi
  if all_alive && node_ready; then
    # The guard's rules as this checkout has them (idempotent; a node started by an older
    # checkout may lack a port the tests now use).
    ensure_network
    say "reusing Ready node ${RN_NODE_NAME}"
  else
    start_node
    say "node ${RN_NODE_NAME} Ready in $((SECONDS - start))s"
  fi
  echo "${TC_KUBECONFIG}"
}

main "$@"; exit $?

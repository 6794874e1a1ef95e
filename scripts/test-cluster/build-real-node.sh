#!/usr/bin/env bash
# Builds the real node's binaries from the Go module proxy into a version-keyed cache outside
# the repo: kubelet and kube-proxy from the same k8s.io/kubernetes as the control plane, and
# containerd 2.x with ctr and containerd-shim-runc-v2 (Debian ships only containerd 1.6, and
# kubelets past 1.35 need 2.x), and the NetworkPolicy engine (build-netpol.sh, its own key).
# runc, the CNI plugins, iptables and socat are Debian's packages and are only checked here. Idempotent: a binary that already exists is not rebuilt. Builds run under
# `nice` because the machines this runs on are shared.
#
# Usage: bash scripts/test-cluster/build-real-node.sh                  # build what is missing
#        bash scripts/test-cluster/build-real-node.sh --check          # exit 1 if anything is missing
#        bash scripts/test-cluster/build-real-node.sh --print-bin-dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

# Debian packages the node runs from /usr: the OCI runtime, the bridge/host-local/loopback CNI
# plugins, iptables (kube-proxy, the node's own rules) and socat (the API server's forwarder on
# the node address, real-node.sh). crun is not an option: it refuses cgroup v1 hybrid hosts.
HOST_PACKAGES="runc containernetworking-plugins iptables socat"
host_tools_present() {
  local t
  for t in runc iptables-restore socat; do command -v "${t}" >/dev/null 2>&1 || return 1; done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]]
}

case "${1:-}" in
  --print-bin-dir) echo "${RN_BIN_DIR}"; exit 0 ;;
  --check)
    for b in "${RN_BINARIES[@]}"; do [[ -x "${RN_BIN_DIR}/${b}" ]] || exit 1; done
    host_tools_present || exit 1
    exec bash "${here}/build-netpol.sh" --check ;;
esac

# shellcheck source=scripts/test-cluster/go-build-lib.sh
source "${here}/go-build-lib.sh"
go_build_init "${RN_ROOT}" "${RN_BIN_DIR}"

missing() {
  local b
  for b in "$@"; do [[ -x "${RN_BIN_DIR}/${b}" ]] || return 0; done
  return 1
}

# Same wrapper module and version stamp as the control plane, so the Go build cache is shared.
build_kubelet() {
  local dir="${work}/kubernetes" ld
  kubernetes_wrapper "${dir}"
  ld="$(kubernetes_ldflags)"
  (cd "${dir}" &&
    nice_go get k8s.io/kubernetes/cmd/kubelet@"v${K8S_VERSION}" &&
    nice_go build "${build_flags[@]}" -ldflags "${ld}" -o "${RN_BIN_DIR}/" \
      k8s.io/kubernetes/cmd/kubelet \
      k8s.io/kubernetes/cmd/kube-proxy)
}

# containerd's own Makefile builds static binaries the same way: CGO off, no btrfs/devmapper
# snapshotters (overlayfs and native are what the node uses). The shim drops gRPC (ttrpc only).
build_containerd() {
  local dir="${work}/containerd"
  new_wrapper "${dir}" containerd
  local m=github.com/containerd/containerd/v2
  local ld="-s -w -X ${m}/version.Version=v${CONTAINERD_VERSION} -X ${m}/version.Package=${m}"
  local tags="urfave_cli_no_docs no_btrfs no_devmapper osusergo netgo static_build"
  (cd "${dir}" &&
    nice_go get "${m}@v${CONTAINERD_VERSION}" &&
    nice_go build "${build_flags[@]}" -tags "${tags}" -ldflags "${ld}" -o "${RN_BIN_DIR}/" \
      "${m}/cmd/containerd" "${m}/cmd/ctr" &&
    nice_go build "${build_flags[@]}" -tags "${tags} no_grpc" -ldflags "${ld}" -o "${RN_BIN_DIR}/" \
      "${m}/cmd/containerd-shim-runc-v2")
}

main() {
  local total_start=$SECONDS
  exec 9>"${RN_ROOT}/build.lock"
  flock 9
  logf "build: versions ${RN_KEY}, bin dir ${RN_BIN_DIR}, $(go version)"
  if ! host_tools_present; then
    logf "build: host tools missing; install Debian's ${HOST_PACKAGES}"
    return 1
  fi
  if missing kubelet kube-proxy; then timed kubelet build_kubelet; fi
  if missing containerd ctr containerd-shim-runc-v2; then timed containerd build_containerd; fi
  if missing "${RN_BINARIES[@]}"; then
    logf "build: binaries still missing in ${RN_BIN_DIR}"
    return 1
  fi
  bash "${here}/build-netpol.sh"
  logf "build: all real-node binaries present ($((SECONDS - total_start))s this run)"
}

# One line, so editing this file while a build runs cannot change what bash reads next.
main "$@"; exit $?

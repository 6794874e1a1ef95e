#!/usr/bin/env bash
# Builds the real node's NetworkPolicy engine from the Go module proxy into its own version-keyed
# cache: kube-router, of which real-node.sh runs only the firewall controller (no BGP routing,
# no service proxy; kube-proxy does that). kube-router has no replace directives, so a wrapper
# module that requires it resolves exactly its dependency set. Idempotent.
#
# Usage: bash scripts/test-cluster/build-netpol.sh                  # build what is missing
#        bash scripts/test-cluster/build-netpol.sh --check          # exit 1 if it is missing
#        bash scripts/test-cluster/build-netpol.sh --print-bin-dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

# kube-router drives iptables and ipset through their command-line tools (Debian packages).
host_tools_present() { command -v iptables-restore >/dev/null 2>&1 && command -v ipset >/dev/null 2>&1; }

case "${1:-}" in
  --print-bin-dir) echo "${NETPOL_BIN_DIR}"; exit 0 ;;
  --check) [[ -x "${NETPOL_BIN_DIR}/kube-router" ]] && host_tools_present; exit $? ;;
esac

# shellcheck source=scripts/test-cluster/go-build-lib.sh
source "${here}/go-build-lib.sh"
go_build_init "${NETPOL_ROOT}" "${NETPOL_BIN_DIR}"

build_kube_router() {
  local dir="${work}/kube-router" m=github.com/cloudnativelabs/kube-router/v2
  new_wrapper "${dir}" kube-router
  local ld="-s -w -X ${m}/pkg/version.Version=v${KUBE_ROUTER_VERSION} -X ${m}/pkg/version.BuildDate=1970-01-01T00:00:00Z"
  (cd "${dir}" &&
    nice_go get "${m}@v${KUBE_ROUTER_VERSION}" &&
    nice_go build "${build_flags[@]}" -ldflags "${ld}" -o "${NETPOL_BIN_DIR}/" "${m}/cmd/kube-router")
}

main() {
  exec 9>"${NETPOL_ROOT}/build.lock"
  flock 9
  if ! host_tools_present; then
    logf "build: iptables or ipset missing; install Debian's iptables and ipset"
    return 1
  fi
  [[ -x "${NETPOL_BIN_DIR}/kube-router" ]] && return 0
  timed "kube-router ${KUBE_ROUTER_VERSION}" build_kube_router
}

main "$@"; exit $?

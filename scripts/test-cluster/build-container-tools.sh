#!/usr/bin/env bash
# Builds the container tools the image tests need from the Go module proxy into a version-keyed
# cache outside the repo (no image registry and no release download is reachable here):
#   registry        distribution's registry (github.com/distribution/distribution/v3 cmd/registry),
#                   served on loopback by scripts/test-cluster/registry.sh
#   docker-compose  Docker Compose v2 (github.com/docker/compose/v2 cmd), installed as a docker CLI
#                   plugin in a DOCKER_CONFIG of its own (scripts/test-cluster/podman-service.sh)
# Idempotent: a binary that already exists is not rebuilt. Builds run under `nice` because the
# machines this runs on are shared.
#
# Usage: bash scripts/test-cluster/build-container-tools.sh                 # build what is missing
#        bash scripts/test-cluster/build-container-tools.sh --check         # exit 1 if anything is missing
#        bash scripts/test-cluster/build-container-tools.sh --print-bin-dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

case "${1:-}" in
  --print-bin-dir) echo "${CT_BIN_DIR}"; exit 0 ;;
  --check)
    for b in "${CT_BINARIES[@]}"; do [[ -x "${CT_BIN_DIR}/${b}" ]] || exit 1; done
    exit 0 ;;
esac

# shellcheck source=scripts/test-cluster/go-build-lib.sh
source "${here}/go-build-lib.sh"
go_build_init "${CT_ROOT}" "${CT_BIN_DIR}"

# A wrapper module per tool, so the tool's own go.mod decides its dependencies (neither has
# replace directives) and nothing of this repository's toolchain settings leaks in.
build_one() {
  local name="$1" module="$2" pkg="$3" ld="$4"
  local dir="${work}/${name}"
  new_wrapper "${dir}" "${name}"
  (cd "${dir}" &&
    nice_go get "${module}@${5}" &&
    nice_go build "${build_flags[@]}" -ldflags "-s -w ${ld}" -o "${CT_BIN_DIR}/${name}" "${pkg}")
}

build_registry() {
  local m=github.com/distribution/distribution/v3
  build_one registry "${m}" "${m}/cmd/registry" "-X ${m}/version.version=v${REGISTRY_VERSION}" "v${REGISTRY_VERSION}"
}

build_compose() {
  local m=github.com/docker/compose/v2
  build_one docker-compose "${m}" "${m}/cmd" "-X ${m}/internal.Version=v${COMPOSE_VERSION}" "v${COMPOSE_VERSION}"
}

main() {
  local total_start=$SECONDS
  exec 9>"${CT_ROOT}/build.lock"
  flock 9
  logf "build: versions ${CT_KEY}, bin dir ${CT_BIN_DIR}, $(go version)"
  [[ -x "${CT_BIN_DIR}/registry" ]] || timed registry build_registry
  [[ -x "${CT_BIN_DIR}/docker-compose" ]] || timed docker-compose build_compose
  logf "build: all container tools present ($((SECONDS - total_start))s this run)"
}

# One line, so editing this file while a build runs cannot change what bash reads next.
main "$@"; exit $?

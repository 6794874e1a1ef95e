#!/usr/bin/env bash
# Builds KEDA's operator (`keda`) and metrics API server (`keda-adapter`) from the Go module proxy
# into their own version-keyed cache, next to the test-cluster binaries; also keeps KEDA's CRDs
# from the same module version there. Idempotent: a no-op when everything is cached. Called by
# build.sh; the autoscaling test runs these binaries as host processes against the test cluster.
#
# Usage: bash scripts/test-cluster/build-keda.sh                  # build what is missing
#        bash scripts/test-cluster/build-keda.sh --check          # exit 1 if anything is missing
#        bash scripts/test-cluster/build-keda.sh --print-bin-dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

case "${1:-}" in
  --print-bin-dir) echo "${KEDA_BIN_DIR}"; exit 0 ;;
  --check)
    for b in keda keda-adapter; do [[ -x "${KEDA_BIN_DIR}/${b}" ]] || exit 1; done
    [[ -f "${KEDA_BIN_DIR}/crds.yaml" ]] || exit 1
    exit 0 ;;
esac

# shellcheck source=scripts/test-cluster/go-build-lib.sh
source "${here}/go-build-lib.sh"
go_build_init "${KEDA_ROOT}" "${KEDA_BIN_DIR}"

# KEDA's go.mod carries a replace and an exclude that only apply when KEDA is the main module,
# so it is built as the main module: from a writable copy of the published module (the module
# cache is read-only), with KEDA's own go.mod and go.sum, i.e. exactly upstream's dependency set.
build_keda() {
  local dir="${work}/src"
  local probe="${work}/probe"
  rm -rf "${probe}" && mkdir -p "${probe}"
  printf 'module ci-fixer.local/test-cluster/keda-probe\n\ngo 1.26.0\n' >"${probe}/go.mod"
  local orig
  orig="$(cd "${probe}" && go mod download -json "github.com/kedacore/keda/v2@v${KEDA_VERSION}" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "${orig}" ]] || { echo "build-keda.sh: module github.com/kedacore/keda/v2@v${KEDA_VERSION} not downloaded" >&2; return 1; }
  rm -rf "${dir}"
  cp -r "${orig}" "${dir}"
  chmod -R u+w "${dir}"
  local ld="-s -w -X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION} -X github.com/kedacore/keda/v2/version.GitCommit=v${KEDA_VERSION}"
  (cd "${dir}" &&
    go build "${build_flags[@]}" -ldflags "${ld}" -o "${work}/bin/" ./cmd/operator ./cmd/adapter)
  # The CRDs the operator needs, as one multi-document file from the same module version.
  local crds="${work}/crds.yaml"
  : >"${crds}"
  local f
  for f in "${dir}"/config/crd/bases/*.yaml; do
    printf -- '---\n' >>"${crds}"
    cat "${f}" >>"${crds}"
  done
  mv "${work}/bin/operator" "${KEDA_BIN_DIR}/keda"
  mv "${work}/bin/adapter" "${KEDA_BIN_DIR}/keda-adapter"
  mv "${crds}" "${KEDA_BIN_DIR}/crds.yaml"
  rm -rf "${dir}" "${probe}" "${work:?}/bin"
}

main() {
  exec 9>"${KEDA_ROOT}/build.lock"
  flock 9
  if bash "${BASH_SOURCE[0]}" --check; then return 0; fi
  local start=$SECONDS
  logf "step keda ${KEDA_VERSION}: start ($(go version), bin dir ${KEDA_BIN_DIR})"
  if build_keda >>"${log}" 2>&1; then
    logf "step keda ${KEDA_VERSION}: done in $((SECONDS - start))s"
  else
    logf "step keda ${KEDA_VERSION}: FAILED after $((SECONDS - start))s (see ${log})"
    return 1
  fi
}

main "$@"; exit $?

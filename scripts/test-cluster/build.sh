#!/usr/bin/env bash
# Builds the test-cluster binaries (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd, kwok, kwokctl, helm) from the Go module proxy into a version-keyed cache outside the
# repo, then KEDA's (build-keda.sh, a cache key of its own). Idempotent: a binary that already
# exists in the cache is not rebuilt.
#
# Usage: bash scripts/test-cluster/build.sh                  # build what is missing
#        bash scripts/test-cluster/build.sh --check          # exit 1 if anything is missing
#        bash scripts/test-cluster/build.sh --print-bin-dir
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"

# Identifies the kwok patch (added file + call-site rewrites) a kwok binary was built with, so
# changing the patch triggers a rebuild.
kwok_patch_id() {
  { cat "${here}/kwok-patch/ci_fixer_exec.go"; grep 'ciFixer' "${here}/build.sh"; } | sha256sum | cut -c1-16
}
kwok_stamp="${TC_BIN_DIR}/.kwok-patch-id"
kwok_current() { [[ "$(cat "${kwok_stamp}" 2>/dev/null)" == "$(kwok_patch_id)" ]]; }

case "${1:-}" in
  --print-bin-dir) echo "${TC_BIN_DIR}"; exit 0 ;;
  --check)
    for b in "${TC_BINARIES[@]}"; do [[ -x "${TC_BIN_DIR}/${b}" ]] || exit 1; done
    kwok_current || exit 1
    exec bash "${here}/build-keda.sh" --check ;;
esac

# shellcheck source=scripts/test-cluster/go-build-lib.sh
source "${here}/go-build-lib.sh"
go_build_init "${TC_ROOT}" "${TC_BIN_DIR}"

missing() {
  local b
  for b in "$@"; do [[ -x "${TC_BIN_DIR}/${b}" ]] || return 0; done
  return 1
}

build_kubernetes() {
  local dir="${work}/kubernetes" ld
  kubernetes_wrapper "${dir}"
  ld="$(kubernetes_ldflags)"
  (cd "${dir}" &&
    go get k8s.io/kubernetes/cmd/kube-apiserver@"v${K8S_VERSION}" &&
    go build "${build_flags[@]}" -ldflags "${ld}" -o "${TC_BIN_DIR}/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl)
}

# go.etcd.io/etcd/server/v3 has package main at its root; its own replace directives only apply
# inside etcd's repo, so a wrapper that requires it resolves the published sibling modules.
build_etcd() {
  local dir="${work}/etcd"
  new_wrapper "${dir}" etcd
  (cd "${dir}" &&
    go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" &&
    go build "${build_flags[@]}" -ldflags "-s -w" -o "${work}/etcd.out" go.etcd.io/etcd/server/v3 &&
    mv "${work}/etcd.out" "${TC_BIN_DIR}/etcd")
}

# kwok's exec server gets two small fixes (exit codes, per-pod workdir; kwok-patch/
# ci_fixer_exec.go explains why). The go tool refuses overlays inside the module cache, so the
# module is copied into the build dir (outside the repo), two call sites are rewritten to use
# the added file, and the wrapper replaces sigs.k8s.io/kwok with that copy. Each rewrite must
# match exactly once, so a kwok upgrade that moves the code fails the build loudly.
patch_kwok() {
  local dir="$1"
  local orig
  orig="$(cd "${dir}" && go mod download -json "sigs.k8s.io/kwok@v${KWOK_VERSION}" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  rm -rf "${dir}/kwok-src"
  cp -r "${orig}" "${dir}/kwok-src"
  chmod -R u+w "${dir}/kwok-src"
  local file="${dir}/kwok-src/pkg/kwok/server/debugging_exec.go"
  sed -i -e 's|utilsexec.WithDir(ctx, execTarget.Local.WorkDir)|utilsexec.WithDir(ctx, ciFixerPodWorkDir(execTarget.Local.WorkDir, podNamespace, podName))|' \
    -e 's|return s.execInContainer(ctx, cmd, in, stdout, stderr)$|return ciFixerExitCode(s.execInContainer(ctx, cmd, in, stdout, stderr))|' \
    "${file}"
  local n
  n="$(grep -c 'ciFixerPodWorkDir(\|ciFixerExitCode(' "${file}")"
  if [[ "${n}" != 2 ]]; then
    echo "patch_kwok: expected 2 rewritten call sites in ${file}, found ${n}" >&2
    return 1
  fi
  cp "${here}/kwok-patch/ci_fixer_exec.go" "${dir}/kwok-src/pkg/kwok/server/ci_fixer_exec.go"
  printf '\nrequire sigs.k8s.io/kwok v%s\n\nreplace sigs.k8s.io/kwok => ./kwok-src\n' "${KWOK_VERSION}" >>"${dir}/go.mod"
}


build_kwok() {
  local dir="${work}/kwok"
  new_wrapper "${dir}" kwok
  local ld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION}"
  (cd "${dir}" &&
    patch_kwok "${dir}" &&
    go build "${build_flags[@]}" -ldflags "${ld}" -o "${TC_BIN_DIR}/" \
      sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl &&
    kwok_patch_id >"${kwok_stamp}")
}

build_helm() {
  local dir="${work}/helm"
  new_wrapper "${dir}" helm
  local gomod
  gomod="$(cd "${dir}" && go mod download -json "helm.sh/helm/v3@v${HELM_VERSION}" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  # Helm's default kubeVersion for `helm template` derives from the client-go it was built with.
  local cg minor
  cg="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "${gomod}")"
  minor="$(echo "${cg}" | cut -d. -f2)"
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ld+=" -X ${p}.k8sVersionMajor=1 -X ${p}.k8sVersionMinor=${minor}"
  done
  (cd "${dir}" &&
    go get "helm.sh/helm/v3@v${HELM_VERSION}" &&
    go build "${build_flags[@]}" -ldflags "${ld}" -o "${TC_BIN_DIR}/" helm.sh/helm/v3/cmd/helm)
}

main() {
  local total_start=$SECONDS
  # Two callers (a developer's shell and the test setup) must not build into one dir at once.
  exec 9>"${TC_ROOT}/build.lock"
  flock 9
  logf "build: versions ${TC_KEY}, bin dir ${TC_BIN_DIR}, $(go version)"
  if missing kube-apiserver kube-controller-manager kube-scheduler kubectl; then timed kubernetes build_kubernetes; fi
  if missing etcd; then timed etcd build_etcd; fi
  if missing kwok kwokctl || ! kwok_current; then
    timed kwok build_kwok
  fi
  if missing helm; then timed helm build_helm; fi
  if missing "${TC_BINARIES[@]}"; then
    logf "build: binaries still missing in ${TC_BIN_DIR}"
    return 1
  fi
  bash "${here}/build-keda.sh"
  logf "build: all binaries present ($((SECONDS - total_start))s this run)"
}

# One line, so editing this file while a build runs cannot change what bash reads next.
main "$@"; exit $?

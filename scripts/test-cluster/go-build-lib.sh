# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are read by the scripts that source it
# Sourced by every Go build script (build.sh, build-keda.sh, build-real-node.sh, build-netpol.sh,
# build-container-tools.sh): the Go environment, the preamble past `--check` (go_build_init), and
# the wrapper modules and version stamps the control-plane and real-node builds share. Expects
# versions.sh to be sourced.

export CGO_ENABLED=0
# The wrapper modules resolve dependencies themselves; never let the toolchain switch itself.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:+${GOFLAGS} }-buildvcs=false -mod=mod"
build_flags=(-trimpath -p "${TC_BUILD_PARALLELISM:-$(nproc)}")

# What every build does once past `--check`: Go on PATH (else fail, naming the script), then
# `work` and `log` under the build's cache root, and its bin dir created.
go_build_init() {
  local root="$1" bin_dir="$2"
  command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:${PATH}"
  command -v go >/dev/null 2>&1 || { echo "$(basename "$0"): go toolchain not found (need Go >= 1.26)" >&2; exit 1; }
  work="${root}/work"
  log="${root}/build.log"
  mkdir -p "${bin_dir}" "${work}"
}

# The background builds only fill the cores the tests leave idle.
nice_go() { nice -n "${TC_BUILD_NICE:-15}" go "$@"; }

new_wrapper() {
  local dir="$1" name="$2"
  rm -rf "${dir}" && mkdir -p "${dir}"
  printf 'module ci-fixer.local/test-cluster/%s\n\ngo 1.26.0\n' "${name}" >"${dir}/go.mod"
}

# k8s.io/kubernetes replaces its staging modules with local paths, so it cannot be required as
# is. The wrapper requires it and points every staging module it requires at the matching
# published v0.x tag; the list comes from the real go.mod, so a new staging module is picked up.
kubernetes_wrapper() {
  local dir="$1"
  new_wrapper "${dir}" kubernetes
  local gomod
  gomod="$(cd "${dir}" && go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  local staging_version="v0.${K8S_VERSION#1.}"
  {
    echo
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo
    echo "replace ("
    awk '/=> \.\/staging\/src\// { print $1 }' "${gomod}" | while read -r mod; do
      if grep -qE "^\s+${mod//./\\.} v0\.0\.0\$" "${gomod}"; then
        echo "	${mod} => ${mod} ${staging_version}"
      fi
    done
    echo ")"
    # Kubernetes pins runtime behaviour with godebug; the main module's settings are what count.
    grep -E '^godebug ' "${gomod}" || true
  } >>"${dir}/go.mod"
}

# The binaries are stamped so /version and Helm's kubeVersion checks see a real version.
kubernetes_ldflags() {
  local minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X ${p}.gitVersion=v${K8S_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
    ld+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=1970-01-01T00:00:00Z"
  done
  echo "${ld}"
}

logf() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" | tee -a "${log}" >&2; }

# Runs one named step and records its wall time, so cold-build cost stays visible in the log.
timed() {
  local name="$1"; shift
  local start=$SECONDS
  logf "step ${name}: start"
  if "$@" >>"${log}" 2>&1; then
    logf "step ${name}: done in $((SECONDS - start))s"
  else
    logf "step ${name}: FAILED after $((SECONDS - start))s (see ${log})"
    return 1
  fi
}

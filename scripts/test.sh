#!/usr/bin/env bash
# `npm test`: every tier (unit, integration, e2e, browser in chromium and firefox, k8s,
# containers, k8s-real) on real services. Installs what is missing, including the test cluster's
# and the real node's binaries and the local images (a long first build; cached in ~/.cache/ci-fixer).
#
# A whole run overlaps the long builds with the tiers that need none of them: the builds run in
# the background under `nice` (they only fill the cores the tests leave idle) while unit,
# integration, e2e and browser run; the cluster, container and real-node tiers start once the
# builds are done. With arguments (`npm test -- test/unit/x.test.ts`) everything runs in order,
# as one vitest call with those arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure.sh
ensure_built_checkout
ensure_lint_tools
ensure_browsers
# apt runs in the foreground: the background builds below must not race it for dpkg's lock.
ensure_container_tools
ensure_real_node_tools

# What the k8s, containers and k8s-real tiers need: cluster binaries (and KEDA), the real node's
# binaries (kubelet, kube-proxy, containerd, kube-router), the registry and Compose, the local
# images. Each step is idempotent and a no-op when its cache is filled.
prerequisite_builds() {
  if [ -z "${CI_FIXER_TEST_KUBECONFIG:-}" ]; then
    bash scripts/test-cluster/build.sh
  fi
  bash scripts/test-cluster/build-real-node.sh
  bash scripts/test-cluster/build-container-tools.sh
  bash scripts/test-cluster/real-node/images.sh build-all
}

if [ "$#" -gt 0 ]; then
  prerequisite_builds
  log_step "typechecking (tsc --noEmit, tests included)"
  npm run --silent typecheck
  exec npx vitest run "$@"
fi

build_log="$(mktemp -t ci-fixer-builds.XXXXXX.log)"
log_step "prerequisite builds in the background (log: ${build_log})"
prerequisite_builds >"${build_log}" 2>&1 &
builds=$!
# An interrupted run must not leave a build behind.
trap 'kill "${builds}" 2>/dev/null || true' EXIT

log_step "typechecking (tsc --noEmit, tests included)"
npm run --silent typecheck
log_step "linting (npm run lint: biome, import rules, shellcheck)"
npm run --silent lint
status=0
npx vitest run --project unit --project integration --project e2e --project browser --project browser-firefox || status=$?

log_step "waiting for the prerequisite builds"
if ! wait "${builds}"; then
  cat "${build_log}" >&2
  log_step "a prerequisite build failed (log above): the k8s, containers and k8s-real tiers cannot run"
  exit 1
fi
trap - EXIT
# Their timings belong in the run's log.
cat "${build_log}" >&2
# Two calls: the containers tier never runs beside the real node (its NetworkPolicy controller's
# rules sit in the host's FORWARD chain); each tier's global teardown stops what it started and
# puts the host's sysctls and firewall back before the next call starts.
npx vitest run --project k8s --project containers || status=$?
npx vitest run --project k8s-real || status=$?
exit "${status}"

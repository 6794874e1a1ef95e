#!/usr/bin/env bash
# `npm test`: every tier (unit, integration, e2e, k8s, containers, browser) on real services. Installs what is missing,
# including the test cluster's binaries (a long first build; cached in ~/.cache/ci-fixer).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure.sh
ensure_built_checkout
ensure_chromium
if [ -z "${CI_FIXER_TEST_KUBECONFIG:-}" ]; then
  bash scripts/test-cluster/build.sh
fi
# The containers tier: podman, the docker CLI, Compose and the registry, the local images.
ensure_container_tools
bash scripts/test-cluster/build-container-tools.sh
bash scripts/test-cluster/real-node/images.sh build-all
log_step "typechecking (tsc --noEmit, tests included)"
npm run --silent typecheck
exec npx vitest run "$@"

#!/usr/bin/env bash
# `npm test`: every tier (unit, integration, e2e, k8s, k8s-real, browser) on real services. Installs what is missing,
# including the test cluster's binaries (a long first build; cached in ~/.cache/ci-fixer).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure.sh
ensure_built_checkout
ensure_chromium
if [ -z "${CI_FIXER_TEST_KUBECONFIG:-}" ]; then
  bash scripts/test-cluster/build.sh
fi
# The k8s-real tier's node: host tools, binaries (kubelet, kube-proxy, containerd, kube-router)
# and the pause and base images, all cached; its global setup then only starts processes.
ensure_real_node_tools
bash scripts/test-cluster/build-real-node.sh
bash scripts/test-cluster/real-node/images.sh build
log_step "typechecking (tsc --noEmit, tests included)"
npm run --silent typecheck
exec npx vitest run "$@"

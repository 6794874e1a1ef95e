#!/usr/bin/env bash
# `npm run bench:fix` on a fresh clone: dependencies and the build first (the benchmark runs the
# built ci-fixer processes), then the benchmark itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/ensure.sh
ensure_node
ensure_deps
ensure_build
exec npx tsx scripts/bench/fix.ts "$@"

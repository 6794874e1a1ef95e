#!/usr/bin/env bash
# Runs a benchmark that drives the built ci-fixer processes (bench:fix, bench:fleet) on a fresh
# clone: Node, dependencies and the build first, then `tsx <script> [args...]`.
#   bash scripts/bench/built.sh scripts/bench/fix.ts --model
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/ensure.sh
ensure_node
ensure_deps
ensure_build
script="$1"
shift
exec npx tsx "${script}" "$@"

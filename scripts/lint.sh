#!/usr/bin/env bash
# `npm run lint` (and the first step of `npm test`): the checks this repository passes itself.
#   1. Biome: formatting and lint rules over src/, workers/, scripts/ and test/ (biome.jsonc)
#   2. dependency-cruiser: the layering of DEVELOPMENT.md and no cycles (.dependency-cruiser.cjs)
#   3. shellcheck: every shell script under scripts/ and .ci/run (.shellcheckrc)
# Every check runs, and the script fails when any of them found something.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# The linters need Node >= 22 (dependency-cruiser refuses older): the same Node npm test uses.
# shellcheck source=scripts/lib/ensure.sh
source scripts/lib/ensure.sh
ensure_node || exit 1

failed=()
step() { printf '[lint] %s\n' "$1" >&2; }

step "biome check (format + lint)"
npx --no-install biome check --error-on-warnings || failed+=(biome)

step "import rules (dependency-cruiser)"
npx --no-install depcruise --config .dependency-cruiser.cjs --output-type err src workers scripts test ||
  failed+=(import-rules)

step "shellcheck"
if ! command -v shellcheck >/dev/null; then
  step "shellcheck is missing: install Debian's package (apt-get install shellcheck)"
  failed+=(shellcheck)
else
  mapfile -t scripts < <(git ls-files -- 'scripts/*.sh' 'scripts/**/*.sh' .ci/run)
  shellcheck --external-sources "${scripts[@]}" || failed+=(shellcheck)
fi

if [ "${#failed[@]}" -gt 0 ]; then
  step "failed: ${failed[*]}"
  exit 1
fi
step "all checks passed"

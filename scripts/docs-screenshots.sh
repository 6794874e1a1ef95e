#!/usr/bin/env bash
# `npm run docs:screenshots`: refreshes docs/screenshots/*.png, the console screenshots the README
# shows, by running the browser tests (which take them) in Chromium with their output pointed there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure.sh
ensure_built_checkout
ensure_browsers
export CONSOLE_SCREENSHOTS_DIR="$PWD/docs/screenshots"
mkdir -p "$CONSOLE_SCREENSHOTS_DIR"
exec npx vitest run --project browser

#!/usr/bin/env bash
# `npm start`: install what is missing, build, and run the API and a worker in one process.
# Without REDIS_URL the app starts its own redis-server child (see src/redis/embedded.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure.sh
ensure_built_checkout
if [ $# -eq 0 ]; then set -- all; fi
exec node --enable-source-maps dist/src/main.js "$@"

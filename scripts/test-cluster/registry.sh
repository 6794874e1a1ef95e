#!/usr/bin/env bash
# A container image registry on loopback (distribution's registry, built by
# build-container-tools.sh) that the real node's containerd pulls the locally built images from:
# no public registry is reachable from the machines this runs on. Plain HTTP on 127.0.0.1 only,
# storage under the cache, so pushed images survive a restart.
#
# Usage: registry.sh up       # start it, or reuse the one answering; prints its address
#        registry.sh push     # up, build the missing images (images.sh build-all), push those
#                             # the registry does not serve as built here;
#                             # prints "name ref" per image
#        registry.sh down     # stop the registry this script started (storage is kept)
#        registry.sh status   # exit 0 if it answers
# Env: TC_REGISTRY_PORT (default 5001).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"
# shellcheck source=scripts/test-cluster/podman-lib.sh
source "${here}/podman-lib.sh"

pidfile="${REGISTRY_STATE}/registry-${TC_REGISTRY_PORT:-5001}.pid"

write_config() {
  mkdir -p "${REGISTRY_STATE}/storage"
  cat >"${REGISTRY_STATE}/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${REGISTRY_STATE}/storage
  delete:
    enabled: true
http:
  addr: ${REGISTRY_ADDR}
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

up() {
  if registry_answers; then echo "${REGISTRY_ADDR}"; return 0; fi
  local bin="${CT_BIN_DIR}/registry"
  [[ -x "${bin}" ]] || { echo "registry.sh: ${bin} is missing (run: bash scripts/test-cluster/build-container-tools.sh)" >&2; return 1; }
  exec 8>"${REGISTRY_STATE}.lock"
  flock -w 60 8
  if registry_answers; then echo "${REGISTRY_ADDR}"; return 0; fi
  write_config
  # No tracing collector exists here: without this the registry keeps trying to export spans.
  # From /: a daemon must not keep the caller's checkout as its working directory (it may go),
  # nor the lock on fd 8.
  (cd / && OTEL_TRACES_EXPORTER=none exec setsid nohup "${bin}" serve "${REGISTRY_STATE}/config.yml" \
    >>"${REGISTRY_STATE}/registry.log" 2>&1 </dev/null 8>&-) &
  echo $! >"${pidfile}"
  wait_for "registry on ${REGISTRY_ADDR} (log: ${REGISTRY_STATE}/registry.log)" 20 registry_answers
  echo "${REGISTRY_ADDR}"
}

# Whether the registry serves this very image under the ref: its manifest names the local
# image's config digest. A rebuild from the same inputs gives the same tag but new layer
# timestamps, so a manifest under the tag alone is not enough.
serves_local_image() {
  local ref="$1" repo tag id
  repo="${ref#"${REGISTRY_ADDR}"/}"; tag="${repo##*:}"; repo="${repo%:*}"
  id="$(podman image inspect --format '{{.Id}}' "${ref}")"
  curl -sf --max-time 5 \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://${REGISTRY_ADDR}/v2/${repo}/manifests/${tag}" | grep -q "sha256:${id}"
}

push() {
  up >/dev/null
  bash "${here}/real-node/images.sh" build-all
  podman_env
  local name ref
  for name in $(bash "${here}/real-node/images.sh" names); do
    ref="$(bash "${here}/real-node/images.sh" ref "${name}")"
    if ! serves_local_image "${ref}"; then
      echo "registry: pushing ${ref}" >&2
      timeout 600 podman push -q --tls-verify=false "${ref}" >&2
    fi
    echo "${name} ${ref}"
  done
}


case "${1:-}" in
  up) up ;;
  push) push ;;
  down) stop_pidfile "${pidfile}" registry ;;
  status) registry_answers ;;
  *) echo "usage: registry.sh up | push | down | status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A Docker-compatible engine for the container tests: `podman system service` serving the Docker
# API on a Unix socket (root only, no TCP), with podman configured for this machine kind
# (podman-lib.sh: runc, bounded rlimits). The docker CLI, Docker Compose (a CLI plugin in a
# DOCKER_CONFIG of its own, so the host's ~/.docker is untouched) and testcontainers all talk to it.
#
# Usage: podman-service.sh up      # start it, or reuse the one answering; prints DOCKER_HOST
#        podman-service.sh env     # up, then KEY=VALUE lines for a client environment
#        podman-service.sh down    # stop the service this script started
#        podman-service.sh status  # exit 0 if it answers
# Env: TC_PODMAN_RUN_DIR (default /run/ci-fixer-podman).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/versions.sh"
# shellcheck source=scripts/test-cluster/podman-lib.sh
source "${here}/podman-lib.sh"

pidfile="${PODMAN_RUN_DIR}/service.pid"
docker_config="${PODMAN_STATE}/docker-config"

answers() { [[ "$(curl -sf --max-time 2 --unix-socket "${PODMAN_SOCK}" http://podman/_ping)" == OK ]]; }

# A service started from a checkout that was deleted since still answers _ping, but conmon, which
# inherits its working directory, fails every container start ("Failed to get working directory",
# the client sees "write child: broken pipe"). Such a service is stopped and started anew.
cwd_gone() {
  local pid
  [[ -f "${pidfile}" ]] && pid="$(cat "${pidfile}")" && [[ "$(readlink "/proc/${pid}/cwd" 2>/dev/null)" == *" (deleted)" ]]
}

up() {
  podman_env
  mkdir -p "${PODMAN_RUN_DIR}"
  chmod 700 "${PODMAN_RUN_DIR}"
  # Stopped before taking the lock: a service started by an older version of this script holds it.
  if cwd_gone; then stop_pidfile "${pidfile}" podman; fi
  if ! answers; then
    exec 8>"${PODMAN_RUN_DIR}/service.lock"
    flock -w 60 8
    if ! answers; then
      rm -f "${PODMAN_SOCK}"
      # --time=0: no idle timeout; the service runs until `down` (tests reuse it between runs).
      # From /, so the checkout that started it can go away without breaking it (see cwd_gone),
      # and without fd 8: a service holding the lock would make the next restart wait in vain.
      (cd / && exec setsid nohup podman system service --time=0 "unix://${PODMAN_SOCK}" \
        >>"${PODMAN_STATE}/service.log" 2>&1 </dev/null 8>&-) &
      echo $! >"${pidfile}"
      wait_for "podman system service on ${PODMAN_SOCK} (log: ${PODMAN_STATE}/service.log)" 30 answers
    fi
  fi
  echo "unix://${PODMAN_SOCK}"
}

# Compose is found as a docker CLI plugin; a missing binary is left for the caller to report.
client_env() {
  mkdir -p "${docker_config}/cli-plugins"
  ln -sfn "${CT_BIN_DIR}/docker-compose" "${docker_config}/cli-plugins/docker-compose"
  # podman reads registry credentials from DOCKER_CONFIG too, and fails when the file is absent.
  [[ -f "${docker_config}/config.json" ]] || echo '{}' >"${docker_config}/config.json"
  echo "DOCKER_HOST=unix://${PODMAN_SOCK}"
  echo "DOCKER_CONFIG=${docker_config}"
  # podman's API has no BuildKit: the docker CLI and Compose use the classic /build endpoint.
  echo "DOCKER_BUILDKIT=0"
  # testcontainers' reaper needs an image no registry here serves; tests stop their containers.
  echo "TESTCONTAINERS_RYUK_DISABLED=true"
  echo "CONTAINERS_CONF=${CONTAINERS_CONF}"
}


case "${1:-}" in
  up) up ;;
  env) up >/dev/null && client_env ;;
  down) stop_pidfile "${pidfile}" podman ;;
  status) answers ;;
  *) echo "usage: podman-service.sh up | env | down | status" >&2; exit 2 ;;
esac

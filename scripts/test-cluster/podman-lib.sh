# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are read by the scripts that source it
# Sourced by the image, registry and podman-service scripts: podman as this project runs it, and
# the loopback addresses they share. Expects versions.sh to be sourced.
#
# Debian's podman needs two things on the machines this runs on (issue 14's measurements): runc
# (crun refuses cgroup v1 hybrid hosts) and rlimits no higher than the VM's hard limit of 20000
# (podman's defaults are above it, so every container would fail to start). Rather than edit the
# host's /etc/containers, every podman this project starts reads a containers.conf of its own
# through CONTAINERS_CONF (which then replaces the system files). Images live in podman's default
# storage, tagged with keys that name what they were built from.

PODMAN_STATE="${TC_CACHE}/test-cluster/podman"
PODMAN_RUN_DIR="${TC_PODMAN_RUN_DIR:-/run/ci-fixer-podman}"
PODMAN_SOCK="${PODMAN_RUN_DIR}/podman.sock"
PODMAN_ULIMITS=(--ulimit nofile=16384:16384 --ulimit nproc=16384:16384)
REGISTRY_ADDR="127.0.0.1:${TC_REGISTRY_PORT:-5001}"
REGISTRY_STATE="${TC_CACHE}/test-cluster/registry"

podman_env() {
  command -v podman >/dev/null || { echo "podman is missing (apt-get install podman runc)" >&2; return 1; }
  command -v runc >/dev/null || { echo "runc is missing (apt-get install runc)" >&2; return 1; }
  mkdir -p "${PODMAN_STATE}"
  local conf="${PODMAN_STATE}/containers.conf"
  local want
  want="$(printf '%s\n' '[containers]' 'default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]' '[engine]' 'runtime = "runc"')"
  [[ -f "${conf}" && "$(cat "${conf}")" == "${want}" ]] || printf '%s\n' "${want}" >"${conf}"
  export CONTAINERS_CONF="${conf}"
}

# Bounded wait for a condition command: name, seconds, command...
wait_for() {
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "${what} did not come up within ${secs}s" >&2
  return 1
}

registry_answers() { curl -sf --max-time 2 "http://${REGISTRY_ADDR}/v2/" >/dev/null; }

# Stops the process a pid file names, if it is still the program named (a reused pid is left
# alone), with a bounded wait; removes the pid file.
stop_pidfile() {
  local pidfile="$1" program="$2" pid
  [[ -f "${pidfile}" ]] || return 0
  pid="$(cat "${pidfile}")"
  if kill -0 "${pid}" 2>/dev/null && grep -q "${program}" "/proc/${pid}/cmdline" 2>/dev/null; then
    kill "${pid}"
    wait_for "${program} (pid ${pid}) to exit" 15 bash -c "! kill -0 ${pid}"
  fi
  rm -f "${pidfile}"
}

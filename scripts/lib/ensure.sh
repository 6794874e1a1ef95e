# shellcheck shell=bash
# Sourced by scripts/start.sh, scripts/test.sh and .ci/run: bring a fresh clone to a runnable state.
# Each step is a no-op when already satisfied.

CI_FIXER_CACHE="${CI_FIXER_CACHE:-$HOME/.cache/ci-fixer}"
export CI_FIXER_CACHE

log_step() { printf '[ci-fixer] %s\n' "$*" >&2; }

# Node >= 22. The npm registry ships Node itself (package "node"), so a machine with an older
# Node and npm can still get a current one without any other download source.
ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then return 0; fi
  local prefix="$CI_FIXER_CACHE/node24"
  if [ ! -x "$prefix/bin/node" ]; then
    command -v npm >/dev/null || { log_step "Node >= 22 is required and npm is missing: install Node 22+ first"; return 1; }
    log_step "Node $(node --version 2>/dev/null || echo none) is too old; installing Node 24 into $prefix"
    npm install -g --prefix "$prefix" --no-audit --no-fund node@24 >&2
  fi
  export PATH="$prefix/bin:$PATH"
  hash -r
  log_step "using node $(node --version)"
}

# Dependencies, when node_modules is missing or older than the lockfile.
ensure_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log_step "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund >&2
  fi
}

# Compiled output, when missing or older than any source file.
ensure_build() {
  local stamp=dist/.build-stamp
  if [ ! -f "$stamp" ] || [ -n "$(find src workers package.json tsconfig.json tsconfig.build.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    log_step "building (tsc)"
    rm -rf dist
    npm run --silent build >&2
    touch "$stamp"
  fi
}

# Debian packages from apt (root only), without their recommendations unless --with-recommends.
# Another apt may hold the lock (a parallel setup): it is waited for rather than failed on.
apt_install() {
  local -a recommends=(--no-install-recommends)
  if [ "${1:-}" = --with-recommends ]; then recommends=(); shift; fi
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${recommends[@]}" "$@" >&2
}

# The browser tier's browsers (test/browser, driven by playwright-core): Debian's chromium and
# firefox-esr (over WebDriver BiDi), each only when missing. Only the distribution's packages: no
# browser build is downloaded from anywhere else.
ensure_browsers() {
  local -a missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log_step "installing ${missing[*]} (apt-get) for the browser tests"
    apt_install --with-recommends "${missing[@]}"
  else
    log_step "the browser tests need Debian's ${missing[*]}: install them (apt-get install ${missing[*]})"
    return 1
  fi
}

# Node, dependencies and a current build: what every entry point that runs ci-fixer needs.
ensure_built_checkout() {
  ensure_node
  ensure_deps
  ensure_build
}

redis_answers() {
  local host="${1:-127.0.0.1}" port="${2:-6379}"
  # A subshell, so a refused connection cannot take the calling shell down with it.
  # shellcheck disable=SC2016 # $0 and $1 are the inner shell's own arguments
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r reply <&3 || exit 1
    [[ "$reply" == +PONG* ]]
  ' "$host" "$port" 2>/dev/null
}

# Go, for the Go fixers' tests and bench:fix, and the modules their fixtures fetch (versions as in
# scripts/lib/fixtures/go.ts), warmed into Go's own module and build caches, outside the
# repository. GOPROXY/GOFLAGS stay as the environment sets them. Idempotent: warm runs take ~1 s.
ensure_go_modules() {
  if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
  command -v go >/dev/null || { log_step "go not found: the Go fixer tests need Go >= 1.22 on PATH"; return 1; }
  local tmp
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && go mod download github.com/google/uuid@v1.6.0 && go run golang.org/x/tools/cmd/goimports@v0.41.0 -l .) >&2; then
    rm -rf "$tmp"
    log_step "could not fetch the Go fixtures' modules through GOPROXY=$(go env GOPROXY)"
    return 1
  fi
  rm -rf "$tmp"
}

# The tools the python, rust and "other" fixer tests run for real, from Debian's packages, each
# only when missing: black, isort, poetry, shfmt, clang-format (fixer tests), pytest and mypy
# (scripts/capture-outputs-more.ts), cargo and rustfmt when there is no Rust toolchain at all.
# ruff, uv and terraform are in neither Debian's archive nor the npm registry: their tests run on
# stored output and need nothing here.
ensure_fixer_tools() {
  local -a missing=()
  # A rustup toolchain outside PATH (a non-login shell) is the machine's own: use it rather than
  # install Debian's older cargo beside it.
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi
  command -v black >/dev/null || missing+=(black)
  command -v isort >/dev/null || missing+=(isort)
  command -v poetry >/dev/null || missing+=(python3-poetry)
  command -v shfmt >/dev/null || missing+=(shfmt)
  command -v clang-format >/dev/null || missing+=(clang-format)
  command -v pytest >/dev/null || missing+=(python3-pytest)
  command -v mypy >/dev/null || missing+=(mypy)
  command -v cargo >/dev/null || missing+=(cargo)
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  log_step "installing fixer tools: ${missing[*]}"
  apt_install "${missing[@]}"
}

# `npm run lint`'s one tool outside node_modules: Debian's shellcheck, only when missing.
ensure_lint_tools() {
  command -v shellcheck >/dev/null && return 0
  log_step "installing shellcheck (npm run lint)"
  apt_install shellcheck
}

# The containers tier (test/containers) and the real node's images: podman (its Docker API
# socket; runc, since crun refuses cgroup v1 hybrid hosts) and debootstrap (the base image), from
# Debian's packages, each only when missing. The docker CLI: the one on PATH (the machine image
# ships one); else the client binary alone from Debian's docker.io package, unpacked into the
# cache, so no Docker daemon is installed or started. (github.com/docker/cli does not build from
# the Go module proxy: a dependency of it is not served.)
ensure_container_tools() {
  local -a missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # Name resolution between a compose project's containers (api and worker reach "redis"): podman's
  # CNI backend adds it to a network only when this plugin is installed. podman merely recommends it,
  # so --no-install-recommends leaves it out.
  [ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then log_step "the containers tier needs root and Debian's ${missing[*]} (apt-get install ${missing[*]})"; return 1; fi
    log_step "installing container tools: ${missing[*]}"
    apt_install "${missing[@]}" || return 1
  fi
  command -v docker >/dev/null && return 0
  local dir="$CI_FIXER_CACHE/docker-cli"
  if [ ! -x "$dir/docker" ]; then
    log_step "no docker CLI on PATH: unpacking the client from Debian's docker.io package into $dir"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download docker.io >&2 && dpkg-deb --fsys-tarfile docker.io_*.deb | tar -x ./usr/bin/docker) &&
      mkdir -p "$dir" && mv "$tmp/usr/bin/docker" "$dir/docker"
    rm -rf "$tmp"
    [ -x "$dir/docker" ] || { log_step "could not unpack the docker CLI from docker.io"; return 1; }
  fi
  export PATH="$PATH:$dir"
}

# The real node's host tools (scripts/test-cluster/real-node.sh, the k8s-real tier), from Debian's
# packages, each only when missing: runc and the CNI plugins (containers and their network),
# iptables, ipset and conntrack (kube-proxy and kube-router), socat (the API server's forwarder on
# the node address) and debootstrap (the base image). The tier needs root, and so does this.
ensure_real_node_tools() {
  local -a missing=()
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ipset >/dev/null || missing+=(ipset)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v socat >/dev/null || missing+=(socat)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log_step "the real-node tier needs root and Debian's ${missing[*]} (apt-get install ${missing[*]})"
    return 1
  fi
  log_step "installing the real node's host tools: ${missing[*]}"
  apt_install "${missing[@]}"
}

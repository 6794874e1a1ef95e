#!/usr/bin/env bash
# What the test tiers change on the host beyond their own folders, recorded before and put back
# after: the sysctls the real node's daemons (kubelet, kube-proxy, the CNI bridge) and podman's
# networks set, and the iptables chains the real node's kube-proxy, kube-router and kubelet add.
# A tier that leaves them behind changes the next tier's network: with the real node's chains in
# FORWARD, the containers tier's Compose services could not reach each other.
#
# Usage: host-state.sh save DIR      # record the sysctls and the iptables chains into DIR
#        host-state.sh restore DIR   # put back every recorded sysctl that differs now; remove
#                                    # the KUBE-*/CIFIXER-* chains (and the rules jumping to
#                                    # them) that DIR's record does not have; say what it did
#        host-state.sh check DIR     # exit 1, naming them, when either differs from DIR's record
# Only chains named KUBE-* and CIFIXER-* are ever removed: every other program's rules (podman's
# CNI-* among them) are left alone, whatever they are.
set -euo pipefail

# kubelet: vm.overcommit_memory, vm.panic_on_oom, kernel.panic, kernel.panic_on_oops,
# kernel.keys.root_max*; kube-proxy: route_localnet, the conntrack settings (left alone by its
# config, listed in case); the CNI bridge and podman: ip_forward; br_netfilter: bridge-nf-call-*.
SYSCTLS=(
  net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait
  vm.overcommit_memory
  vm.panic_on_oom
  kernel.panic
  kernel.panic_on_oops
  kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes
)
TABLES=(filter nat mangle raw)

say() { echo "host-state: $*" >&2; }
# sysctl prints multi-value keys (kernel.printk-like) tab-separated; compared word by word.
words() { tr -s ' \t' '  ' <<<"$1"; }

current_sysctls() {
  local name value
  for name in "${SYSCTLS[@]}"; do
    # A key that does not exist here (no br_netfilter, no conntrack yet) is not recorded.
    if value="$(sysctl -n "${name}" 2>/dev/null)"; then printf '%s=%s\n' "${name}" "${value}"; fi
  done
}

# "command table chain" per line, for our chains only: IPv4 and IPv6 (the kubelet and kube-proxy
# program both when the host has IPv6).
current_chains() {
  local cmd t
  for cmd in iptables ip6tables; do
    command -v "${cmd}" >/dev/null || continue
    for t in "${TABLES[@]}"; do
      "${cmd}" -t "${t}" -S 2>/dev/null | awk -v c="${cmd}" -v t="${t}" '$1 == "-N" && $2 ~ /^(KUBE-|CIFIXER-)/ { print c, t, $2 }'
    done
  done
}

save() {
  local dir="$1"
  mkdir -p "${dir}"
  current_sysctls >"${dir}/sysctls"
  current_chains >"${dir}/chains"
}

# Chains present now that the record does not have.
added_chains() { comm -13 <(sort "$1/chains") <(current_chains | sort); }

changed_sysctls() {
  local line name value now
  while IFS= read -r line; do
    name="${line%%=*}"; value="${line#*=}"
    now="$(sysctl -n "${name}" 2>/dev/null || true)"
    if [[ "$(words "${now}")" != "$(words "${value}")" ]]; then printf '%s=%s (now %s)\n' "${name}" "${value}" "${now}"; fi
  done <"$1/sysctls"
}

remove_chains() {
  local cmd t c rule
  # First every rule that jumps to one of them (from any chain), then their own rules, then them.
  while read -r cmd t c; do
    "${cmd}" -t "${t}" -S | awk -v c="${c}" '$1 == "-A" { for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g") && $(i + 1) == c) { print; break } }' |
      while IFS= read -r rule; do
        # eval: the rule's own words as iptables -S printed them, quoted comments included.
        eval "${cmd} -t ${t} -D ${rule#-A }" || true
      done
  done <<<"$1"
  while read -r cmd t c; do "${cmd}" -t "${t}" -F "${c}" 2>/dev/null || true; done <<<"$1"
  while read -r cmd t c; do "${cmd}" -t "${t}" -X "${c}" 2>/dev/null || true; done <<<"$1"
}

restore() {
  local dir="$1" line name value added
  [[ -f "${dir}/sysctls" ]] || { say "no record in ${dir}; nothing to restore"; return 0; }
  while IFS= read -r line; do
    name="${line%%=*}"; value="${line#*=}"
    if [[ "$(words "$(sysctl -n "${name}" 2>/dev/null || true)")" != "$(words "${value}")" ]]; then
      say "sysctl ${name}: back to ${value}"
      sysctl -qw "${name}=${value}" || say "could not set ${name}=${value}"
    fi
  done <"${dir}/sysctls"
  added="$(added_chains "${dir}")"
  if [[ -n "${added}" ]]; then
    say "removing iptables chains left behind: $(tr '\n' ' ' <<<"${added}")"
    remove_chains "${added}"
  fi
}

check() {
  local dir="$1" problems
  problems="$(
    changed_sysctls "${dir}"
    added_chains "${dir}" | sed 's/^/chain /'
  )"
  [[ -z "${problems}" ]] || { say "host differs from ${dir}:"; echo "${problems}" >&2; return 1; }
}

case "${1:-}" in
  save | restore | check) [[ -n "${2:-}" ]] || { echo "usage: host-state.sh $1 DIR" >&2; exit 2; }; "$1" "$2" ;;
  *) echo "usage: host-state.sh save | restore | check DIR" >&2; exit 2 ;;
esac

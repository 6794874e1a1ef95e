# shellcheck shell=bash
# Sourced by real-node.sh: the real node's network beyond the CNI bridge. kube-proxy (iptables
# mode) routes Service IPs, kube-router's firewall controller alone enforces NetworkPolicy, a
# forwarder makes the API server reachable from pods as in a real cluster, and a guard keeps pods
# away from everything else on the host. Expects real-node.sh's RN_* variables, kc and
# start_daemon.
: "${here:?real-node.sh sets it}"

# The API server listens on 127.0.0.1 only (kwok.yaml), which no pod can reach. socat forwards
# the node address's port 6443 to it, and the `kubernetes` Service gets that as its endpoint, so
# pods reach the API server through its ClusterIP and the node IP, as on a real node: the
# sandbox NetworkPolicy, not this machine's wiring, is then what keeps sandboxes away from it.
RN_API_PORT="${TC_REAL_NODE_API_PORT:-6443}"
RN_KUBE_PROXY_HEALTHZ="127.0.0.1:10351"
RN_KUBE_PROXY_METRICS="127.0.0.1:10352"
RN_GUARD_CHAIN="CIFIXER-POD-TO-HOST"
# Ports on the node address that tests' own host-side servers use (the https git server the
# whole-task tests clone from): the guard lets pods reach them, so the sandbox NetworkPolicy alone
# decides (the chart denies private addresses unless sandbox.networkPolicy.extraEgress allows one).
RN_TEST_SERVER_PORTS="${TC_REAL_NODE_TEST_SERVER_PORTS:-18440:18449}"
RN_ENDPOINT_SLICE="kubernetes-ci-fixer-real-node"

# The API server's host:port as the cluster's kubeconfig names it (https://127.0.0.1:<port>).
api_hostport() {
  local server
  server="$(kc config view --raw -o jsonpath='{.clusters[0].cluster.server}')"
  server="${server#https://}"
  echo "${server%%/*}"
}

service_cidr() {
  awk '/key: service-cluster-ip-range/ { getline; print $2; exit }' "${TC_STATE_DIR}/kwok.yaml"
}

# A client certificate signed by the cluster CA, and a kubeconfig using it.
write_client_kubeconfig() {
  local name="$1" subject="$2" dir="${RN_STATE}/pki"
  mkdir -p "${dir}"
  if [[ ! -f "${dir}/${name}.crt" ]] || ! openssl verify -CAfile "${RN_PKI}/ca.crt" "${dir}/${name}.crt" >/dev/null 2>&1; then
    openssl req -new -newkey rsa:2048 -nodes -keyout "${dir}/${name}.key" -out "${dir}/${name}.csr" -subj "${subject}" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"${dir}/ext.cnf"
    openssl x509 -req -in "${dir}/${name}.csr" -CA "${RN_PKI}/ca.crt" -CAkey "${RN_PKI}/ca.key" \
      -CAcreateserial -days 365 -extfile "${dir}/ext.cnf" -out "${dir}/${name}.crt" 2>/dev/null
  fi
  cat >"${RN_STATE}/${name}.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "https://$(api_hostport)", certificate-authority: "${RN_PKI}/ca.crt" }
users:
- name: ${name}
  user: { client-certificate: "${dir}/${name}.crt", client-key: "${dir}/${name}.key" }
contexts:
- name: local
  context: { cluster: local, user: ${name} }
current-context: local
KC
}

# Pods may reach nothing on the host (the kubelet, anything bound to 0.0.0.0 or the bridge
# gateway) but the API server forwarder, the test servers' ports, and replies to connections
# the host opened (probes).
# In mangle INPUT, i.e. after kube-proxy's DNAT and before kube-router's filter chains: a
# NetworkPolicy that allows a host address (kube-router ACCEPTs) cannot open the host either.
ensure_network() {
  # Not `ip | grep -q`: grep exiting early makes the pipeline fail under pipefail.
  [[ "$(ip -o addr show dev lo)" == *" ${RN_NODE_IP}/32 "* ]] || ip addr add "${RN_NODE_IP}/32" dev lo
  iptables -t mangle -N "${RN_GUARD_CHAIN}" 2>/dev/null || true
  iptables -t mangle -F "${RN_GUARD_CHAIN}"
  iptables -t mangle -A "${RN_GUARD_CHAIN}" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  iptables -t mangle -A "${RN_GUARD_CHAIN}" -d "${RN_NODE_IP}" -p tcp --dport "${RN_API_PORT}" -j RETURN
  iptables -t mangle -A "${RN_GUARD_CHAIN}" -d "${RN_NODE_IP}" -p tcp --dport "${RN_TEST_SERVER_PORTS}" -j RETURN
  iptables -t mangle -A "${RN_GUARD_CHAIN}" -j DROP
  iptables -t mangle -C INPUT -s "${RN_POD_CIDR}" -j "${RN_GUARD_CHAIN}" 2>/dev/null ||
    iptables -t mangle -I INPUT -s "${RN_POD_CIDR}" -j "${RN_GUARD_CHAIN}"
}

# Also the bridge plugin's per-pod NAT rules (comment `name: "cifixer" ...`) and chains: pods
# killed through containerd on --down never get their CNI DEL. Deleted by rule number, so no
# other program's rules in the nat table are rewritten.
remove_network() {
  iptables -t mangle -D INPUT -s "${RN_POD_CIDR}" -j "${RN_GUARD_CHAIN}" 2>/dev/null || true
  iptables -t mangle -F "${RN_GUARD_CHAIN}" 2>/dev/null || true
  iptables -t mangle -X "${RN_GUARD_CHAIN}" 2>/dev/null || true
  local chains n c
  chains="$(iptables -t nat -S POSTROUTING | awk '/name: \\"cifixer\\"/ { for (i = 1; i < NF; i++) if ($i == "-j") print $(i + 1) }')"
  for n in $(iptables -t nat -L POSTROUTING --line-numbers -n | awk '/name: "cifixer"/ { print $1 }' | sort -rn); do
    iptables -t nat -D POSTROUTING "${n}" || true
  done
  for c in ${chains}; do
    if iptables -t nat -F "${c}" 2>/dev/null; then iptables -t nat -X "${c}" 2>/dev/null || true; fi
  done
  # The kubelet's own: KUBE-FIREWALL (drops non-loopback packets to 127/8) and its canaries.
  iptables -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
  iptables -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
  local t
  for t in filter nat mangle; do
    for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      if iptables -t "${t}" -F "${c}" 2>/dev/null; then iptables -t "${t}" -X "${c}" 2>/dev/null || true; fi
    done
  done
  ip link del "${RN_BRIDGE}" 2>/dev/null || true
  ip addr del "${RN_NODE_IP}/32" dev lo 2>/dev/null || true
}

write_kube_proxy_config() {
  write_client_kubeconfig kube-proxy "/CN=system:kube-proxy"
  # conntrack 0s/0: leave the host's conntrack sysctls alone. oomScoreAdj 0: no process may lower
  # its score on this VM kind. NodePorts only on the node address, never on the VM's interfaces.
  cat >"${RN_STATE}/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: ${RN_STATE}/kube-proxy.kubeconfig }
hostnameOverride: ${RN_NODE_NAME}
mode: iptables
clusterCIDR: ${RN_POD_CIDR}
detectLocalMode: ClusterCIDR
healthzBindAddress: ${RN_KUBE_PROXY_HEALTHZ}
metricsBindAddress: ${RN_KUBE_PROXY_METRICS}
nodePortAddresses: ["${RN_NODE_IP}/32"]
oomScoreAdj: 0
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { localhostNodePorts: false, masqueradeAll: false }
YAML
}

# The endpoint of the `kubernetes` Service (the API server reconciles none, kwok.yaml).
apply_api_endpoint() {
  kc apply -f - >&2 <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${RN_ENDPOINT_SLICE}
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    endpointslice.kubernetes.io/managed-by: ci-fixer-real-node
addressType: IPv4
endpoints:
- addresses: ["${RN_NODE_IP}"]
  conditions: { ready: true }
ports:
- { name: https, port: ${RN_API_PORT}, protocol: TCP }
YAML
}

kube_proxy_healthy() { curl -fsS --max-time 2 "http://${RN_KUBE_PROXY_HEALTHZ}/healthz" >/dev/null 2>&1; }

# kube-router's firewall controller programs the chains of every local pod on start; its iptables
# rules carry KUBE-ROUTER in their chain names.
kube_router_ready() {
  if ! pid_alive kube-router; then tail -5 "${RN_STATE}/kube-router.log" >&2; say "kube-router exited"; exit 1; fi
  grep -q KUBE-ROUTER-INPUT <<<"$(iptables -S INPUT 2>/dev/null)"
}

start_network_daemons() {
  if ! pid_alive kube-proxy; then
    write_kube_proxy_config
    start_daemon kube-proxy "${RN_BIN_DIR}/kube-proxy" --config "${RN_STATE}/kube-proxy.yaml"
  fi
  if ! pid_alive kube-router; then
    write_client_kubeconfig kube-router "/CN=ci-fixer:real-node:kube-router"
    kc apply -f "${here}/real-node/kube-router-rbac.yaml" >&2
    start_daemon kube-router "${NETPOL_BIN_DIR}/kube-router" \
      --kubeconfig "${RN_STATE}/kube-router.kubeconfig" \
      --hostname-override "${RN_NODE_NAME}" \
      --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
      --enable-ipv4=true --enable-ipv6=false \
      --service-cluster-ip-range "$(service_cidr)" \
      --health-port 0 --metrics-port 0
  fi
  if ! pid_alive api-forwarder; then
    start_daemon api-forwarder socat "TCP-LISTEN:${RN_API_PORT},bind=${RN_NODE_IP},fork,reuseaddr,max-children=64" "TCP:$(api_hostport)"
  fi
  apply_api_endpoint
  wait_for "kube-proxy healthz" 60 kube_proxy_healthy
  wait_for "kube-router's iptables chains" 60 kube_router_ready
}

# kube-router's firewall state: the jumps it puts first in INPUT/FORWARD/OUTPUT (comment
# "kube-router netpol"), its KUBE-ROUTER-*, KUBE-POD-FW-* and KUBE-NWPLCY-* chains and its
# KUBE-SRC-*/KUBE-DST-* ipsets. Its own --cleanup-config leaves them on this machine kind (and
# then panics in the IPVS cleanup of the proxy it does not run here).
remove_kube_router_rules() {
  local chain n c
  for chain in INPUT FORWARD OUTPUT; do
    for n in $(iptables -L "${chain}" --line-numbers -n | awk '/kube-router netpol/ { print $1 }' | sort -rn); do
      iptables -D "${chain}" "${n}" || true
    done
  done
  local chains
  chains="$(iptables -S | awk '$1 == "-N" && $2 ~ /^KUBE-(ROUTER-|POD-FW-|NWPLCY-)/ { print $2 }')"
  for c in ${chains}; do iptables -F "${c}" || true; done
  for c in ${chains}; do iptables -X "${c}" || true; done
  for c in $(ipset list -n 2>/dev/null | grep -E '^KUBE-(SRC|DST)-'); do ipset destroy "${c}" || true; done
}

# kube-proxy leaves its rules behind on exit; --cleanup removes them.
stop_network_daemons() {
  stop_pid api-forwarder
  stop_pid kube-router
  stop_pid kube-proxy
  remove_kube_router_rules
  if [[ -x "${RN_BIN_DIR}/kube-proxy" ]]; then
    timeout 60 "${RN_BIN_DIR}/kube-proxy" --cleanup >>"${RN_STATE}/kube-proxy.log" 2>&1 || true
  fi
}

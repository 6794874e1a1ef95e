# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are read by the scripts that source it
# Sourced by the test-cluster scripts: pinned versions and the cache layout derived from them.
# Changing a version changes the cache key, so old and new binaries never mix.
K8S_VERSION="${TC_K8S_VERSION:-1.36.3}"
ETCD_VERSION="${TC_ETCD_VERSION:-3.6.16}"
KWOK_VERSION="${TC_KWOK_VERSION:-0.8.0}"
HELM_VERSION="${TC_HELM_VERSION:-3.22.0}"

TC_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}"
# The same cache as scripts/lib/ensure.sh (CI_FIXER_CACHE): one variable empties every cache of a
# cold run. CI_FIXER_CACHE_DIR is its older name, still honoured.
TC_CACHE="${CI_FIXER_CACHE:-${CI_FIXER_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/ci-fixer}}"
TC_ROOT="${TC_CACHE}/test-cluster/${TC_KEY}"
TC_BIN_DIR="${TC_ROOT}/bin"
TC_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl helm)

# KEDA (operator + metrics API server) for the autoscaling test: its own cache key, so a KEDA
# bump neither rebuilds nor moves the cluster binaries above.
KEDA_VERSION="${TC_KEDA_VERSION:-2.21.0}"
KEDA_ROOT="${TC_CACHE}/test-cluster/keda-${KEDA_VERSION}"
KEDA_BIN_DIR="${KEDA_ROOT}/bin"
# The real node (scripts/test-cluster/real-node.sh): kubelet and kube-proxy from the same
# k8s.io/kubernetes as the control plane, containerd 2.x with its runc shim. runc and the CNI
# plugins come from Debian packages. Its own key, so the control-plane cache is never touched.
CONTAINERD_VERSION="${TC_CONTAINERD_VERSION:-2.4.2}"
RN_KEY="real-node_k8s-${K8S_VERSION}_containerd-${CONTAINERD_VERSION}"
RN_ROOT="${TC_CACHE}/test-cluster/${RN_KEY}"
RN_BIN_DIR="${RN_ROOT}/bin"
RN_BINARIES=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr)
# Container tools for the image tests (scripts/test-cluster/build-container-tools.sh): the
# loopback registry the real node pulls from and Docker Compose v2 (a docker CLI plugin), both
# from the Go module proxy. Their own key, like KEDA's.
REGISTRY_VERSION="${TC_REGISTRY_VERSION:-3.1.2}"
COMPOSE_VERSION="${TC_COMPOSE_VERSION:-2.40.3}"
CT_KEY="container-tools_registry-${REGISTRY_VERSION}_compose-${COMPOSE_VERSION}"
CT_ROOT="${TC_CACHE}/test-cluster/${CT_KEY}"
CT_BIN_DIR="${CT_ROOT}/bin"
CT_BINARIES=(registry docker-compose)
# The real node's NetworkPolicy engine (scripts/test-cluster/build-netpol.sh): kube-router's
# firewall controller alone. sigs.k8s.io/kube-network-policies needs nftables' queue expression,
# which this machine kind's kernel lacks (docs/test-cluster.md). Its own key.
KUBE_ROUTER_VERSION="${TC_KUBE_ROUTER_VERSION:-2.1.0}"
NETPOL_KEY="netpol_kube-router-${KUBE_ROUTER_VERSION}"
NETPOL_ROOT="${TC_CACHE}/test-cluster/${NETPOL_KEY}"
NETPOL_BIN_DIR="${NETPOL_ROOT}/bin"

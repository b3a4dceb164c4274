#!/usr/bin/env bash
# The cluster tier (npm run test:cluster): what the library synthesizes, unmodified, committed to a GitOps
# repository and applied by Flux to a real single-node Kubernetes 1.27 cluster in namespaces of its own
# (test/cluster/cluster.sh), then reached as a user reaches it: OpenSSH with only the files `cdk8s-go-remote`
# writes, the real kubectl. The checks are tier_test.go's (see README.md).
#
#   bash test/cluster/run.sh [go test flags, e.g. -test.run 'TestTier/1']
#
# Needs Linux and root; installs with apt-get what is missing (containerd, runc, CNI plugins, iptables,
# conntrack, podman, debootstrap, busybox-static, git, OpenSSH client, iproute2, openssl, curl). Outside CI a
# missing platform is reported as NOT RUN; under CI=true it fails (test/support/tier.sh). Whatever happens, the
# git server, Flux's controllers and the cluster are stopped by PID (trap), and the machine's own network
# namespace, iptables, sysctls and mount table are compared before, during and after the run.
# Timings: printed, and written to .cache/cluster/timings.json.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/test/cluster
cache=$repo/.cache/cluster
cd "$repo"
# shellcheck source=../support/tier.sh
. test/support/tier.sh
tier_init "test/cluster/run.sh (cluster tier)"
tier_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { tier_say "$*"; }

[[ $(uname -s) == Linux ]] || tier_missing "a Kubernetes node needs Linux (this is $(uname -s))"
[[ $(id -u) == 0 ]] || tier_missing "needs root (network namespaces, mounts, containerd); running as UID $(id -u)"
mkdir -p "$cache"

# --- tools ---------------------------------------------------------------------------------------------
declare -A provides=(
  [containerd]=containerd [ctr]=containerd [containerd-shim-runc-v2]=containerd [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins [iptables]=iptables [conntrack]=conntrack
  [podman]=podman [debootstrap]=debootstrap [/bin/busybox]=busybox-static [git]=git [ssh]=openssh-client
  [ssh-keygen]=openssh-client [ip]=iproute2 [openssl]=openssl [nsenter]=util-linux [unshare]=util-linux
  [curl]=curl [flock]=util-linux
)
missing=()
for tool in "${!provides[@]}"; do
  if [[ $tool == /* ]]; then [[ -x $tool ]] && continue; else command -v "$tool" >/dev/null && continue; fi
  case " ${missing[*]} " in *" ${provides[$tool]} "*) ;; *) missing+=("${provides[$tool]}") ;; esac
done
if [[ ${#missing[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null || tier_missing "missing ${missing[*]} and no apt-get to install them"
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$cache/apt.log" 2>&1; then
    tail -n 20 "$cache/apt.log" >&2
    tier_fail "apt-get could not install ${missing[*]} (log: $cache/apt.log)"
  fi
fi
tier_require go "it builds Kubernetes, Flux, CoreDNS, the local-path provisioner, the git server and the harness"
tier_require node "the cdk8s apps and the cdk8s-go-remote command"
tier_require npx "the cdk8s apps and the cdk8s-go-remote command"
unshare --net true 2>/dev/null || tier_missing "cannot create a network namespace here (unshare --net failed)"
[[ -d /sys/fs/cgroup/cpu && -d /sys/fs/cgroup/memory ]] ||
  tier_missing "the node needs cgroup v1 hierarchies under /sys/fs/cgroup (found: $(echo /sys/fs/cgroup/*))"

# --- the machine's own state, which the tier must leave alone -------------------------------------------
host_state() {
  local k p
  echo "## sysctls"
  for k in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables \
    net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established \
    net.netfilter.nf_conntrack_tcp_timeout_close_wait; do
    echo "$k=$(sysctl -n "$k" 2>/dev/null || echo absent)"
  done
  echo "## iptables rules of a cluster"
  iptables-save 2>/dev/null | grep -E 'KUBE-|10\.244\.0\.|10\.96\.|cni0' || true
  echo "## addresses and routes of a cluster"
  ip -o addr | grep -E '10\.244\.0\.|cni0' || true
  ip route | grep -E '10\.244\.|10\.96\.' || true
  echo "## node paths on the machine"
  for p in /run/containerd /run/crio /var/lib/cni /var/log/pods /var/log/containers /var/lib/kubelet \
    /var/lib/containerd /opt/containerd /opt/local-path-provisioner /usr/libexec/kubernetes /etc/kubernetes; do
    [[ -e $p ]] && echo "exists: $p"
  done
  echo "## mounts of a cluster in the machine's mount namespace (but the named network namespace itself)"
  grep -E 'cdk8s-cluster|/\.cache/cluster/' /proc/self/mountinfo | grep -v ' /run/netns/' || true
}
# compare_host_state <before file> <when>
compare_host_state() {
  local now
  now=$(host_state)
  if ! diff -u "$1" <(echo "$now") >"$work/host-state.diff"; then
    cat "$work/host-state.diff" >&2
    tier_fail "the machine's own state changed $2 (diff above: - before the run, + $2)"
  fi
  say "the machine's sysctls, iptables, addresses, node paths and mount table are unchanged $2"
}

# --- builds (each cached by a content stamp) -----------------------------------------------------------
# shellcheck source=../../tools/k8s/goenv.sh
. tools/k8s/goenv.sh
# shellcheck source=../support/dev-image.sh
. test/support/dev-image.sh
dev_image_podman_conf
t=$(date +%s.%N)
k8s_bin=$(bash tools/k8s/build.sh | tail -n 1) || tier_fail "tools/k8s/build.sh failed (output above)"
k8s_seconds=$(elapsed "$t")
t=$(date +%s.%N)
cluster_bin=$(bash tools/cluster/build.sh | tail -n 1) || tier_fail "tools/cluster/build.sh failed (output above)"
tools_seconds=$(elapsed "$t")
t=$(date +%s.%N)
flux_bin=$(bash tools/flux/build.sh | tail -n 1) || tier_fail "tools/flux/build.sh failed (output above)"
flux_seconds=$(elapsed "$t")
t=$(date +%s.%N)
gitserver=$(bash tools/gitserver/build.sh | tail -n 1) || tier_fail "tools/gitserver/build.sh failed (output above)"
gitserver_seconds=$(elapsed "$t")
t=$(date +%s.%N)
bash tools/cluster/images.sh "$cluster_bin" >/dev/null || tier_fail "tools/cluster/images.sh failed (output above)"
images_seconds=$(elapsed "$t")
dev_image=localhost/go-remote:cluster
dev_image_build "$dev_image" "$k8s_bin" "$cache"
t=$(date +%s.%N)
say "compiling the library (npx projen compile) for the cdk8s-go-remote command"
npx projen compile >"$cache/compile.log" 2>&1 || { tail -n 30 "$cache/compile.log" >&2; tier_fail "npx projen compile failed (log: $cache/compile.log)"; }
compile_seconds=$(elapsed "$t")
# cert-manager's Certificate CRD for examples/delve-webhook.ts, the version test/apiserver/crds.sh pins
crds=$(bash test/apiserver/crds.sh) || tier_fail "test/apiserver/crds.sh could not get the CRDs"
certificate_crd=$(tr ':' '\n' <<<"$crds" | grep '/cert-manager.io_certificates.yaml$') ||
  tier_fail "test/apiserver/crds.sh names no cert-manager Certificate CRD"

# --- the run's work directory, and what the trap stops --------------------------------------------------
# a work directory per run, named by this script's PID; those of runs that are gone are removed
for old in "$cache"/work.*; do
  [[ -d $old ]] || continue
  pid=${old##*/work.}
  pid=${pid%%.*}
  [[ -d /proc/$pid ]] || rm -rf "$old"
done
work=$(mktemp -d "$cache/work.$$.XXXXXX")
env_file=
gitserver_pid=
flux_state=$work/flux
stop_gitops() {
  if [[ -f $flux_state/pids ]]; then
    bash "$here/flux/flux.sh" stop --state "$flux_state" || say "warning: flux.sh stop failed"
  fi
  if [[ -n $gitserver_pid ]]; then
    # the git server's own PID (nsenter execs it); its command line names the run's work directory
    if tr '\0' ' ' <"/proc/$gitserver_pid/cmdline" 2>/dev/null | grep -qF -- "$work"; then
      kill "$gitserver_pid" 2>/dev/null || true
      wait "$gitserver_pid" 2>/dev/null || true
    fi
    gitserver_pid=
  fi
}
finish() {
  local status=$?
  set +e
  stop_gitops
  if [[ -n $env_file ]]; then
    bash "$here/cluster.sh" down "$env_file"
  fi
  bash "$here/cluster.sh" cleanup
  rm -rf "$work"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t=$(date +%s.%N)
harness=$work/cluster.test
(cd "$here" && go test -c -o "$harness" .) || tier_fail "test/cluster's tests do not compile"
harness_seconds=$(elapsed "$t")

# --- everything the GitOps repository holds: the examples and the tier's own apps, synthesized --------------
ssh-keygen -q -t ed25519 -N '' -C "cluster-tier@$(hostname)" -f "$work/id_ed25519" || tier_fail "ssh-keygen failed"
t=$(date +%s.%N)
TIER_PUBLIC_KEY_FILE=$work/id_ed25519.pub npx ts-node --project test/tsconfig.json "$here/apps/synth.ts" "$work/dist" ||
  tier_fail "synthesizing the examples and test/cluster/apps failed"
synth_seconds=$(elapsed "$t")
# The dev image goes into containerd under every reference the synthesized containers name.
mapfile -t refs < <(find "$work/dist" -name '*.yaml' -exec sed -n 's/^ *image: *//p' {} + | tr -d '"'"'" | sort -u)
[[ ${#refs[@]} -gt 0 ]] || tier_fail "the synthesized manifests in $work/dist name no image"
say "the manifests use ${refs[*]}"

# --- the cluster ---------------------------------------------------------------------------------------
before=$work/host-state.before
host_state >"$before"
CLUSTER_OWNER_PID=$$ bash "$here/cluster.sh" up >"$cache/up.out" || tier_fail "the cluster did not start (output above)"
env_file=$(tail -n 1 "$cache/up.out")
# shellcheck source=/dev/null
. "$env_file"
t=$(date +%s.%N)
bash "$here/cluster.sh" import-podman "$env_file" "$dev_image" "${refs[@]}" || tier_fail "importing the dev image failed"
import_seconds=$(elapsed "$t")

# --- GitOps: Flux's CRDs and RBAC, the CRDs the examples name, the git server, the controllers -----------------
t=$(date +%s.%N)
in_node() { bash "$here/cluster.sh" exec "$env_file" -- "$@"; }
export KUBECTL=$CLUSTER_K8S_BIN/kubectl FLUX_BIN=$flux_bin
in_node bash "$here/flux/flux.sh" install --kubeconfig "$KUBECONFIG" >"$work/flux-install.log" 2>&1 ||
  { cat "$work/flux-install.log" >&2; tier_fail "installing Flux's CRDs and RBAC failed"; }
# fleet-flux's team and pod-network-operator are on OpenShift (a SecurityContextConstraints object each), and
# delve-webhook asks cert-manager for a Certificate: without the kinds, Flux could not apply those folders.
in_node "$KUBECTL" apply --server-side -f schemas/openshift/securitycontextconstraints.crd.yaml -f "$certificate_crd" >/dev/null ||
  tier_fail "installing the SCC and Certificate CRDs failed"
in_node "$KUBECTL" wait --for condition=Established --timeout=60s crd/securitycontextconstraints.security.openshift.io \
  crd/certificates.cert-manager.io >/dev/null || tier_fail "the SCC and Certificate CRDs are not Established"
repos=$work/repos
bash test/cluster/upstream/make-repos.sh "$repos" >"$work/upstream.txt" || tier_fail "test/cluster/upstream/make-repos.sh failed"
bash "$here/ca.sh" issue "$work/tls" github.com DNS:github.com || tier_fail "test/cluster/ca.sh could not issue github.com's certificate"
# nsenter execs the server, so $! is the git server's own PID
nsenter --target "$CLUSTER_NODE_PID" --mount --net -- "$gitserver" --root "$repos" --listen "$CLUSTER_NODE_IP:443" \
  --cert "$work/tls/tls.crt" --key "$work/tls/tls.key" --ready-file "$work/gitserver.ready" >"$work/gitserver.log" 2>&1 &
gitserver_pid=$!
for _ in $(seq 100); do [[ -s $work/gitserver.ready ]] && break; sleep 0.1; done
[[ -s $work/gitserver.ready ]] || { cat "$work/gitserver.log" >&2; tier_fail "the git server did not start"; }
in_node bash "$here/flux/flux.sh" start --kubeconfig "$KUBECONFIG" --state "$flux_state" --ca "$CLUSTER_TIER_CA" >/dev/null ||
  tier_fail "starting Flux's controllers failed"
initial=$(bash "$here/flux/flux.sh" repo-init --repos "$repos" --dist "$work/dist") || tier_fail "flux.sh repo-init failed"
gitops_seconds=$(elapsed "$t")
say "GitOps repository https://github.com/acme/dev-environments.git at ${initial:0:12}, Flux running (set up in $gitops_seconds s)"
compare_host_state "$before" "while the cluster runs"

# --- the checks ----------------------------------------------------------------------------------------
status=0
t=$(date +%s.%N)
in_node env PATH="$CLUSTER_K8S_BIN:$PATH" \
  TIER_DIST="$work/dist" TIER_REPOS="$repos" TIER_UPSTREAM="$work/upstream.txt" TIER_KEY="$work/id_ed25519" \
  TIER_CLI="$repo/bin/cdk8s-go-remote" TIER_FLUX_SH="$here/flux/flux.sh" TIER_CONTAINS_JS="$here/flux/contains.js" \
  TIER_CA_SH="$here/ca.sh" TIER_TIMINGS="$work/checks-timings.json" \
  "$harness" -test.v -test.count=1 -test.timeout=30m "$@" || status=$?
checks_seconds=$(elapsed "$t")
if [[ $status -ne 0 ]]; then
  mkdir -p "$cache/last-failure"
  cp -r "$CLUSTER_LOGS/." "$cache/last-failure/" 2>/dev/null
  cp "$work/gitserver.log" "$flux_state"/*.log "$cache/last-failure/" 2>/dev/null
  say "component, git server and Flux logs copied to $cache/last-failure"
fi

# --- teardown, then the machine must be as it was ------------------------------------------------------
stop_gitops
t=$(date +%s.%N)
bash "$here/cluster.sh" down "$env_file" || tier_fail "cluster.sh down failed"
teardown_seconds=$(elapsed "$t")
env_file=
compare_host_state "$before" "after the run"

node -e '
  const [file, checksFile, ...pairs] = process.argv.slice(1);
  const n = k => Number(pairs[pairs.indexOf(k) + 1]);
  let checks = {};
  try { checks = JSON.parse(require("fs").readFileSync(checksFile, "utf8")); } catch { /* the test wrote none */ }
  const t = {
    builds: {
      kubernetesSeconds: n("k8s"), clusterToolsSeconds: n("tools"), fluxSeconds: n("flux"), gitServerSeconds: n("gitserver"),
      infrastructureImagesSeconds: n("images"), devImageBaseSeconds: n("base"), devImageSeconds: n("image"),
      libraryCompileSeconds: n("compile"), harnessCompileSeconds: n("harness"), synthSeconds: n("synth"),
    },
    clusterStartSeconds: n("start"),
    devImageImportSeconds: n("import"),
    gitOpsSetupSeconds: n("gitops"),
    ...checks,
    checksSeconds: n("checks"),
    teardownSeconds: n("teardown"),
    tierWallSeconds: n("wall"),
  };
  require("fs").writeFileSync(file, JSON.stringify(t, null, 2) + "\n");
' "$cache/timings.json" "$work/checks-timings.json" k8s "$k8s_seconds" tools "$tools_seconds" flux "$flux_seconds" \
  gitserver "$gitserver_seconds" images "$images_seconds" base "$DEV_IMAGE_BASE_SECONDS" image "$DEV_IMAGE_SECONDS" \
  compile "$compile_seconds" harness "$harness_seconds" synth "$synth_seconds" start "$CLUSTER_START_SECONDS" \
  import "$import_seconds" gitops "$gitops_seconds" checks "$checks_seconds" teardown "$teardown_seconds" \
  wall "$(elapsed "$tier_start")"
cat "$cache/timings.json"
say "timings in $cache/timings.json"
[[ $status -eq 0 ]] || tier_fail "the checks failed (output above; logs in $cache/last-failure)"
say "passed"

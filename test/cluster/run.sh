#!/usr/bin/env bash
# The cluster tier (npm run test:cluster): a real single-node Kubernetes 1.27 cluster in a network
# namespace of its own (test/cluster/cluster.sh), the dev image built as the e2e tier builds it and imported
# into its containerd under the reference the synthesized manifests use, and the smoke test
# (smoke_test.go): the tier's own app (apps/smoke.ts) applied unmodified with kubectl, reached over real
# SSH through kubectl exec, kubectl port-forward and the Service's node port. See test/cluster/README.md.
#
#   bash test/cluster/run.sh [go test flags, e.g. -test.run TestSmoke]
#
# Needs Linux and root; installs with apt-get what is missing (containerd, runc, CNI plugins, iptables,
# conntrack, podman, debootstrap, busybox-static, git, OpenSSH client, iproute2, openssl). Outside CI a
# missing platform is reported as NOT RUN; under CI=true it fails (test/support/tier.sh). Whatever happens,
# the cluster is removed (trap), and the machine's own network namespace, iptables, sysctls and mount table
# are compared before, during and after the run. Timings: .cache/cluster/timings.json.
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
tier_require go "it builds Kubernetes, CoreDNS, the local-path provisioner, the pause program and the harness"
tier_require node "the cdk8s app and the cdk8s-go-remote command"
tier_require npx "the cdk8s app and the cdk8s-go-remote command"
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
bash tools/cluster/images.sh "$cluster_bin" >/dev/null || tier_fail "tools/cluster/images.sh failed (output above)"
images_seconds=$(elapsed "$t")
dev_image=localhost/go-remote:cluster
dev_image_build "$dev_image" "$k8s_bin" "$cache"
t=$(date +%s.%N)
say "compiling the library (npx projen compile) for the cdk8s-go-remote command"
npx projen compile >"$cache/compile.log" 2>&1 || { tail -n 30 "$cache/compile.log" >&2; tier_fail "npx projen compile failed (log: $cache/compile.log)"; }
compile_seconds=$(elapsed "$t")

# --- the tier's app, synthesized with a key made for this run --------------------------------------------
# a work directory per run, named by this script's PID; those of runs that are gone are removed
for old in "$cache"/work.*; do
  [[ -d $old ]] || continue
  pid=${old##*/work.}
  pid=${pid%%.*}
  [[ -d /proc/$pid ]] || rm -rf "$old"
done
work=$(mktemp -d "$cache/work.$$.XXXXXX")
env_file=
finish() {
  local status=$?
  set +e
  if [[ -n $env_file ]]; then
    local t
    t=$(date +%s.%N)
    bash "$here/cluster.sh" down "$env_file"
    teardown_seconds=$(elapsed "$t")
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
(cd "$here" && go test -c -o "$harness" .) || tier_fail "the smoke test does not compile"
harness_seconds=$(elapsed "$t")
ssh-keygen -q -t ed25519 -N '' -C "cluster-tier@$(hostname)" -f "$work/id_ed25519" || tier_fail "ssh-keygen failed"
SMOKE_PUBLIC_KEY_FILE=$work/id_ed25519.pub CDK8S_OUTDIR=$work/dist \
  npx ts-node --project test/tsconfig.json "$here/apps/smoke.ts" || tier_fail "synthesizing test/cluster/apps/smoke.ts failed"
# The dev image goes into containerd under every reference the synthesized containers name.
mapfile -t refs < <(sed -n 's/^ *image: *//p' "$work"/dist/*.yaml | tr -d '"'"'" | sort -u)
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
compare_host_state "$before" "while the cluster runs"

# --- the smoke test ------------------------------------------------------------------------------------
bash "$here/ca.sh" issue "$work/tls" github.com DNS:github.com || tier_fail "test/cluster/ca.sh could not issue a certificate"
status=0
bash "$here/cluster.sh" exec "$env_file" -- env \
  PATH="$CLUSTER_K8S_BIN:$PATH" \
  SMOKE_DIST="$work/dist" SMOKE_KEY="$work/id_ed25519" SMOKE_CLI="$repo/bin/cdk8s-go-remote" \
  SMOKE_TLS_DIR="$work/tls" SMOKE_TIMINGS="$work/smoke-timings.json" \
  "$harness" -test.v -test.count=1 -test.timeout=15m "$@" || status=$?
if [[ $status -ne 0 ]]; then
  mkdir -p "$cache/last-failure"
  cp -r "$CLUSTER_LOGS/." "$cache/last-failure/" 2>/dev/null
  say "component logs copied to $cache/last-failure"
fi

# --- teardown, then the machine must be as it was ------------------------------------------------------
t=$(date +%s.%N)
bash "$here/cluster.sh" down "$env_file" || tier_fail "cluster.sh down failed"
teardown_seconds=$(elapsed "$t")
env_file=
compare_host_state "$before" "after the run"

node -e '
  const [file, smokeFile, ...pairs] = process.argv.slice(1);
  const n = k => Number(pairs[pairs.indexOf(k) + 1]);
  let smoke = {};
  try { smoke = JSON.parse(require("fs").readFileSync(smokeFile, "utf8")); } catch { /* the test wrote none */ }
  const t = {
    builds: {
      kubernetesSeconds: n("k8s"), clusterToolsSeconds: n("tools"), infrastructureImagesSeconds: n("images"),
      devImageBaseSeconds: n("base"), devImageSeconds: n("image"), libraryCompileSeconds: n("compile"),
      harnessCompileSeconds: n("harness"),
    },
    clusterStartSeconds: n("start"),
    devImageImportSeconds: n("import"),
    smoke,
    teardownSeconds: n("teardown"),
    tierWallSeconds: n("wall"),
  };
  require("fs").writeFileSync(file, JSON.stringify(t, null, 2) + "\n");
' "$cache/timings.json" "$work/smoke-timings.json" k8s "$k8s_seconds" tools "$tools_seconds" images "$images_seconds" \
  base "$DEV_IMAGE_BASE_SECONDS" image "$DEV_IMAGE_SECONDS" compile "$compile_seconds" harness "$harness_seconds" \
  start "$CLUSTER_START_SECONDS" import "$import_seconds" teardown "$teardown_seconds" wall "$(elapsed "$tier_start")"
cat "$cache/timings.json"
say "timings in $cache/timings.json"
[[ $status -eq 0 ]] || tier_fail "the smoke test failed (output above; component logs in $cache/last-failure)"
say "passed"

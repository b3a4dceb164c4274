#!/usr/bin/env bash
# The GitOps pieces of the cluster tier, checked without a cluster (fast; useful in CI before the cluster tier):
# in a network, mount and PID namespace of its own (only loopback; /etc/hosts there maps github.com to 127.0.0.1),
# it starts etcd, kube-apiserver and kube-controller-manager's resource-quota controller (tools/k8s/build.sh),
# tools/gitserver on 127.0.0.1:443 with a github.com certificate from a CA made for the run, and Flux's
# source-controller and kustomize-controller (tools/flux/build.sh) as processes with their own ServiceAccount
# kubeconfigs (test/cluster/flux/flux.sh), and shows:
#   1. every repository of test/cluster/upstream clones from https://github.com/<org>/<repo>.git, and
#      go build, go vet and go test pass in the clone;
#   2. examples/fleet-flux.ts's own flux-system/ folder, applied as its header says, makes the GitRepository
#      https://github.com/acme/dev-environments.git Ready and the team's Kustomization apply the synthesized
#      YAML, unmodified, and a Kustomization per other example's folder (no kustomization.yaml) applies it;
#   3. a commit that removes an environment makes Flux prune its Deployment and Service while its workspace
#      PVC and Namespace (kustomize.toolkit.fluxcd.io/prune: disabled) stay, the same objects (same UID);
#   4. a commit that puts it back re-applies the Deployment and Service, and the PVC is still the same one.
# Everything it starts is stopped by PID on exit; the PID namespace ends whatever is left. No traffic leaves the
# namespace; nothing of the machine's own network, /etc or sysctls changes.
#
#   bash test/cluster/flux/verify.sh          # as root, from anywhere
#
# Environment: CI=true makes a missing prerequisite a failure (test/support/tier.sh). KEEP=1 keeps the run's
# directory (.cache/flux-verify/run) for a look at the logs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$root/test/cluster/flux
flux=$here/flux.sh
cd "$root"
# shellcheck disable=SC1091 # checked on its own
. test/support/tier.sh
tier_init "test/cluster/flux/verify.sh (Flux from Git, on loopback)"

if [[ ${FLUX_VERIFY_INNER:-} != 1 ]]; then
  # ------------------------------------------------------------------ outside: prerequisites, builds, synth
  [[ $(id -u) == 0 ]] || tier_missing "needs root (network, mount and PID namespaces of its own)"
  for tool in go git node openssl curl unshare ip flock sha256sum; do
    tier_require "$tool" "test/cluster/flux/verify.sh"
  done
  unshare --net --mount --pid --fork --mount-proc true 2>/dev/null ||
    tier_missing "cannot create network, mount and PID namespaces (unshare --net --mount --pid)"
  # shellcheck disable=SC1091 # checked on its own
  . tools/k8s/goenv.sh
  started=$SECONDS
  k8s=$(bash tools/k8s/build.sh | tail -n 1) || tier_fail "tools/k8s/build.sh failed"
  fluxbin=$(bash tools/flux/build.sh | tail -n 1) || tier_fail "tools/flux/build.sh failed"
  gitserver=$(bash tools/gitserver/build.sh | tail -n 1) || tier_fail "tools/gitserver/build.sh failed"
  # The upstream repositories with module dependencies (acme/healthcheck) build from a proxy directory prepared
  # here, through this machine's module proxy; inside the namespace nothing can be downloaded.
  modules=$(bash test/cluster/goproxy/prepare.sh test/cluster/upstream/acme/healthcheck | tail -n 1) ||
    tier_fail "test/cluster/goproxy/prepare.sh failed"
  build_time=$((SECONDS - started))
  started=$SECONDS
  (cd tools/gitserver && go vet ./... && go test -count=1 ./...) >&2 || tier_fail "tools/gitserver's tests failed"
  tier_say "tools/gitserver's tests passed in $((SECONDS - started)) s"
  # cert-manager's Certificate CRD for examples/delve-webhook.ts, as the API-server tier pins it.
  crds=$(bash test/apiserver/crds.sh) || tier_fail "test/apiserver/crds.sh could not get the CRDs"
  certificate_crd=$(tr ':' '\n' <<<"$crds" | grep '/cert-manager.io_certificates.yaml$') ||
    tier_fail "test/apiserver/crds.sh names no cert-manager Certificate CRD"

  run=$root/.cache/flux-verify/run
  # A killed earlier run: its PID namespace died with its first process, and with it every process it started
  # (unshare --kill-child); only the directory is left.
  rm -rf "$run"
  mkdir -p "$run"
  started=$SECONDS
  dist=$(bash "$flux" synth --out "$run/dist") || tier_fail "synthesizing the examples failed"
  synth_time=$((SECONDS - started))
  tier_say "built in ${build_time} s, synthesized in ${synth_time} s; entering a namespace of its own"
  status=0
  FLUX_VERIFY_INNER=1 FV_K8S_BIN=$k8s FLUX_BIN=$fluxbin FV_GITSERVER=$gitserver RUN=$run FV_DIST=$dist \
    FV_BUILD_TIME=$build_time FV_SYNTH_TIME=$synth_time FV_CERTIFICATE_CRD=$certificate_crd \
    FV_MODULES=$modules unshare --net --mount --pid --fork --mount-proc --kill-child=SIGTERM -- bash "${BASH_SOURCE[0]}" || status=$?
  [[ ${KEEP:-} == 1 ]] || rm -rf "$run"
  [[ $status == 0 ]] || tier_fail "see above"
  exit 0
fi

# ------------------------------------------------------------------------- inside: PID 1 of a fresh namespace
started=$SECONDS
ip link set lo up
printf '127.0.0.1 localhost github.com\n::1 localhost\n' >"$RUN/hosts"
mount --bind "$RUN/hosts" /etc/hosts # this mount namespace only
export KUBECTL=$FV_K8S_BIN/kubectl FLUX_BIN
pids=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  bash "$flux" stop --state "$RUN/flux" || true
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    if kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
fail() {
  tier_say "FAILED: $*"
  local log
  for log in "$RUN"/*.log "$RUN"/flux/*.log; do
    [[ -f $log ]] || continue
    echo "--- last lines of $log ---" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}
step() { tier_say "$(printf '[%3d s] ' $((SECONDS - started)))$*"; }

# ---------------------------------------------------------------------------------------------- certificates
pki=$RUN/pki
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj /CN=flux-verify-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
  sign() { # <name> <subjectAltName>
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt"
  }
  sign github.com DNS:github.com
  sign apiserver IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc
  openssl genrsa -out sa.key 2048
) 2>"$RUN/openssl.log" || fail "openssl failed"
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
echo "$token,admin,admin,system:masters" >"$pki/tokens.csv"
kubeconfig=$RUN/admin.kubeconfig
cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: verify, cluster: {server: "https://127.0.0.1:6443", certificate-authority: "$pki/ca.crt"}}]
users: [{name: admin, user: {token: "$token"}}]
contexts: [{name: admin, context: {cluster: verify, user: admin}}]
current-context: admin
EOF
k() { "$KUBECTL" --kubeconfig "$kubeconfig" "$@"; }

# ------------------------------------------------------------------------------- etcd, kube-apiserver, quota
"$FV_K8S_BIN/etcd" --name=verify --data-dir="$RUN/etcd" --listen-client-urls=http://127.0.0.1:2379 \
  --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 \
  --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=verify=http://127.0.0.1:2380 \
  --unsafe-no-fsync --log-level=warn >"$RUN/etcd.log" 2>&1 &
pids+=($!)
"$FV_K8S_BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port=6443 --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
  --authorization-mode=Node,RBAC --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none --allow-privileged=true \
  >"$RUN/kube-apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" https://127.0.0.1:6443/readyz >/dev/null 2>&1 && break
  kill -0 "${pids[1]}" 2>/dev/null || fail "kube-apiserver exited"
  sleep 0.5
done
k get --raw /readyz >/dev/null || fail "kube-apiserver is not ready after 60 s"
# The fleet's ResourceQuotas need their status (without it the quota admission refuses the workspace claims).
"$FV_K8S_BIN/kube-controller-manager" --kubeconfig="$kubeconfig" --controllers=resourcequota --leader-elect=false \
  --secure-port=0 --resource-quota-sync-period=10s >"$RUN/kube-controller-manager.log" 2>&1 &
pids+=($!)
step "API server ready"

# ------------------------------------------------------------------------- git server and the upstream repos
repos=$RUN/repos
mkdir -p "$repos"
bash test/cluster/upstream/make-repos.sh "$repos" >"$RUN/upstream.txt" || fail "make-repos.sh failed"
"$FV_GITSERVER" --root "$repos" --listen 127.0.0.1:443 --cert "$pki/github.com.crt" --key "$pki/github.com.key" \
  --ready-file "$RUN/gitserver.ready" >"$RUN/gitserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s $RUN/gitserver.ready ]] && break; sleep 0.1; done
[[ -s $RUN/gitserver.ready ]] || fail "the git server did not start"
step "git server on https://github.com:443 (127.0.0.1 in this namespace)"

# 1. Every upstream repository clones by its github.com URL over verified TLS, and builds and tests.
export GIT_SSL_CAINFO=$pki/ca.crt GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# shellcheck disable=SC1091 # checked on its own
. tools/k8s/goenv.sh
# Nothing may be downloaded: modules come only from the directory prepare.sh filled (checked against go.sum).
export GOFLAGS="$GOFLAGS -mod=mod" GOPROXY=file://$FV_MODULES GOSUMDB=off CGO_ENABLED=0
while read -r repo commit; do
  dest=$RUN/clones/$repo
  git clone -q --branch main "https://github.com/$repo.git" "$dest" || fail "git clone https://github.com/$repo.git failed"
  [[ $(git -C "$dest" rev-parse HEAD) == "$commit" ]] || fail "$repo: cloned $(git -C "$dest" rev-parse HEAD), served $commit"
  (cd "$dest" && go build ./... && go vet ./... && go test -count=1 ./... >"$RUN/go-test.log" 2>&1) ||
    { cat "$RUN/go-test.log" >&2; fail "$repo: go build / vet / test failed in the clone"; }
done <"$RUN/upstream.txt"
step "$(wc -l <"$RUN/upstream.txt") upstream repositories cloned from https://github.com/ and tested"

# ------------------------------------------------------------------------------------------------------ Flux
bash "$flux" install --kubeconfig "$kubeconfig" || fail "flux.sh install failed"
# Tier infrastructure the examples expect (README: "What the cluster must have"): the SCC CRD (fleet-flux's team
# and pod-network-operator are on OpenShift), cert-manager's Certificate CRD (delve-webhook), and the namespaces
# the single-environment examples name without creating them.
k apply --server-side -f schemas/openshift/securitycontextconstraints.crd.yaml -f "$FV_CERTIFICATE_CRD" >/dev/null
k wait --for condition=Established --timeout=60s crd/securitycontextconstraints.security.openshift.io \
  crd/certificates.cert-manager.io >/dev/null
for ns in dev webhooks pod-network-operator shop; do k create namespace "$ns" >/dev/null; done
# --hosts and --resolv-conf as the cluster tier passes them (github.com comes from the hosts file here; no DNS
# server runs in this namespace).
printf 'nameserver 127.0.0.1\noptions ndots:1 timeout:1\n' >"$RUN/resolv.conf"
bash "$flux" start --kubeconfig "$kubeconfig" --state "$RUN/flux" --ca "$pki/ca.crt" --hosts "$RUN/hosts" \
  --resolv-conf "$RUN/resolv.conf" >/dev/null ||
  fail "flux.sh start failed"
# Each controller acts as its own ServiceAccount: source-controller may not create Deployments, kustomize-controller
# (cluster-admin, as Flux installs it) may.
can() { KUBECONFIG=$RUN/flux/$1/kubeconfig "$KUBECTL" auth can-i "${@:2}" 2>/dev/null || true; }
[[ $(can source-controller create deployments -n dev) == no && $(can source-controller list gitrepositories -A) == yes &&
  $(can kustomize-controller create deployments -n dev) == yes ]] ||
  fail "the controllers' kubeconfigs do not carry their ServiceAccounts' permissions"
step "Flux installed and its controllers ready, each as its ServiceAccount"

first=$(bash "$flux" repo-init --repos "$repos" --dist "$FV_DIST") || fail "flux.sh repo-init failed"
wt=$repos/.work/dev-environments
# 2. The example's own Flux objects, as its header says: kubectl apply -f dist/fleet-flux/flux-system/
k apply -f "$wt/dist/fleet-flux/flux-system/" >&2
# Every other example's folder (no kustomization.yaml: Flux generates one) by a Kustomization of the tier's;
# fleet-flux-platform is the chart of dist/fleet-flux/teams/platform, applied above.
examples=()
for dir in "$wt"/dist/examples/*/; do
  name=$(basename "$dir")
  [[ $name == fleet-flux-platform ]] && continue
  examples+=("$name")
  bash "$flux" kustomization --name "example-$name" --path "./dist/examples/$name" | k apply -f - >&2
done
apply_start=$SECONDS
bash "$flux" wait-applied --kubeconfig "$kubeconfig" --kustomization dev-platform --commit "$first" >/dev/null ||
  fail "the first commit was not applied"
first_applied=$((SECONDS - apply_start))
for name in "${examples[@]}"; do
  bash "$flux" wait-applied --kubeconfig "$kubeconfig" --kustomization "example-$name" --commit "$first" >/dev/null ||
    fail "examples/$name's folder was not applied"
done
[[ $(k -n flux-system get gitrepository dev-environments -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] ||
  fail "GitRepository dev-environments is not Ready"
[[ $(k -n flux-system get gitrepository dev-environments -o jsonpath='{.spec.url}') == https://github.com/acme/dev-environments.git ]] ||
  fail "the GitRepository is not the example's"

# TLS is verified: the same server by an address its certificate does not name is refused.
k apply -f - >&2 <<'EOF'
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: by-address, namespace: flux-system}
spec: {url: "https://127.0.0.1/acme/dev-environments.git", ref: {branch: main}, interval: 1m}
EOF
msg=""
for _ in $(seq 60); do
  msg=$(k -n flux-system get gitrepository by-address -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
  [[ $msg == *certificate* ]] && break
  sleep 1
done
[[ $msg == *"tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1"* ]] ||
  fail "a GitRepository by 127.0.0.1 was not refused for its certificate: ${msg:-no message}"
k -n flux-system delete gitrepository by-address >/dev/null

# Everything the repository holds is in the cluster as written (Flux adds only its own labels; the API server
# its defaults and status).
manifests=("$wt"/dist/fleet-flux/teams/platform/*.k8s.yaml)
for name in "${examples[@]}"; do manifests+=("$wt/dist/examples/$name"/*.yaml); done
k get "${manifests[@]/#/--filename=}" -o json | node "$here/contains.js" "${manifests[@]}" >&2 ||
  fail "an object in the cluster differs from its synthesized manifest"
uid() { k -n "$1" get "$2" -o jsonpath='{.metadata.uid}'; }
pvc_uid=$(uid platform-erin pvc/erin-workspace)
ns_uid=$(k get namespace platform-erin -o jsonpath='{.metadata.uid}')
[[ -n $pvc_uid && -n $(uid platform-erin deployment/erin) && -n $(uid platform-erin service/erin) ]] ||
  fail "erin's Deployment, Service or workspace is missing"
k -n flux-system get gitrepository,kustomization >&2
step "commit ${first:0:12} applied by Flux (dev-platform in ${first_applied} s): every object holds its synthesized manifest"

# 3. The environment removed from Git: Deployment and Service pruned, workspace and Namespace kept.
second=$(bash "$flux" repo-remove-env --repos "$repos" --folder dist/fleet-flux/teams/platform --env erin) ||
  fail "flux.sh repo-remove-env failed"
t=$SECONDS
bash "$flux" wait-applied --kubeconfig "$kubeconfig" --kustomization dev-platform --commit "$second" >/dev/null ||
  fail "the removal was not applied"
prune_time=$((SECONDS - t))
for obj in deployment/erin service/erin serviceaccount/erin role/erin rolebinding/erin configmap/erin-config \
  resourcequota/platform-erin-quota limitrange/platform-erin-limits networkpolicy/platform-erin-default-deny; do
  if k -n platform-erin get "$obj" >/dev/null 2>&1; then fail "$obj was not pruned"; fi
done
[[ $(uid platform-erin pvc/erin-workspace) == "$pvc_uid" ]] || fail "the workspace PVC was deleted or replaced"
[[ $(k get namespace platform-erin -o jsonpath='{.metadata.uid}') == "$ns_uid" ]] || fail "the Namespace was deleted or replaced"
[[ -n $(uid platform-frank deployment/frank) ]] || fail "frank's Deployment went too"
step "commit ${second:0:12} (erin removed) applied in ${prune_time} s: Deployment and Service pruned, workspace PVC and Namespace kept"

# 4. Put back: re-applied, the same workspace.
third=$(bash "$flux" repo-restore-env --repos "$repos" --folder dist/fleet-flux/teams/platform --env erin) ||
  fail "flux.sh repo-restore-env failed"
t=$SECONDS
bash "$flux" wait-applied --kubeconfig "$kubeconfig" --kustomization dev-platform --commit "$third" >/dev/null ||
  fail "the restore was not applied"
restore_time=$((SECONDS - t))
[[ -n $(uid platform-erin deployment/erin) && -n $(uid platform-erin service/erin) ]] || fail "erin's Deployment or Service is not back"
[[ $(uid platform-erin pvc/erin-workspace) == "$pvc_uid" ]] || fail "the workspace PVC was replaced"
[[ $(git -C "$wt" diff "$first" "$third" --stat | wc -l) == 0 ]] || fail "the restored tree differs from the first commit"
step "commit ${third:0:12} (erin put back) applied in ${restore_time} s: Deployment and Service back, same workspace PVC"

tier_say "PASSED: build ${FV_BUILD_TIME} s, synth ${FV_SYNTH_TIME} s, checks $((SECONDS - started)) s (first apply ${first_applied} s, prune ${prune_time} s, put back ${restore_time} s)"

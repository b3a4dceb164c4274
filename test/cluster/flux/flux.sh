#!/usr/bin/env bash
# Flux for the cluster tier: installs Flux's CRDs and RBAC, runs source-controller and kustomize-controller as
# processes with their own ServiceAccount kubeconfigs, keeps the GitOps repository
# https://github.com/acme/dev-environments.git (a bare repository that tools/gitserver serves) and waits until Flux
# has applied a commit. Every command prints its result (a directory, a commit) on stdout, progress on stderr.
#
#   flux.sh build                                       binaries' directory (CRDs in ../crds)
#   flux.sh synth    --out D                            D/fleet-flux (examples/fleet-flux.ts) + D/examples (all)
#   flux.sh install  --kubeconfig K                     CRDs (all kinds the controllers watch) + rbac.yaml
#   flux.sh start    --kubeconfig K --state D --ca F [--hosts F] [--resolv-conf F] [--port-base N]
#   flux.sh stop     --state D
#   flux.sh repo-init        --repos R --dist D         commit D as dist/ of R/acme/dev-environments.git
#   flux.sh repo-remove-env  --repos R --folder P --env E   commit: the files of environment E removed from P
#   flux.sh repo-restore-env --repos R --folder P --env E   commit: the last removal of E reverted
#   flux.sh repo-set         --repos R --path P [--from D] --message M   commit: P holds D's files (none without --from)
#   flux.sh reconcile        --kubeconfig K KIND/NAME...    request a reconciliation now (as `flux reconcile`)
#   flux.sh wait-applied     --kubeconfig K --kustomization NAME --commit C [--timeout S]
#   flux.sh kustomization    --name N --path P [--prune]   a Kustomization of the repository's folder P (YAML)
#
# K is an admin kubeconfig. D is a directory of this run (kubeconfigs, tokens, logs, pids, artifact storage).
# F for --ca is the CA the controllers trust besides the system's (SSL_CERT_FILE): the tier's CA, which signed
# the git server's github.com certificate. --hosts / --resolv-conf are bind-mounted over /etc/hosts /
# /etc/resolv.conf in a mount namespace of each controller's own (e.g. github.com -> the node, or the cluster's
# DNS), so that the controllers resolve github.com as pods do while this machine's files stay untouched.
# Environment: KUBECTL (default: kubectl from tools/k8s/build.sh), FLUX_BIN (default: tools/flux/build.sh).
# See test/cluster/flux/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
NS=flux-system
REPO=acme/dev-environments
CONTROLLERS=(source-controller kustomize-controller)

say() { printf 'flux.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

flux_bin() {
  if [[ -z ${FLUX_BIN:-} ]]; then
    FLUX_BIN=$(bash "$root/tools/flux/build.sh" | tail -n 1) || die "tools/flux/build.sh failed"
  fi
  echo "$FLUX_BIN"
}

kubectl_bin() {
  if [[ -z ${KUBECTL:-} ]]; then
    KUBECTL=$(bash "$root/tools/k8s/build.sh" | tail -n 1)/kubectl || die "tools/k8s/build.sh failed"
  fi
  echo "$KUBECTL"
}

# Options: --<name> <value> into opt_<name> (dashes become underscores); the rest into args.
opt_kubeconfig="" opt_state="" opt_ca="" opt_hosts="" opt_resolv_conf="" opt_port_base="" opt_repos="" opt_dist=""
opt_folder="" opt_env="" opt_namespace="" opt_kustomization="" opt_commit="" opt_timeout="" opt_name="" opt_path=""
opt_source="" opt_prune="" opt_out="" opt_from="" opt_message=""
args=()
parse() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --prune) opt_prune=true; shift ;;
      --kubeconfig | --state | --ca | --hosts | --resolv-conf | --port-base | --repos | --dist | --folder | --env | \
        --namespace | --kustomization | --commit | --timeout | --name | --path | --source | --out | --from | --message)
        [[ $# -ge 2 ]] || die "$1 needs a value"
        local name=${1#--}
        printf -v "opt_${name//-/_}" '%s' "$2"
        shift 2 ;;
      --*) die "unknown option $1" ;;
      *) args+=("$1"); shift ;;
    esac
  done
}
need() {
  local v
  for v in "$@"; do
    local var="opt_${v//-/_}"
    [[ -n ${!var:-} ]] || die "$cmd needs --$v"
  done
}

k() { "$(kubectl_bin)" --kubeconfig "$opt_kubeconfig" "$@"; }

# ---------------------------------------------------------------------------------------------------- install
cmd_install() {
  need kubeconfig
  local crds
  crds=$(flux_bin)/../crds
  k apply --server-side --force-conflicts -f "$crds" >&2
  k wait --for condition=Established --timeout=60s -f "$crds" >&2
  k apply --server-side --force-conflicts -f "$here/rbac.yaml" >&2
}

# ------------------------------------------------------------------------------------------------- start / stop
# A PID of ours: the process still runs one of the controller binaries (not a reused PID).
ours() {
  local pid=$1 exe
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ $exe == */source-controller || $exe == */kustomize-controller ]]
}

cmd_stop() {
  need state
  local pids=$opt_state/pids name pid
  [[ -f $pids ]] || return 0
  while read -r name pid; do
    if ours "$pid"; then
      say "stopping $name ($pid)"
      kill "$pid" 2>/dev/null || true
    fi
  done <"$pids"
  for _ in $(seq 50); do
    local alive=false
    while read -r name pid; do ours "$pid" && alive=true; done <"$pids"
    [[ $alive == false ]] && break
    sleep 0.2
  done
  while read -r name pid; do
    if ours "$pid"; then
      say "$name ($pid) did not stop in 10 s: killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done <"$pids"
  rm -f "$pids"
}

# A kubeconfig for ServiceAccount flux-system/<sa> on the admin kubeconfig's server.
sa_kubeconfig() {
  local sa=$1 out=$2 server ca token
  server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  if [[ -z $ca ]]; then
    local file
    file=$(k config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')
    [[ -n $file ]] || die "the kubeconfig names no certificate authority for $server"
    ca=$(base64 -w0 <"$file")
  fi
  token=$(k -n "$NS" create token "$sa" --duration=24h)
  umask 077
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: $server
    certificate-authority-data: $ca
users:
- name: $sa
  user:
    token: $token
contexts:
- name: $sa
  context: {cluster: cluster, user: $sa, namespace: $NS}
current-context: $sa
EOF
}

cmd_start() {
  need kubeconfig state ca
  local state bin base=${opt_port_base:-9790}
  [[ -f $opt_ca ]] || die "--ca $opt_ca is not a file"
  mkdir -p "$opt_state"
  state=$(cd "$opt_state" && pwd)
  opt_state=$state
  cmd_stop # a leftover of a killed run with the same state directory
  bin=$(flux_bin)
  local ca
  ca=$(cd "$(dirname "$opt_ca")" && pwd)/$(basename "$opt_ca")

  # What runs the controller: in a mount namespace of its own when a hosts or resolv.conf file is given.
  local wrap=() mounts=""
  if [[ -n ${opt_hosts:-} ]]; then
    [[ -f $opt_hosts ]] || die "--hosts $opt_hosts is not a file"
    mounts+="mount --bind '$(realpath "$opt_hosts")' /etc/hosts && "
  fi
  if [[ -n ${opt_resolv_conf:-} ]]; then
    [[ -f $opt_resolv_conf ]] || die "--resolv-conf $opt_resolv_conf is not a file"
    mounts+="mount --bind '$(realpath "$opt_resolv_conf")' /etc/resolv.conf && "
  fi
  if [[ -n $mounts ]]; then
    command -v unshare >/dev/null || die "unshare (util-linux) is needed for --hosts / --resolv-conf"
    # shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
    wrap=(unshare --mount --propagation private -- sh -c "${mounts}"'exec "$0" "$@"')
  fi

  local storage=127.0.0.1:$base
  local -A flags=(
    [source-controller]="--storage-path=$state/source-controller/storage --storage-addr=$storage --storage-adv-addr=$storage
      --metrics-addr=127.0.0.1:$((base + 1)) --health-addr=127.0.0.1:$((base + 2))"
    [kustomize-controller]="--metrics-addr=127.0.0.1:$((base + 3)) --health-addr=127.0.0.1:$((base + 4))"
  )
  local -A health=([source-controller]=$((base + 2)) [kustomize-controller]=$((base + 4)))
  : >"$state/pids"
  local c
  for c in "${CONTROLLERS[@]}"; do
    mkdir -p "$state/$c/tmp" "$state/$c/home" "$state/source-controller/storage"
    sa_kubeconfig "$c" "$state/$c/kubeconfig"
    # shellcheck disable=SC2086 # the flags are split on purpose
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$state/$c/home" TMPDIR="$state/$c/tmp" \
      KUBECONFIG="$state/$c/kubeconfig" RUNTIME_NAMESPACE=$NS SSL_CERT_FILE="$ca" \
      "${wrap[@]}" "$bin/$c" --watch-all-namespaces --enable-leader-election=false --log-level=info \
      --log-encoding=json --events-addr= ${flags[$c]} \
      </dev/null >"$state/$c.log" 2>&1 &
    echo "$c $!" >>"$state/pids"
    say "$c started ($!), log $state/$c.log"
  done
  # Ready: the manager's readiness endpoint answers (caches synced, controllers started).
  local deadline=$((SECONDS + 120)) pid
  for c in "${CONTROLLERS[@]}"; do
    pid=$(awk -v c="$c" '$1 == c { print $2 }' "$state/pids")
    until curl -fsS -o /dev/null "http://127.0.0.1:${health[$c]}/readyz" 2>/dev/null; do
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 30 "$state/$c.log" >&2
        die "$c exited (log above)"
      fi
      [[ $SECONDS -lt $deadline ]] || { tail -n 30 "$state/$c.log" >&2; die "$c not ready in 120 s (log above)"; }
      sleep 0.5
    done
    say "$c ready"
  done
  echo "$state"
}

# ------------------------------------------------------------------------------------------------ synth
# What the GitOps repository holds under dist/: examples/fleet-flux.ts's layout (teams/<team>/ with its
# kustomization.yaml, flux-system/) in fleet-flux/, and every example's chart (examples/synth-all.ts) in
# examples/<name>/, each exactly as the example writes it.
cmd_synth() {
  need out
  if [[ -d $opt_out ]]; then # replaced only when it holds nothing but an earlier synth's output
    local extra
    extra=$(find "$opt_out" -mindepth 1 -maxdepth 1 ! -name fleet-flux ! -name examples -print -quit)
    [[ -z $extra ]] || die "--out $opt_out holds $extra: not an earlier synth's output, left alone"
    rm -rf "$opt_out/fleet-flux" "$opt_out/examples"
  fi
  mkdir -p "$opt_out"
  (cd "$root" && CDK8S_OUTDIR=$opt_out/fleet-flux npx ts-node --project test/tsconfig.json examples/fleet-flux.ts) >&2 ||
    die "synthesizing examples/fleet-flux.ts failed"
  (cd "$root" && CDK8S_OUTDIR=$opt_out/examples npx ts-node --project test/tsconfig.json examples/synth-all.ts) >&2 ||
    die "synthesizing the examples (examples/synth-all.ts) failed"
  echo "$opt_out"
}

# ------------------------------------------------------------------------------------------------ repository
# Commits made with a fixed identity and dates (2025-01-02 plus a minute per commit): the same history gives the
# same hashes on every run.
git_env() {
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
  export GIT_AUTHOR_NAME="cdk8s-go-remote cluster tier" GIT_AUTHOR_EMAIL="cluster-tier@cdk8s-go-remote.invalid"
  export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
}
commit() { # <worktree> <message>
  local n
  n=$(git -C "$1" rev-list --count HEAD 2>/dev/null || echo 0)
  GIT_AUTHOR_DATE="$((1735776000 + 60 * n)) +0000" GIT_COMMITTER_DATE="$((1735776000 + 60 * n)) +0000" \
    git -C "$1" commit -q --no-gpg-sign -m "$2"
  git -C "$1" push -q origin main
  git -C "$1" rev-parse HEAD
}
worktree() { echo "$opt_repos/.work/${REPO#*/}"; }

cmd_repo_init() {
  need repos dist
  [[ -d $opt_dist ]] || die "--dist $opt_dist is not a directory"
  git_env
  mkdir -p "$opt_repos"
  opt_repos=$(cd "$opt_repos" && pwd)
  local bare=$opt_repos/$REPO.git wt
  wt=$(worktree)
  rm -rf "$bare" "$wt"
  git init -q --bare -b main "$bare"
  git init -q -b main "$wt"
  git -C "$wt" remote add origin "$bare"
  mkdir "$wt/dist"
  cp -R "$opt_dist"/. "$wt/dist/"
  git -C "$wt" add -A
  commit "$wt" "dist: the synthesized examples"
}

cmd_repo_remove_env() {
  need repos folder env
  git_env
  local wt dir files f
  wt=$(worktree)
  dir=$wt/${opt_folder#./}
  [[ -f $dir/kustomization.yaml ]] || die "$opt_folder has no kustomization.yaml in $wt"
  mapfile -t files < <(node "$here/env-files.js" "$dir" "$opt_env") || die "env-files.js failed"
  [[ ${#files[@]} -gt 0 ]] || die "no file of environment $opt_env in $opt_folder"
  for f in "${files[@]}"; do
    git -C "$dir" rm -q -- "$f"
    grep -vxF -- "  - $f" "$dir/kustomization.yaml" >"$dir/kustomization.yaml.new" || true
    mv "$dir/kustomization.yaml.new" "$dir/kustomization.yaml"
  done
  for f in "${files[@]}"; do
    ! grep -qF -- "$f" "$dir/kustomization.yaml" || die "kustomization.yaml still names $f"
  done
  git -C "$wt" add -A
  say "removing ${#files[@]} files of $opt_env: ${files[*]}"
  commit "$wt" "remove environment $opt_env from $opt_folder"
}

cmd_repo_restore_env() {
  need repos folder env
  git_env
  local wt removal
  wt=$(worktree)
  removal=$(git -C "$wt" log --format=%H -n 1 --fixed-strings --grep="remove environment $opt_env from $opt_folder") || true
  [[ -n $removal ]] || die "no commit removed $opt_env from $opt_folder"
  git -C "$wt" revert --no-commit "$removal"
  commit "$wt" "put back environment $opt_env in $opt_folder (revert ${removal:0:12})"
}

# The folder P of the work tree made to hold exactly D's files (P removed when --from is not given), committed:
# how the cluster tier changes what its root Kustomization lists from one stage to the next.
cmd_repo_set() {
  need repos path message
  git_env
  local wt dest
  wt=$(worktree)
  [[ -d $wt/.git ]] || die "no repository in $wt: run repo-init first"
  dest=${opt_path#./}
  dest=${dest%/}
  [[ -n $dest && $dest != *..* && $dest != /* && $dest != .git* ]] || die "--path $opt_path: expected a folder inside the repository"
  rm -rf "${wt:?}/$dest"
  if [[ -n $opt_from ]]; then
    [[ -d $opt_from ]] || die "--from $opt_from is not a directory"
    mkdir -p "$wt/$dest"
    cp -R "$opt_from"/. "$wt/$dest/"
  fi
  git -C "$wt" add -A
  commit "$wt" "$opt_message"
}

# ------------------------------------------------------------------------------------------------ reconcile
cmd_reconcile() {
  need kubeconfig
  local obj now
  now=$(date +%s%N)
  for obj in "${args[@]}"; do
    k -n "${opt_namespace:-$NS}" annotate --overwrite "$obj" "reconcile.fluxcd.io/requestedAt=$now" >/dev/null
  done
}

# Waits until the Kustomization's GitRepository holds the commit as its artifact and the Kustomization has
# applied it (lastAppliedRevision) and is Ready. Asks for a reconciliation every 10 s meanwhile, as
# `flux reconcile kustomization --with-source` would: a failed apply is otherwise retried only after the
# Kustomization's retryInterval (by default its interval, 10 minutes in examples/fleet-flux.ts).
cmd_wait_applied() {
  need kubeconfig kustomization commit
  local ns=${opt_namespace:-$NS} ks=$opt_kustomization timeout=${opt_timeout:-300} start=$SECONDS source want
  source=$(k -n "$ns" get kustomization "$ks" -o jsonpath='{.spec.sourceRef.name}')
  [[ -n $source ]] || die "kustomization $ns/$ks has no sourceRef"
  want=main@sha1:$opt_commit
  local next=0 got applied ready msg last=""
  while :; do
    if [[ $SECONDS -ge $next ]]; then
      opt_namespace=$ns cmd_reconcile_objects "gitrepository/$source" "kustomization/$ks"
      next=$((SECONDS + 10))
    fi
    got=$(k -n "$ns" get gitrepository "$source" -o jsonpath='{.status.artifact.revision}')
    applied=$(k -n "$ns" get kustomization "$ks" -o jsonpath='{.status.lastAppliedRevision}')
    ready=$(k -n "$ns" get kustomization "$ks" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
    if [[ $got == "$want" && $applied == "$want" && $ready == True ]]; then
      say "kustomization $ns/$ks applied $want in $((SECONDS - start)) s"
      echo "$((SECONDS - start))"
      return 0
    fi
    msg=$(k -n "$ns" get kustomization "$ks" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
    if [[ $msg != "$last" ]]; then
      say "kustomization $ns/$ks: source at ${got:-nothing}, applied ${applied:-nothing}, Ready=${ready:-?}: ${msg:0:400}"
      last=$msg
    fi
    if [[ $((SECONDS - start)) -ge $timeout ]]; then
      k -n "$ns" get gitrepository "$source" -o yaml >&2 || true
      k -n "$ns" get kustomization "$ks" -o yaml >&2 || true
      die "kustomization $ns/$ks did not apply $want within $timeout s"
    fi
    sleep 1
  done
}
cmd_reconcile_objects() { args=("$@"); cmd_reconcile; }

cmd_kustomization() {
  need name path
  cat <<EOF
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: $opt_name
  namespace: $NS
spec:
  sourceRef:
    kind: GitRepository
    name: ${opt_source:-dev-environments}
  path: $opt_path
  interval: 10m
  prune: ${opt_prune:-false}
  wait: false
  timeout: 5m
EOF
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
parse "$@"
case $cmd in
  build) flux_bin ;;
  synth) cmd_synth ;;
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  repo-init) cmd_repo_init ;;
  repo-remove-env) cmd_repo_remove_env ;;
  repo-restore-env) cmd_repo_restore_env ;;
  repo-set) cmd_repo_set ;;
  reconcile) cmd_reconcile ;;
  wait-applied) cmd_wait_applied ;;
  kustomization) cmd_kustomization ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The tier's Go module proxy, checked as a dev pod of the cluster tier will use it: in a network, mount and PID
# namespace of its own (only loopback, which also carries the cluster's node address 10.244.0.1; the CA bundle
# there is the machine's plus the tier CA, as in the dev image), test/cluster/goproxy serves what prepare.sh
# prepared for a module (default: test/cluster/upstream/acme/healthcheck) on https://10.244.0.1:8443 with a
# certificate of the tier CA (test/cluster/ca.sh), and a copy of the module is built there with
#   GOPROXY=https://10.244.0.1:8443, GOSUMDB, GONOSUMDB, GOPRIVATE and GOFLAGS unset (go.sum alone checks every
#   module; the default checksum database is unreachable and never asked), GOTOOLCHAIN=local, CGO_ENABLED=0
# (the dev image's base sets GOTOOLCHAIN=local and has no C compiler), and an empty module and build cache.
# It shows:
#   1. nothing else gives modules: with GOPROXY=off, or the machine's own proxy setting, the build fails;
#   2. a cold `go build ./...` succeeds, every module coming from this proxy, no checksum database asked;
#   3. `go build ./...` again with the same caches is a cache hit (no package is stale), as it is after a
#      `go test -run '^$' ./...` warm-up, while after `go mod download` alone every package is compiled;
#   4. `go vet ./...` and `go test ./...` pass and the program runs.
# It prints the times and writes them to .cache/goproxy/timings.json (not asserted: the machine is shared).
# Everything it starts is stopped by PID on exit; the PID namespace ends whatever is left. The run's Go caches
# are in ${TMPDIR:-/tmp}/cdk8s-go-remote-goproxy-verify, removed at the end and at the start of the next run.
#
#   bash test/cluster/goproxy/verify.sh [<module dir>]      # as root, from anywhere
#
# Environment: CI=true makes a missing prerequisite a failure (test/support/tier.sh); KEEP=1 keeps the run's
# directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$root/test/cluster/goproxy
cd "$root"
# shellcheck disable=SC1091 # checked on its own
. test/support/tier.sh
tier_init "test/cluster/goproxy/verify.sh (go build through the tier's module proxy, nothing else reachable)"
node_ip=10.244.0.1 # the cluster tier's node address (test/cluster/README.md), where the proxy will listen
port=8443

if [[ ${GOPROXY_VERIFY_INNER:-} != 1 ]]; then
  # ------------------------------------------------------------------ outside: prerequisites, builds, cache
  [[ $(id -u) == 0 ]] || tier_missing "needs root (network, mount and PID namespaces of its own)"
  for tool in go openssl unshare ip mount flock sha256sum awk; do
    tier_require "$tool" "test/cluster/goproxy/verify.sh"
  done
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] || tier_missing "no /etc/ssl/certs/ca-certificates.crt (ca-certificates)"
  unshare --net --mount --pid --fork --mount-proc true 2>/dev/null ||
    tier_missing "cannot create network, mount and PID namespaces (unshare --net --mount --pid)"
  module=${1:-test/cluster/upstream/acme/healthcheck}
  [[ -f $module/go.mod ]] || tier_fail "$module is not a Go module"
  module=$(cd "$module" && pwd)
  # shellcheck disable=SC1091 # checked on its own
  . tools/k8s/goenv.sh
  started=$SECONDS
  proxy=$(bash "$here/build.sh" | tail -n 1) || tier_fail "test/cluster/goproxy/build.sh failed"
  (cd "$here" && go vet ./... && go test -count=1 ./...) >&2 || tier_fail "test/cluster/goproxy's unit tests failed"
  modules=$(bash "$here/prepare.sh" "$module" | tail -n 1) || tier_fail "test/cluster/goproxy/prepare.sh failed"
  # The size of the module graph, which (unlike a build) needs every module's .info: here, with this machine's
  # module proxy and cache.
  graph=$(cd "$module" && go list -m all | tail -n +2 | wc -l) || tier_fail "go list -m all failed in $module"
  tier_say "proxy built and tested, modules prepared in $((SECONDS - started)) s"

  run=${TMPDIR:-/tmp}/cdk8s-go-remote-goproxy-verify
  exec 9>"$run.lock"
  flock 9 # one run at a time; a killed run's processes died with its PID namespace, only files are left
  rm -rf "$run"
  mkdir -p "$run"
  bash test/cluster/ca.sh issue "$run/tls" goproxy "IP:$node_ip" >&2 || tier_fail "test/cluster/ca.sh issue failed"
  cat /etc/ssl/certs/ca-certificates.crt "$run/tls/ca.crt" >"$run/ca-certificates.crt"
  mkdir -p .cache/goproxy
  status=0
  GOPROXY_VERIFY_INNER=1 RUN=$run GV_PROXY=$proxy GV_MODULES=$modules GV_MODULE=$module GV_GRAPH=$graph \
    GV_GOROOT=$(go env GOROOT) GV_TIMINGS=$root/.cache/goproxy/timings.json \
    unshare --net --mount --pid --fork --mount-proc --kill-child=SIGTERM -- bash "${BASH_SOURCE[0]}" || status=$?
  [[ ${KEEP:-} == 1 ]] || rm -rf "$run"
  [[ $status == 0 ]] || tier_fail "see above"
  exit 0
fi

# ------------------------------------------------------------------------- inside: PID 1 of a fresh namespace
ip link set lo up
ip addr add "$node_ip/32" dev lo
mount --bind "$RUN/ca-certificates.crt" /etc/ssl/certs/ca-certificates.crt # this mount namespace only
pids=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    if kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
fail() {
  tier_say "FAILED: $*"
  echo "--- last lines of $RUN/goproxy.log ---" >&2
  tail -n 15 "$RUN/goproxy.log" >&2
  exit 1
}

"$GV_PROXY" --root "$GV_MODULES" --listen "$node_ip:$port" --cert "$RUN/tls/tls.crt" --key "$RUN/tls/tls.key" \
  --ready-file "$RUN/goproxy.ready" >"$RUN/goproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s $RUN/goproxy.ready ]] && break; sleep 0.1; done
[[ -s $RUN/goproxy.ready ]] || fail "the proxy did not start"
proxy_url=https://$node_ip:$port

# go_in <caches> <command...>: runs in the module's copy with exactly a dev pod's Go environment, the caches
# (GOPATH, GOMODCACHE, GOCACHE) under $RUN/<caches>. Nothing of this machine's environment or go env file
# reaches it (env -i; HOME is the run's, and TMPDIR, so that a killed run leaves the go command's work
# directories there too).
go_in() {
  local caches=$RUN/$1
  shift
  mkdir -p "$caches" "$RUN/home" "$RUN/tmp"
  (cd "$RUN/src" && env -i PATH="$GV_GOROOT/bin:/usr/local/bin:/usr/bin:/bin" HOME="$RUN/home" TMPDIR="$RUN/tmp" \
    GOPATH="$caches/go" GOMODCACHE="$caches/go/pkg/mod" GOCACHE="$caches/go-build" \
    GOPROXY="$proxy_url" GOTOOLCHAIN=local CGO_ENABLED=0 "$@")
}
# timed <name> <caches> <command...>: go_in, its seconds in timings[<name>]; its output in $RUN/<name>.log.
declare -A timings=()
timed() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  go_in "$@" >"$RUN/$name.log" 2>&1 || { cat "$RUN/$name.log" >&2; fail "$name: '${*:2}' failed"; }
  t1=$(date +%s.%N)
  timings[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  tier_say "$(printf '%-28s %6s s' "$name" "${timings[$name]}")  (${*:2})"
}
# stale <caches>: the packages go build would compile (a command that is built but not installed is not).
stale() {
  go_in "$1" go list -deps \
    -f '{{if and .Stale (ne .StaleReason "not installed but available in build cache")}}{{.ImportPath}}{{end}}' ./... |
    sed '/^$/d'
}

mkdir -p "$RUN/src"
cp -R "$GV_MODULE/." "$RUN/src/"
names=(GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GOFLAGS GOTOOLCHAIN CGO_ENABLED)
tier_say "go env: $(paste -d= <(printf '%s\n' "${names[@]}") <(go_in cold go env "${names[@]}") | paste -sd ' ')"

# 1. Nothing but the proxy gives modules.
if out=$(go_in offline env GOPROXY=off go build ./... 2>&1); then fail "go build succeeded with GOPROXY=off"; fi
[[ $out == *"GOPROXY=off"* ]] || fail "go build with GOPROXY=off failed for another reason: $out"
if out=$(go_in offline env GOPROXY=https://proxy.golang.org,direct go build ./... 2>&1); then
  fail "go build succeeded through proxy.golang.org: this namespace is not closed"
fi
tier_say "without the proxy the build fails: GOPROXY=off, and GOPROXY=proxy.golang.org,direct: $(tail -n 1 <<<"$out")"

# 2. Cold, 3. the same caches again: a cache hit.
timed coldBuild cold go build ./...
timed cacheHitBuild cold go build ./...
left=$(stale cold) || fail "go list failed"
[[ -z $left ]] || fail "packages still stale after a go build: $(paste -sd ' ' <<<"$left")"
zips=$(grep -c ' GET /.*\.zip 200 ' "$RUN/goproxy.log" || true)
mods=$(grep -c ' GET /.*\.mod 200 ' "$RUN/goproxy.log" || true)
[[ $zips -gt 0 ]] || fail "no module zip came from the proxy"
! grep -q ' /sumdb/' "$RUN/goproxy.log" || fail "the go command asked for a checksum database"
! grep -Eq ' (GET|HEAD) /[^ ]*\.(zip|mod) [^2]' "$RUN/goproxy.log" || fail "the proxy lacked a .mod or .zip the build asked for"
tier_say "modules from the proxy: $zips zips, $mods go.mod files; no checksum database asked; no package stale"

#    After `go mod download` alone (GoWarmup.download()): modules there, every package still to compile.
timed modDownload download go mod download
[[ -n $(stale download) ]] || fail "packages are not stale after go mod download alone"
timed buildAfterDownload download go build ./...
#    After `go test -run '^$' ./...` (compiles packages and tests, runs nothing).
timed testCompileWarmup testwarm go test -run '^$' ./...
timed buildAfterTestWarmup testwarm go build ./...

# 4. The module's own checks, and the program runs.
timed vet cold go vet ./...
timed test cold go test -count=1 ./...
in_sum=$(awk '{ print $1 }' "$RUN/src/go.sum" | sort -u | wc -l)
main_pkgs=$(go_in cold go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./... | sed '/^$/d' | head -n 1)
if [[ -n $main_pkgs ]]; then
  out=$(go_in cold go run "$main_pkgs" --help 2>&1) || fail "go run $main_pkgs --help failed: $out"
fi

{
  printf '{\n  "module": "%s",\n  "modulesInGoSum": %s,\n  "modulesInGraph": %s,\n' \
    "$(go_in cold go list -m)" "$in_sum" "$GV_GRAPH"
  printf '  "zipsFromProxy": %s,\n  "goModFilesFromProxy": %s,\n' "$zips" "$mods"
  first=1
  for name in coldBuild cacheHitBuild modDownload buildAfterDownload testCompileWarmup \
    buildAfterTestWarmup vet test; do
    [[ $first == 1 ]] || printf ',\n'
    first=0
    printf '  "%sSeconds": %s' "$name" "${timings[$name]}"
  done
  printf '\n}\n'
} >"$GV_TIMINGS"
cat "$GV_TIMINGS" >&2
tier_say "PASSED: $in_sum modules in go.sum ($GV_GRAPH in the module graph); cold build ${timings[coldBuild]} s," \
  "cache hit ${timings[cacheHitBuild]} s, after go mod download ${timings[buildAfterDownload]} s," \
  "after go test -run '^\$' ${timings[buildAfterTestWarmup]} s (times in $GV_TIMINGS)"

#!/usr/bin/env bash
# Builds the programs the cluster tier runs besides Kubernetes itself, static (CGO_ENABLED=0), into
# .cache/cluster/bin/, and prints that directory as the last line of stdout (progress goes to stderr):
#   pause                    tools/cluster/pause (the sandbox container of every pod)
#   coredns                  github.com/coredns/coredns    (cluster DNS, with the kubernetes and hosts plugins)
#   local-path-provisioner   github.com/rancher/local-path-provisioner (the default StorageClass)
# The two upstream programs are built with a plain `go install <module>@<version>`: their own go.mod and
# go.sum pin every dependency, checked against the Go checksum database.
# Each program is rebuilt only when its stamp (version, sources, this script) changed; concurrent calls
# wait for each other.
#
#   bin=$(bash tools/cluster/build.sh | tail -n 1)
set -euo pipefail

COREDNS_VERSION=v1.15.0
LOCAL_PATH_PROVISIONER_VERSION=v0.0.30

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/.cache/cluster/bin
command -v go >/dev/null || { echo "tools/cluster/build.sh: 'go' is not on PATH" >&2; exit 2; }
# shellcheck source=../k8s/goenv.sh
. "$root/tools/k8s/goenv.sh"
export CGO_ENABLED=0
mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9

self=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)

# build <name> <stamp input> <command...>: runs the command with GOBIN/output in a temporary directory
# when the program is missing or its stamp changed.
build() {
  local name=$1 stamp_input=$2
  shift 2
  local stamp
  stamp=$(printf '%s\n%s\n%s\n' "$stamp_input" "$self" "$(go env GOVERSION)" | sha256sum | cut -d' ' -f1)
  if [[ -x $bin/$name && "$(cat "$bin/.$name.stamp" 2>/dev/null)" == "$stamp" ]]; then
    echo "tools/cluster/build.sh: $name is built" >&2
    return
  fi
  echo "tools/cluster/build.sh: building $name with $(go env GOVERSION)" >&2
  local started=$SECONDS tmp
  tmp=$(mktemp -d "$bin/.build.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the directory of this build
  trap "rm -rf '$tmp'" EXIT
  OUT=$tmp "$@" >&2
  [[ -x $tmp/$name ]] || { echo "tools/cluster/build.sh: the build of $name wrote no $tmp/$name" >&2; exit 1; }
  mv -f "$tmp/$name" "$bin/$name"
  echo "$stamp" >"$bin/.$name.stamp"
  rm -rf "$tmp"
  trap - EXIT
  echo "tools/cluster/build.sh: built $name in $((SECONDS - started)) s" >&2
}

build_pause() { (cd "$here/pause" && go build -trimpath -ldflags='-s -w' -o "$OUT/pause" .); }
go_install() { GOBIN=$OUT go install -trimpath -ldflags='-s -w' "$1"; }

build pause "$(cat "$here/pause/go.mod" "$here/pause/main.go")" build_pause
build coredns "coredns $COREDNS_VERSION" go_install "github.com/coredns/coredns@$COREDNS_VERSION"
build local-path-provisioner "local-path-provisioner $LOCAL_PATH_PROVISIONER_VERSION" \
  go_install "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION"

cat >"$bin/versions.env" <<EOF
COREDNS_VERSION=$COREDNS_VERSION
LOCAL_PATH_PROVISIONER_VERSION=$LOCAL_PATH_PROVISIONER_VERSION
EOF
echo "$bin"

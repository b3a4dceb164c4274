#!/usr/bin/env bash
# Builds etcd and every k8s.io/kubernetes/cmd/ program that tools/k8s/<line>/tools.go imports (for v1.27:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl) from the Go modules
# pinned in tools/k8s/<line>/go.mod into .cache/k8s/<kubernetes version>/bin and prints that directory as the last line of stdout (all other
# output goes to stderr). Idempotent: when the binaries exist and go.mod, go.sum and this script are
# unchanged, it only prints the directory.
#
#   bash tools/k8s/build.sh            # Kubernetes 1.27 (default)
#   bash tools/k8s/build.sh v1.37      # any line that has a directory here
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
line=${1:-v1.27}
mod=$here/$line
if [[ ! -f $mod/go.mod ]]; then
  echo "build.sh: no Go module for '$line' in tools/k8s; available: $(cd "$here" && printf '%s ' v*/ | tr -d /)" >&2
  exit 2
fi
command -v go >/dev/null || { echo "build.sh: 'go' is not on PATH" >&2; exit 2; }

version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2 }' "$mod/go.mod")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2 }' "$mod/go.mod")
out=$root/.cache/k8s/$version
bin=$out/bin
mkdir -p "$out"
stamp=$(cat "$mod/go.mod" "$mod/go.sum" "$mod/tools.go" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
mapfile -t cmds < <(grep -o '"k8s.io/kubernetes/cmd/[a-z0-9-]*"' "$mod/tools.go" | tr -d '"' | sort)
[[ ${#cmds[@]} -gt 0 ]] || { echo "build.sh: $mod/tools.go imports no k8s.io/kubernetes/cmd/ package" >&2; exit 2; }
names=("${cmds[@]##*/}")

exec 9>"$out/.lock"
flock 9 # another build.sh for the same version waits here

built=true
for name in "${names[@]}" etcd; do
  [[ -x $bin/$name ]] || built=false
done
if [[ $built == true && "$(cat "$out/stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "build.sh: Kubernetes $version and etcd $etcd_version already built" >&2
  echo "$bin"
  exit 0
fi

. "$here/goenv.sh"
export CGO_ENABLED=0 # static binaries, as Kubernetes releases them
minor=${version#v1.}; minor=${minor%%.*}
x=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  x+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitVersion=$version -X $pkg.gitTreeState=clean -X $pkg.gitCommit="
done

echo "build.sh: building Kubernetes $version (${names[*]}) and etcd $etcd_version with $(go env GOVERSION) into $bin" >&2
start=$SECONDS
tmp=$(mktemp -d "$out/bin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$mod"
go mod download >&2 # fails here, not mid-build, when a module cannot be fetched
echo "build.sh: modules ready after $((SECONDS - start)) s" >&2
go build -trimpath -ldflags="-s -w$x" -o "$tmp/" "${cmds[@]}" >&2
go build -trimpath -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 >&2
rm -rf "$bin"
chmod 755 "$tmp"
mv "$tmp" "$bin"
echo "$stamp" >"$out/stamp"
echo "build.sh: built in $((SECONDS - start)) s" >&2
echo "$bin"

#!/usr/bin/env bash
# Builds test/cluster/goproxy (standard library only) into .cache/goproxy/bin/<stamp>/goproxy and prints that
# path as the last line of stdout. Idempotent: rebuilt only when a source file or this script changed.
#
#   goproxy=$(bash test/cluster/goproxy/build.sh | tail -n 1)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
command -v go >/dev/null || { echo "test/cluster/goproxy/build.sh: 'go' is not on PATH" >&2; exit 2; }
stamp=$(cat "$here/go.mod" "$here/main.go" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
out=$root/.cache/goproxy/bin/$stamp
if [[ -x $out/goproxy ]]; then
  echo "$out/goproxy"
  exit 0
fi
# shellcheck disable=SC1091 # goenv.sh is checked on its own
. "$root/tools/k8s/goenv.sh"
mkdir -p "$out"
tmp=$(mktemp "$out/goproxy.XXXXXX")
trap 'rm -f "$tmp"' EXIT
(cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$tmp" .) >&2
chmod 755 "$tmp"
mv "$tmp" "$out/goproxy"
echo "$out/goproxy"

#!/usr/bin/env bash
# Builds actionlint from the module pinned in tools/lint/go.mod into .cache/lint/bin (content-stamped: rebuilt
# only when go.mod, go.sum or this script change) and prints that directory as the last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/.cache/lint
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
command -v go >/dev/null || { echo "tools/lint/build.sh: 'go' is not on PATH" >&2; exit 2; }
stamp=$(cat "$here/go.mod" "$here/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -x $out/bin/actionlint && "$(cat "$out/bin/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "$out/bin"
  exit 0
fi
# shellcheck source=tools/k8s/goenv.sh
. "$root/tools/k8s/goenv.sh"
version=$(awk '$1 == "require" && $2 == "github.com/rhysd/actionlint" { print $3 }' "$here/go.mod")
start=$SECONDS
tmp=$(mktemp -d "$out/bin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(
  cd "$here"
  go mod download >&2
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/rhysd/actionlint.version=$version" -o "$tmp/actionlint" github.com/rhysd/actionlint/cmd/actionlint >&2
)
echo "$stamp" >"$tmp/.stamp"
chmod 755 "$tmp"
rm -rf "${out:?}/bin"
mv "$tmp" "$out/bin"
trap - EXIT
echo "tools/lint/build.sh: actionlint $version built in $((SECONDS - start)) s" >&2
echo "$out/bin"

#!/usr/bin/env bash
# Prepares what test/cluster/goproxy serves for one or more Go modules: every module version their go.sum files
# name is downloaded through this machine's own Go module proxy (go env GOPROXY, verified by its checksum
# database) into Go's own module cache (go env GOMODCACHE: shared, never inside the repository), and copied in
# the proxy layout, which is that of $GOMODCACHE/cache/download, into .cache/goproxy/modules/<stamp>/. The stamp
# hashes the go.mod and go.sum files and this script: the same inputs reuse the same directory. Prints the
# directory as the last line of stdout, a summary on stderr.
#
#   dir=$(bash test/cluster/goproxy/prepare.sh test/cluster/upstream/acme/healthcheck [<module dir>...] | tail -n 1)
#
# For a go.sum line "<module> <version> h1:..." it copies <version>.info, .mod and .zip; for "<module>
# <version>/go.mod h1:..." .info and .mod. Each module gets a list file naming its release versions (no
# pseudo-versions, as proxy.golang.org answers). Only what the go.sum files name is there, so a build that
# succeeds against this directory needs nothing else.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
say() { echo "test/cluster/goproxy/prepare.sh: $*" >&2; }
[[ $# -gt 0 ]] || { echo "usage: test/cluster/goproxy/prepare.sh <module dir>..." >&2; exit 2; }
command -v go >/dev/null || { say "'go' is not on PATH"; exit 2; }
# shellcheck disable=SC1091 # goenv.sh is checked on its own
. "$root/tools/k8s/goenv.sh"

dirs=()
for dir in "$@"; do
  [[ -f $dir/go.mod && -f $dir/go.sum ]] || { say "$dir has no go.mod and go.sum"; exit 2; }
  dirs+=("$(cd "$dir" && pwd)")
done
stamp=$({
  cat "${BASH_SOURCE[0]}"
  for dir in "${dirs[@]}"; do cat "$dir/go.mod" "$dir/go.sum"; done
} | sha256sum | cut -c1-16)
base=$root/.cache/goproxy/modules
out=$base/$stamp
mkdir -p "$base"
exec 9>"$base/.lock"
flock 9
if [[ -d $out ]]; then
  say "$out is prepared"
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
tmp=$(mktemp -d "$base/.new.XXXXXX")
trap 'rm -rf "$work" "$tmp"' EXIT

# "<module> <version> zip|mod" per go.sum line, deduplicated.
for dir in "${dirs[@]}"; do
  awk 'NF == 3 { if ($2 ~ /\/go\.mod$/) { sub(/\/go\.mod$/, "", $2); print $1, $2, "mod" } else print $1, $2, "zip" }' "$dir/go.sum"
done | sort -u >"$work/entries"
mapfile -t zips < <(awk '$3 == "zip" { print $1 "@" $2 }' "$work/entries")
mapfile -t all < <(awk '{ print $1 "@" $2 }' "$work/entries" | sort -u)
[[ ${#all[@]} -gt 0 ]] || { say "the go.sum files name no module"; exit 1; }

# From an empty directory, so that no go.mod or go.sum is read or written; -mod is never set.
started=$SECONDS
(cd "$work" && GOFLAGS=-modcacherw GOWORK=off go mod download "${zips[@]}") ||
  { say "go mod download failed"; exit 1; }
(cd "$work" && GOFLAGS=-modcacherw GOWORK=off go list -m -json "${all[@]}" >/dev/null) ||
  { say "go list -m (the .info and .mod files) failed"; exit 1; }
download=$(go env GOMODCACHE)/cache/download

# The cache stores paths and versions escaped: an upper-case letter is "!" and the lower-case letter.
pseudo='^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z.-]+)?$'
while read -r module version kind escmodule escversion; do
  mkdir -p "$tmp/$escmodule/@v"
  exts=(info mod)
  [[ $kind == zip ]] && exts+=(zip)
  for ext in "${exts[@]}"; do
    src=$download/$escmodule/@v/$escversion.$ext
    [[ -s $src ]] || { say "$module@$version: $src is missing after the download"; exit 1; }
    cp "$src" "$tmp/$escmodule/@v/$escversion.$ext"
  done
  grep -Eq "$pseudo" <<<"$version" || echo "$version" >>"$tmp/$escmodule/@v/list"
  touch "$tmp/$escmodule/@v/list"
done < <(awk '
  function esc(s,   out, i, c) {
    for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); out = out (c ~ /[A-Z]/ ? "!" tolower(c) : c) }
    return out
  }
  { print $0, esc($1), esc($2) }' "$work/entries")
find "$tmp" -path '*/@v/list' -type f -print0 | while IFS= read -r -d '' list; do sort -uV -o "$list" "$list"; done
chmod -R a+rX "$tmp"
mv "$tmp" "$out"
say "$(awk '{ print $1 }' "$work/entries" | sort -u | wc -l) modules, ${#all[@]} versions (${#zips[@]} zips)," \
  "$(du -sh "$out" | cut -f1), in $((SECONDS - started)) s: $out"
echo "$out"

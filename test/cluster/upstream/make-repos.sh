#!/usr/bin/env bash
# Turns every repository source under test/cluster/upstream/<org>/<repo>/ into a bare repository
# <out>/<org>/<repo>.git with one commit on main (HEAD -> main), made with a fixed author, committer and date, so
# that its hash depends only on the files. tools/gitserver serves <out> as https://github.com/<org>/<repo>.git.
# Prints "<org>/<repo> <commit>" per repository on stdout. An existing <out>/<org>/<repo>.git is replaced.
#
#   bash test/cluster/upstream/make-repos.sh <out>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: make-repos.sh <out directory>}
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v git >/dev/null || { echo "make-repos.sh: git is not on PATH" >&2; exit 2; }

# Nothing of this machine's git configuration (signing, hooks, templates, user) reaches the commits.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="cdk8s-go-remote cluster tier" GIT_AUTHOR_EMAIL="cluster-tier@cdk8s-go-remote.invalid"
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="2025-01-01T00:00:00+0000" GIT_COMMITTER_DATE="2025-01-01T00:00:00+0000"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The files of a source directory: what git tracks or would track there (no build output, nothing ignored);
# outside a git checkout, every file.
files_of() {
  if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$1" && git ls-files -z --cached --others --exclude-standard -- .)
  else
    (cd "$1" && find . -type f -printf '%P\0')
  fi
}

found=0
for mod in "$here"/*/*/go.mod; do
  src=$(dirname "$mod")
  repo=${src#"$here"/}
  tree=$work/$repo
  mkdir -p "$tree"
  files_of "$src" | (cd "$src" && xargs -0 cp --parents -t "$tree")
  git -C "$tree" init -q -b main
  git -C "$tree" add -A
  git -C "$tree" commit -q --no-gpg-sign -m "$repo: the cluster tier's stand-in (test/cluster/upstream/$repo)"
  bare=$out/$repo.git
  rm -rf "$bare"
  git init -q --bare -b main "$bare"
  git -C "$tree" push -q "$bare" main
  echo "$repo $(git -C "$bare" rev-parse refs/heads/main)"
  found=$((found + 1))
done
[[ $found -gt 0 ]] || { echo "make-repos.sh: no <org>/<repo>/go.mod under $here" >&2; exit 1; }

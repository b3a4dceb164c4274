#!/usr/bin/env bash
# Prints the path of cert-manager's Certificate CustomResourceDefinition, for the webhook example's Certificate
# (docs/guides/webhook-development.md), taken from cert-manager's own Go module as the Go module proxy serves it
# (go mod download verifies it against the checksum database; the hash below pins it further). test/apiserver/run.sh
# installs it with the other CRDs before the scenarios. test/support/cert-manager.ts reads the same file for the
# schema tests: keep the two versions equal. 1.19 is the newest whose CRD a 1.27 API server takes: from 1.20 on it
# declares selectableFields (Kubernetes 1.30).
#
#   bash test/apiserver/cert-manager-crds.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/tools/k8s/goenv.sh"

module=github.com/cert-manager/cert-manager@v1.19.4
sum=h1:7lOkSYj+nJNjgGFfAznQzPpOfWX+1Kgz6xUXwTa/K5k=
crd=deploy/crds/cert-manager.io_certificates.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" # outside any module: go mod download fetches exactly the module named
info=$(GOTOOLCHAIN=local go mod download -json "$module")
dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")
got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")
if [[ -z $dir ]]; then
  echo "cert-manager-crds.sh: cannot download $module: $info" >&2
  exit 1
fi
if [[ $got != "$sum" ]]; then
  echo "cert-manager-crds.sh: $module has hash $got, pinned $sum" >&2
  exit 1
fi
[[ -f $dir/$crd ]] || { echo "cert-manager-crds.sh: $module has no $crd" >&2; exit 1; }
echo "$dir/$crd"

#!/usr/bin/env bash
# Prints, colon-separated, the CustomResourceDefinitions of the GitOps objects the fleet examples emit (Argo CD's
# Application and ApplicationSet, Flux's GitRepository and Kustomization), taken from the projects' own Go
# modules as the Go module proxy serves them (go mod download verifies them against the checksum database;
# the hashes below pin them further). test/apiserver/run.sh installs them before the scenarios.
#
#   bash test/apiserver/gitops-crds.sh
#
# Flux is pinned to 1.9.6: its 1.10 modules require Go 1.27.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/tools/k8s/goenv.sh"

# module@version  expected h1 hash  CRD files inside the module
modules=(
  "github.com/argoproj/argo-cd/v2@v2.14.21 h1:Ux50vfMUITW+Y+6GAYgQlZbr6WHE5ogiLg9OxxvP9EA= manifests/crds/application-crd.yaml manifests/crds/applicationset-crd.yaml manifests/crds/appproject-crd.yaml"
  "github.com/fluxcd/source-controller@v1.9.6 h1:nG534/bI6nVpyHra7ONAk6xDB3xPsVT+EOLHZHXPrrc= config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"
  "github.com/fluxcd/kustomize-controller@v1.9.6 h1:XB+G3A0mky0j5uVHZWv4oSlS2RvZBoNIUhstIvY0JKE= config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" # outside any module: go mod download fetches exactly the module named
files=()
for line in "${modules[@]}"; do
  read -r module sum crds <<<"$line"
  info=$(GOTOOLCHAIN=local go mod download -json "$module")
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")
  got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")
  if [[ -z $dir ]]; then
    echo "gitops-crds.sh: cannot download $module: $info" >&2
    exit 1
  fi
  if [[ $got != "$sum" ]]; then
    echo "gitops-crds.sh: $module has hash $got, pinned $sum" >&2
    exit 1
  fi
  for crd in $crds; do
    [[ -f $dir/$crd ]] || { echo "gitops-crds.sh: $module has no $crd" >&2; exit 1; }
    files+=("$dir/$crd")
  done
done
(IFS=:; echo "${files[*]}")

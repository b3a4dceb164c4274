#!/usr/bin/env bash
# Builds the manifest linters of the linter tier (test/linters/run.sh) into .cache/linters:
#   - kube-score, from the Go module pinned in tools/linters/go.mod        -> .cache/linters/bin/kube-score
#   - with the argument `trivy`: Trivy too, from the Go module pinned in tools/linters/trivy/go.mod
#                                                                          -> .cache/linters/trivy/trivy
#   - Checkov, from PyPI into a venv, every package pinned in
#     tools/linters/checkov-requirements.txt                               -> .cache/linters/checkov/bin/checkov
# Idempotent: each is rebuilt only when its pins or this script change. Prints .cache/linters as the last line
# of stdout; everything else goes to stderr. Go's caches are the repository's (.cache/go, tools/k8s/goenv.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/.cache/linters
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9 # another build.sh waits here

for tool in go python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "tools/linters/build.sh: '$tool' is not on PATH" >&2; exit 2; }
done

# ---- kube-score ----
version=$(awk '{ for (i = 1; i < NF; i++) if ($i == "github.com/zegl/kube-score") print $(i + 1) }' "$here/go.mod")
stamp=$(cat "$here/go.mod" "$here/go.sum" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -x $out/bin/kube-score && "$(cat "$out/bin/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "build.sh: kube-score $version already built" >&2
else
  . "$root/tools/k8s/goenv.sh"
  start=$SECONDS
  echo "build.sh: building kube-score $version with $(go env GOVERSION)" >&2
  tmp=$(mktemp -d "$out/bin.XXXXXX")
  (
    cd "$here"
    go mod download >&2 # fails here, not mid-build, when a module cannot be fetched
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$version" -o "$tmp/kube-score" github.com/zegl/kube-score/cmd/kube-score >&2
  ) || { rm -rf "$tmp"; exit 1; }
  echo "$stamp" >"$tmp/.stamp"
  chmod 755 "$tmp"
  rm -rf "${out:?}/bin"
  mv "$tmp" "$out/bin"
  echo "build.sh: kube-score built in $((SECONDS - start)) s" >&2
fi

with_trivy=false
for arg in "$@"; do
  case $arg in
    trivy) with_trivy=true ;;
    *) echo "tools/linters/build.sh: unknown argument '$arg'; expected 'trivy' or nothing" >&2; exit 2 ;;
  esac
done

# ---- Trivy ----
# A module of its own (tools/linters/trivy/go.mod), so that its many dependencies never change kube-score's.
# Trivy's release build sets GOEXPERIMENT=jsonv2 (without it: "build constraints exclude all Go files in
# .../encoding/json/v2"). Cold: about 17 min of CPU (8-9 min on 2 idle cores; 50 min measured on a shared
# machine under load), a 161 MiB binary; with Go's build cache warm, 51 s. The linter tier does not ask for it yet.
trivy_mod=$here/trivy
trivy_version=$(awk '$1 == "github.com/aquasecurity/trivy" { print $2 }' "$trivy_mod/go.mod")
stamp=$(cat "$trivy_mod/go.mod" "$trivy_mod/go.sum" "${BASH_SOURCE[0]}" <(go version) | sha256sum | cut -d' ' -f1)
if [[ $with_trivy == false ]]; then
  : # not asked for
elif [[ -x $out/trivy/trivy && "$(cat "$out/trivy/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "build.sh: Trivy $trivy_version already built" >&2
else
  . "$root/tools/k8s/goenv.sh"
  start=$SECONDS
  echo "build.sh: building Trivy $trivy_version with $(go env GOVERSION) (cold: 8-9 min on 2 idle cores)" >&2
  tmp=$(mktemp -d "$out/trivy.XXXXXX")
  (
    cd "$trivy_mod"
    go mod download >&2
    CGO_ENABLED=0 GOEXPERIMENT=jsonv2 go build -trimpath \
      -ldflags="-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${trivy_version#v}" \
      -o "$tmp/trivy" github.com/aquasecurity/trivy/cmd/trivy >&2
  ) || { rm -rf "$tmp"; exit 1; }
  echo "$stamp" >"$tmp/.stamp"
  chmod 755 "$tmp"
  rm -rf "${out:?}/trivy"
  mv "$tmp" "$out/trivy"
  echo "build.sh: Trivy built in $((SECONDS - start)) s" >&2
fi

# ---- Checkov ----
requirements=$here/checkov-requirements.txt
checkov_version=$(awk -F'==' '$1 == "checkov" { print $2 }' "$requirements")
stamp=$(cat "$requirements" "${BASH_SOURCE[0]}" <(python3 --version) | sha256sum | cut -d' ' -f1)
venv=$out/checkov
if [[ -x $venv/bin/checkov && "$(cat "$venv/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "build.sh: Checkov $checkov_version already installed" >&2
else
  start=$SECONDS
  echo "build.sh: installing Checkov $checkov_version into $venv with $(python3 --version)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || { echo "build.sh: 'python3 -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2; then
    rm -rf "$venv"
    exit 1
  fi
  echo "$stamp" >"$venv/.stamp"
  echo "build.sh: Checkov installed in $((SECONDS - start)) s" >&2
fi

echo "$out"

#!/usr/bin/env bash
# Bindings tier: the library as Go and Python users get it. Packages the library with jsii-pacmak (the Go
# module and the wheel of the release configuration in .projenrc.ts), then synthesizes the same environments
# from a TypeScript app (app.ts), a Go app (go/) and a Python app (python/), and asserts that
# - the three output directories are byte-identical;
# - a validation error raised in Go and in Python carries the library's own message, byte for byte.
#
#   bash test/bindings/run.sh            # from the repository root (npm run test:bindings)
#
# Environment: CI=true   a missing prerequisite (go, python3 with venv) fails the run instead of reporting NOT RUN
#                        (test/support/tier.sh); a failed step (a download, an install), or a difference,
#                        always fails it.
# Go's own module and build caches are used; generated Go modules, the wheel, the virtualenv and the
# synthesized YAML go to .cache/bindings.
#
# The Go module proxy does not serve the Go bindings of cdk8s (github.com/cdk8s-team/cdk8s-core-go) or
# cdk8s-plus-27 (github.com/cdk8s-team/cdk8s-plus-go), so they are generated here with jsii-pacmak from the npm
# packages in node_modules, at the versions this library builds against; go/go.mod points at them (and at our
# generated module) with replace directives. jsii-runtime-go and constructs-go come from the proxy. Python
# installs cdk8s, cdk8s-plus-27 and constructs from PyPI, and our wheel from .cache/bindings/python.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. tools/k8s/goenv.sh # Go's own caches, writable
here=test/bindings
cache=$root/.cache/bindings
out=$cache/out
me=test/bindings/run.sh

# What the apps pin; test/bindings/go/go.mod requires the same versions.
CDK8S=2.70.0
CDK8S_PLUS=2.9.5
CONSTRUCTS=10.4.2

. test/support/tier.sh
tier_init "$me (bindings tier)"
fail() { tier_fail "$@"; }
started=$SECONDS
step() { echo "--- $me: $1 ($((SECONDS - started)) s)"; }

# ---- prerequisites ----
command -v go >/dev/null || tier_missing "'go' is not on PATH (Go 1.25 or later builds the Go app)"
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[[ -n $go_minor && $go_minor -ge 25 ]] || tier_missing "Go $(go env GOVERSION) is too old: the generated modules declare 'go 1.25'"
command -v python3 >/dev/null || tier_missing "'python3' is not on PATH (Python 3.9 or later runs the Python app)"
python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' 2>/dev/null ||
  tier_missing "python3 is older than 3.9 or lacks the venv/ensurepip modules (Debian: apt-get install python3-venv)"
[[ -x node_modules/.bin/jsii-pacmak ]] || tier_missing "node_modules/.bin/jsii-pacmak is missing: run 'npm ci' first"

# jsii prints a banner on every start under an end-of-life Node.js; package.json allows Node 20.
node_major=$(node -p 'process.versions.node.split(".")[0]')
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$node_major}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=${JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION:-$node_major}

pacmak_version=$(npx jsii-pacmak --version | sed -n 's/^\([0-9][0-9.]*\).*/\1/p')
grep -q "github.com/aws/jsii-runtime-go v$pacmak_version\$" "$here/go/go.mod" ||
  fail "jsii-pacmak is $pacmak_version and its Go code needs github.com/aws/jsii-runtime-go v$pacmak_version, but $here/go/go.mod requires $(grep -o 'jsii-runtime-go v[0-9.]*' "$here/go/go.mod"); run: cd $here/go && go get github.com/aws/jsii-runtime-go@v$pacmak_version && go mod tidy"
echo "$me: jsii-pacmak $pacmak_version, $(go env GOVERSION), $(python3 --version), Node.js $(node --version)"

# ---- package ----
if [[ ! -f .jsii || -n $(find src package.json -newer .jsii -print -quit) ]]; then
  step "jsii compile (src/ is newer than .jsii)"
  npx projen compile
fi

for p in cdk8s:$CDK8S cdk8s-plus-27:$CDK8S_PLUS constructs:$CONSTRUCTS; do
  have=$(node -p "require('./node_modules/${p%%:*}/package.json').version")
  [[ $have == "${p#*:}" ]] || fail "node_modules/${p%%:*} is $have; the apps pin ${p#*:} (update CDK8S* in $me, $here/go/go.mod and the pins below)"
done
# The packages are rebuilt when what they are made of changed: the assembly, the compiled JavaScript, the
# package manifest, jsii-pacmak and the versions of the dependencies.
fingerprint=$( (cat .jsii package.json; find lib -type f -name '*.js' | LC_ALL=C sort | xargs cat;
  echo "$pacmak_version $CDK8S $CDK8S_PLUS $CONSTRUCTS") | sha256sum | cut -c1-16)
if [[ $(cat "$cache/fingerprint" 2>/dev/null) == "$fingerprint" && -d $cache/go/cdk8sgoremote ]] && compgen -G "$cache/python/*.whl" >/dev/null; then
  step "jsii-pacmak: packages are current (fingerprint $fingerprint)"
else
  rm -rf "$cache/go" "$cache/python" "$cache/fingerprint"
  step "jsii-pacmak: Go modules of cdk8s $CDK8S, cdk8s-plus-27 $CDK8S_PLUS and this library (code only)"
  # --no-npmignore: pacmak would otherwise add the output directory to .npmignore (a projen-managed file).
  npx jsii-pacmak --code-only --no-npmignore --target go --outdir "$cache" node_modules/cdk8s node_modules/cdk8s-plus-27 .
  step "jsii-pacmak: the Python wheel (build and twine check, as a release does)"
  npx jsii-pacmak --no-npmignore --target python --outdir "$cache" .
  echo "$fingerprint" >"$cache/fingerprint"
fi
generated_runtime=$(grep -ho 'github.com/aws/jsii-runtime-go v[0-9.]*' "$cache"/go/*/go.mod | sort -u)
[[ $generated_runtime == "github.com/aws/jsii-runtime-go v$pacmak_version" ]] ||
  fail "the generated go.mod files require '$generated_runtime', expected v$pacmak_version"
wheels=("$cache"/python/*.whl)
[[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] || fail "expected one wheel in $cache/python, found: ${wheels[*]}"

# ---- synthesize ----
rm -rf "$out"
mkdir -p "$out"

step "TypeScript app"
npx ts-node --project test/tsconfig.json "$here/app.ts" "$out/ts" "$out/error-ts.txt"

step "Go app: download modules"
(cd "$here/go" && go mod download) || fail "cannot download the Go modules of $here/go/go.mod (is the Go module proxy reachable?)"
step "Go app: build"
(cd "$here/go" && go vet . && go build -o "$cache/bin/app" .)
step "Go app: run"
"$cache/bin/app" "$out/go" "$out/error-go.txt"
echo

step "Python app: virtualenv"
venv=$cache/venv
pins="cdk8s==$CDK8S cdk8s-plus-27==$CDK8S_PLUS constructs==$CONSTRUCTS jsii==$pacmak_version"
if [[ ! -x $venv/bin/python || $(cat "$venv/.pins" 2>/dev/null) != "$pins" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # $pins is a list of requirements
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $pins ||
    fail "cannot install $pins from PyPI"
  echo "$pins" >"$venv/.pins"
fi
# Our wheel, with the dependencies it declares (already satisfied by the pins above, so nothing else moves).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --force-reinstall --no-deps "${wheels[0]}"
"$venv/bin/python" -m pip check
step "Python app: run"
"$venv/bin/python" "$here/python/app.py" "$out/python" "$out/error-python.txt"

# ---- compare ----
step "compare"
expected_files="basic.k8s.yaml
openshift.k8s.yaml
operator.k8s.yaml"
status=0
for lang in ts go python; do
  files=$(cd "$out/$lang" && find . -type f -printf '%P\n' | sort)
  [[ $files == "$expected_files" ]] || { echo "$me: $lang synthesized [$files], expected [$expected_files]" >&2; status=1; }
done
for lang in go python; do
  if diff -ru "$out/ts" "$out/$lang"; then
    echo "$me: $lang YAML is byte-identical to TypeScript's ($(cat "$out/$lang"/*.yaml | wc -c) bytes in 3 files)"
  else
    echo "$me: $lang YAML differs from TypeScript's (diff above)" >&2
    status=1
  fi
done
# The library's message, whole: both problems, each naming the prop, the value and what is expected.
for problem in \
  "- 'name' is \"Bad_Name\"; expected a DNS-1035 label" \
  "- 'programs[0].port' is 2222; which is reserved for SSH; choose another port"; do
  grep -qF -- "$problem" "$out/error-ts.txt" || { echo "$me: the TypeScript error lacks: $problem" >&2; status=1; }
done
for lang in go python; do
  if diff -u "$out/error-ts.txt" "$out/error-$lang.txt"; then
    echo "$me: the validation error raised in $lang carries the library's message: $(head -n 1 "$out/error-$lang.txt") ..."
  else
    echo "$me: the validation error raised in $lang differs from TypeScript's (diff above)" >&2
    status=1
  fi
done
if [[ $status -ne 0 && -n $(find src -newer .jsii -print -quit) ]]; then
  echo "$me: note: src/ changed during the run (newer than .jsii), so the TypeScript app ran newer code than the packages; run again" >&2
fi
echo "$me: $([[ $status -eq 0 ]] && echo passed || echo FAILED) in $((SECONDS - started)) s (outputs in $out)"
exit $status

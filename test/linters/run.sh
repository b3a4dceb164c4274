#!/usr/bin/env bash
# Linter tier: builds kube-score from its Go module and installs Checkov from PyPI (tools/linters/build.sh),
# synthesizes every example, every accepted input and one environment per node access profile
# (test/linters/synth.ts), runs both linters with their default checks over each, with and without the
# exemption annotations, and checks the findings (test/linters/check.ts): the default environment raises
# nothing but what README lists, every other finding is exempted with a reason on the object, and no
# exemption is declared that the linter would not raise.
#
#   bash test/linters/run.sh            # from anywhere in the repository
#
# Environment: CI=true   a missing toolchain fails the run instead of reporting NOT RUN (test/support/tier.sh);
#                        a failed build fails it always
# Go's own module and build caches are used; the linters go to .cache/linters, the synthesized charts and the
# linters' reports to .cache/linters/out.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
here=test/linters
out=$root/.cache/linters/out

. test/support/tier.sh
tier_init "test/linters/run.sh (linter tier)"

tier_require go "it builds kube-score; tested with Go 1.26"
tier_require python3 "Checkov runs in a venv; tested with Python 3.11"
python3 -c 'import venv, ensurepip' 2>/dev/null || tier_missing "python3 has no venv/ensurepip module (Debian: apt-get install python3-venv)"
for tool in flock sha256sum npx; do
  tier_require "$tool" "tools/linters/build.sh and the checker"
done

started=$SECONDS
linters=$(bash tools/linters/build.sh | tail -n 1) || tier_fail "building the linters failed (tools/linters/build.sh, output above)"
kube_score=$linters/bin/kube-score
checkov=$linters/checkov/bin/checkov
build_time=$((SECONDS - started))

started=$SECONDS
rm -rf "$out"
npx ts-node --project test/tsconfig.json "$here/synth.ts" "$out"
synth_time=$((SECONDS - started))

started=$SECONDS
# kube-score: one run per chart (it relates objects of the files it is given, such as a NetworkPolicy to a pod).
# It exits 1 when it finds something; check.ts reads the report and fails when a report is missing.
for variant in exempt bare; do
  mkdir -p "$out/kube-score/$variant"
  for dir in "$out/$variant"/*/; do
    chart=$(basename "$dir")
    "$kube_score" score --output-format json "$dir/manifests.yaml" >"$out/kube-score/$variant/$chart.json" || true
  done
done
kube_score_time=$((SECONDS - started))

started=$SECONDS
# Checkov, offline (--skip-download: no platform metadata; the checks are the package's own). One run over
# all charts per variant: a process costs seconds. Its graph checks relate a NetworkPolicy to any pod of any
# chart (it ignores namespaces), so the default environment is also scanned alone, with every framework.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
mkdir -p "$out/checkov"
scan() { # <report name> <checkov arguments...>
  local name=$1
  shift
  (cd "$out" && "$checkov" --skip-download --compact --output json "$@" >"checkov/$name.json" 2>"checkov/$name.log") || true
}
scan exempt --directory exempt # every framework; not --quiet, which would drop the skipped checks
scan bare --directory bare --framework kubernetes --quiet
scan default-alone --directory exempt/example-basic
checkov_time=$((SECONDS - started))

started=$SECONDS
status=0
npx ts-node --project test/tsconfig.json "$here/check.ts" "$out" "$root/README.md" || status=$?
check_time=$((SECONDS - started))
echo "test/linters/run.sh: $("$kube_score" version | head -n 1); Checkov $("$checkov" --version)"
echo "test/linters/run.sh: build ${build_time} s, synthesis ${synth_time} s, kube-score ${kube_score_time} s, Checkov ${checkov_time} s, check ${check_time} s"
exit $status

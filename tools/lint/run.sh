#!/usr/bin/env bash
# Lints what no other tool checks, and fails on any finding (npm run lint:repo; .ci/run):
#   - shellcheck over every shell script of the repository (tracked files ending in .sh, or whose first line
#     runs sh or bash), sourced helpers included;
#   - actionlint (with shellcheck on the run: steps) over every GitHub workflow in .github/workflows.
# Installs shellcheck with apt-get when it is missing, builds actionlint (tools/lint/build.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=test/support/tier.sh
. test/support/tier.sh
tier_init "tools/lint/run.sh (shellcheck, actionlint)"

if ! command -v shellcheck >/dev/null; then
  command -v apt-get >/dev/null || tier_missing "no shellcheck and no apt-get to install it"
  tier_say "installing shellcheck with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck; } >/dev/null ||
    tier_fail "apt-get could not install shellcheck"
fi
tier_require go "it builds actionlint"
bin=$(bash tools/lint/build.sh | tail -n 1) || tier_fail "building actionlint failed (output above)"

scripts=()
while IFS= read -r -d '' file; do
  [[ -f $file ]] || continue
  case $file in
    *.sh) scripts+=("$file") ;;
    *)
      first=
      IFS= read -r first <"$file" 2>/dev/null || true
      [[ $first =~ ^#!.*(/|[[:space:]])(ba)?sh([[:space:]]|$) ]] && scripts+=("$file")
      ;;
  esac
done < <(git ls-files -z --cached --others --exclude-standard)
[[ ${#scripts[@]} -gt 0 ]] || tier_fail "found no shell script: the search is broken"

status=0
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') over ${#scripts[@]} scripts"
shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}" || status=1
workflows=(.github/workflows/*.yml)
echo "actionlint $("$bin/actionlint" -version | head -n 1) over ${#workflows[@]} workflows"
"$bin/actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}" || status=1
if [[ $status -ne 0 ]]; then
  tier_fail "findings above"
fi
echo "no findings"

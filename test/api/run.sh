#!/usr/bin/env bash
# API compatibility tier: the public API (the jsii assembly, what TypeScript, Python and Go users see) against the
# baseline of the 1.0 release, test/api/baseline.jsii, with jsii-diff. A change that breaks a user fails the tier;
# a deliberate one (a new major release) is recorded by refreshing the baseline in the same commit:
#
#   bash test/api/run.sh             # compare (compiles with jsii first when src/ is newer than .jsii)
#   bash test/api/run.sh --update    # make the current API the baseline (for a release that breaks on purpose)
#
# Environment: CI=true   a missing prerequisite (jsii-diff not installed) fails the run instead of reporting NOT RUN
#                        (test/support/tier.sh); a failed compile or a breaking change always fails it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
me=test/api/run.sh
baseline=test/api/baseline.jsii

. test/support/tier.sh
tier_init "$me (API compatibility tier)"

update=false
case "${1:-}" in
  --update) update=true ;;
  '') ;;
  *) tier_fail "unknown argument '$1'; expected nothing or --update" ;;
esac

[[ -x node_modules/.bin/jsii-diff && -x node_modules/.bin/jsii ]] || tier_missing "node_modules/.bin/jsii-diff or jsii is missing: run 'npm ci' first"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=${JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION:-20}

if [[ ! -f .jsii || -n $(find src package.json -newer .jsii -print -quit) ]]; then
  echo "$me: jsii compile (src/ is newer than .jsii)"
  npx jsii --silence-warnings=reserved-word || tier_fail "jsii could not compile src/"
fi

if $update; then
  cp .jsii "$baseline"
  echo "$me: $baseline is now the current API; commit it with the change that breaks the API on purpose"
  exit 0
fi
[[ -f $baseline ]] || tier_fail "$baseline is missing (bash $me --update writes it)"

# jsii-diff loads an assembly from a package directory and resolves its dependencies (cdk8s, cdk8s-plus-27,
# constructs) from there: the baseline gets one under .cache/, inside the repository, beside node_modules.
work=$root/.cache/api-baseline
rm -rf "$work"
mkdir -p "$work"
cp "$baseline" "$work/.jsii"
node -e '
  const fs = require("fs");
  const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  fs.writeFileSync(process.argv[2], JSON.stringify({
    name: a.name, version: a.version, types: "lib/index.d.ts", jsii: { outdir: "dist", targets: {} }, peerDependencies: a.dependencies,
  }, null, 2));
' "$work/.jsii" "$work/package.json" || tier_fail "cannot read $baseline"

# --error-on=all: the repository's version is 0.0.0 between releases, which jsii-diff would otherwise treat as unstable
# and only warn about.
if npx jsii-diff --keys --error-on=all "$work" .; then
  echo "$me: passed: the API is compatible with $baseline"
else
  tier_fail "the API breaks users of $baseline (above); if that is deliberate, run 'bash $me --update' and say so in the release notes"
fi

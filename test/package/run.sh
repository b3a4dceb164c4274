#!/usr/bin/env bash
# Package tier: the library as an npm user gets it.
#   1. `npm pack` (its prepack step compiles lib/) into .cache/package/;
#   2. every link of the Markdown files in the tarball resolves (check-links.ts);
#   3. a fresh cdk8s app in an empty directory OUTSIDE the repository installs the tarball with its peer
#      dependencies from the npm registry, as README's "Use it from your cdk8s app" says, and `cdk8s synth`
#      runs examples/basic.ts there as its main.ts: the YAML must be byte-identical to what `npm run synth`
#      writes in the repository; the installed `cdk8s-go-remote` command reads it.
#
#   bash test/package/run.sh            # = npm run test:package
#
# Needs Node 20 and the npm registry. CI=true turns a missing tool into a failure (test/support/tier.sh);
# a failed step always fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=test/support/tier.sh
. test/support/tier.sh
tier_init "test/package/run.sh (package tier)"
tier_require npm "packs and installs the package"
tier_require node "runs cdk8s synth"
started=$SECONDS
step() { echo "--- package tier: $1 ($((SECONDS - started)) s)"; }

out=$root/.cache/package
rm -rf "$out"
mkdir -p "$out/unpacked"
app=$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-go-remote-app.XXXXXX")
trap 'rm -rf "$app"' EXIT

step "npm pack (prepack compiles lib/)"
tarball=$(npm pack --silent --pack-destination "$out" | tail -n 1) || tier_fail "npm pack failed"
tarball=$out/$tarball
[[ -f $tarball ]] || tier_fail "npm pack wrote no tarball ($tarball)"
tar -xzf "$tarball" -C "$out/unpacked"
pkg=$out/unpacked/package
for file in package.json README.md API.md LICENSE .jsii lib/index.js lib/index.d.ts lib/cli.js bin/cdk8s-go-remote; do
  [[ -f $pkg/$file ]] || tier_fail "the tarball has no $file"
done
echo "$(tar -tzf "$tarball" | wc -l) files, $(du -h "$tarball" | cut -f1)"

step "links of the packaged Markdown files"
npx ts-node --project test/tsconfig.json test/package/check-links.ts "$pkg" "$root" || tier_fail "links above do not resolve"

step "the default example, synthesized in the repository (npm run synth)"
npm run --silent synth >/dev/null || tier_fail "npm run synth failed"
expected=$root/dist/basic.k8s.yaml

step "a fresh cdk8s app in $app installs the tarball and its peer dependencies"
versions=$(node -p "const p = require('./package.json'); [p.devDependencies.cdk8s, p.devDependencies['cdk8s-plus-27'], p.devDependencies.constructs, p.devDependencies['cdk8s-cli'], p.devDependencies.typescript, p.devDependencies['ts-node']].join(' ')")
read -r cdk8s cdk8s_plus constructs cli typescript ts_node <<<"$versions"
cp examples/basic.ts "$app/main.ts"
cat >"$app/cdk8s.yaml" <<'YAML'
language: typescript
app: npx ts-node main.ts
YAML
cat >"$app/tsconfig.json" <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "commonjs", "strict": true, "esModuleInterop": true, "skipLibCheck": true, "types": ["node"] } }
JSON
(
  cd "$app"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --silent "$tarball" "cdk8s@$cdk8s" "cdk8s-plus-27@$cdk8s_plus" "constructs@$constructs" >/dev/null
  npm install --no-audit --no-fund --silent --save-dev "cdk8s-cli@$cli" "typescript@$typescript" "ts-node@$ts_node" "@types/node@20" >/dev/null
) || tier_fail "npm install in the fresh app failed"

step "cdk8s synth in the fresh app"
(cd "$app" && npx cdk8s synth --no-check-upgrade) || tier_fail "cdk8s synth failed in the fresh app"
cmp "$app/dist/basic.k8s.yaml" "$expected" || tier_fail "the fresh app's YAML differs from the repository's (diff $app/dist/basic.k8s.yaml $expected)"
echo "byte-identical to dist/basic.k8s.yaml ($(grep -c '^kind:' "$expected") objects)"

step "the installed cdk8s-go-remote command reads the app's YAML"
ports=$(cd "$app" && npx --no-install cdk8s-go-remote ports dist) || tier_fail "cdk8s-go-remote ports failed"
grep -q 'ssh' <<<"$ports" || tier_fail "cdk8s-go-remote ports printed no ssh port: $ports"
printf '%s\n' "$ports"
step "passed"

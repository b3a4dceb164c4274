// Checks that the objects in the cluster hold every field of the manifests with the same value: reads the
// manifests (YAML files, any number of documents) and the live objects (`kubectl get -f <files> -o json` on
// stdin), pairs them by kind, namespace and name, and prints every field that is missing or different. What the
// API server or Flux add (defaults, status, metadata, Flux's own kustomize.toolkit.fluxcd.io/* labels) is allowed;
// a manifest field that is not there as written is not, but for the API server's two normalizations: a zero
// value (false, 0, "") that it omits, and a quantity in its canonical form (a ResourceQuota's `pods: 2` comes
// back as "2", "1000m" as "1"). Exits 1 on any difference.
//
//   kubectl get -f a.yaml -f b.yaml -o json | node test/cluster/flux/contains.js a.yaml b.yaml
'use strict';
const fs = require('fs');
const YAML = require('yaml');

const files = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const live = input.kind === 'List' || Array.isArray(input.items) ? input.items : [input];
const key = o => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const byKey = new Map(live.map(o => [key(o), o]));

// A Kubernetes quantity's value (number, or string with a decimal or binary suffix), or undefined.
const SUFFIX = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
function quantity(v) {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' && /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(v);
  return m ? Number(m[1]) * SUFFIX[m[2] ?? ''] : undefined;
}
const sameQuantity = (a, b) => typeof a !== typeof b || typeof a === 'string'
  ? quantity(a) !== undefined && quantity(a) === quantity(b) : false;

const problems = [];
function contains(want, got, path) {
  if (got === undefined && (want === false || want === 0 || want === '')) return; // omitempty
  if (want !== got && sameQuantity(want, got)) return;
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      problems.push(`${path}: ${JSON.stringify(want)} in the manifest, ${JSON.stringify(got)} in the cluster`);
      return;
    }
    want.forEach((w, i) => contains(w, got[i], `${path}[${i}]`));
  } else if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) {
      problems.push(`${path}: an object in the manifest, ${JSON.stringify(got)} in the cluster`);
      return;
    }
    for (const [k, w] of Object.entries(want)) contains(w, got[k], `${path}.${k}`);
  } else if (want !== got) {
    problems.push(`${path}: ${JSON.stringify(want)} in the manifest, ${JSON.stringify(got)} in the cluster`);
  }
}

let count = 0;
for (const file of files) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const want = doc.toJS();
    if (!want) continue;
    count++;
    const got = byKey.get(key(want));
    if (!got) {
      problems.push(`${key(want)} (${file}): not in the cluster`);
      continue;
    }
    contains(want, got, key(want));
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`${count} objects hold every field of their manifests`);

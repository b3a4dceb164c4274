// Prints, one per line, the manifest files of a synthesized team folder (file per resource, as the fleet examples
// write it) that belong to one environment, that is the files a synthesis without that developer would not
// write: every object labelled app.kubernetes.io/instance=<environment>, and, when the environment's Deployment
// has a namespace of its own (no other environment's Deployment in it), that Namespace and every other object in
// it (quota, limits, network policies). Exits 1 when the environment has no Deployment in the folder.
//
//   node test/cluster/flux/env-files.js <team folder> <environment>
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const [dir, env] = process.argv.slice(2);
if (!dir || !env) {
  console.error('usage: env-files.js <team folder> <environment>');
  process.exit(2);
}
const INSTANCE = 'app.kubernetes.io/instance';

const files = fs.readdirSync(dir).filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const objects = []; // { file, obj }
for (const file of files) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
    const obj = doc.toJS();
    if (obj) objects.push({ file, obj });
  }
}
const labelled = o => (o.metadata?.labels ?? {})[INSTANCE];
const deployments = objects.filter(({ obj }) => obj.kind === 'Deployment');
const own = deployments.find(({ obj }) => labelled(obj) === env);
if (!own) {
  console.error(`env-files.js: no Deployment labelled ${INSTANCE}=${env} in ${dir}`);
  process.exit(1);
}
const ns = own.obj.metadata.namespace;
const nsIsOwn = ns && deployments.every(({ obj }) => obj.metadata.namespace !== ns || labelled(obj) === env);
const belongs = ({ obj }) => labelled(obj) === env ||
  (nsIsOwn && (obj.metadata?.namespace === ns || (obj.kind === 'Namespace' && obj.metadata?.name === ns)));

const result = new Set();
for (const file of files) {
  const docs = objects.filter(o => o.file === file);
  const mine = docs.filter(belongs);
  if (mine.length > 0 && mine.length !== docs.length) {
    console.error(`env-files.js: ${file} holds objects of ${env} and others; cannot remove one without the other`);
    process.exit(1);
  }
  if (mine.length > 0) result.add(file);
}
for (const file of result) console.log(file);

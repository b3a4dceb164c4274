// The cluster tier's own app (test/cluster/run.sh): one environment with the library's defaults, no git,
// and the public key of a key pair generated for each run (SMOKE_PUBLIC_KEY_FILE). It imports the package
// by its name, as a user's app and the examples do; test/tsconfig.json maps the name to src/.
//
//   SMOKE_PUBLIC_KEY_FILE=<key>.pub CDK8S_OUTDIR=<dir> npx ts-node --project test/tsconfig.json test/cluster/apps/smoke.ts
import * as fs from 'fs';
import { App, Chart } from 'cdk8s';
import { GoRemoteEnvironment } from 'cdk8s-go-remote';

/** Namespace and name of the environment; test/cluster/smoke_test.go looks for them. */
export const NAMESPACE = 'smoke';
export const NAME = 'smoke';

const keyFile = process.env.SMOKE_PUBLIC_KEY_FILE;
if (!keyFile) {
  throw new Error('SMOKE_PUBLIC_KEY_FILE: expected the public key file of the key that logs in');
}
const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist/cluster-smoke' });
const chart = new Chart(app, 'smoke', { namespace: NAMESPACE });
new GoRemoteEnvironment(chart, 'dev', {
  name: NAME,
  authorizedKeys: [fs.readFileSync(keyFile, 'utf8').trim()],
});
app.synth();

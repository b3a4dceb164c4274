// Synthesizes, in one process, everything the cluster tier commits to its GitOps repository under dist/:
//   fleet-flux/        examples/fleet-flux.ts's own layout (its synthesize(): teams/platform/ and flux-system/)
//   examples/<name>/   every example's chart, as examples/synth-all.ts writes it
//   tier/team/         the tier's team (team.ts), one file per resource with its kustomization.yaml
//   tier/access/       access.ts;  tier/node/  node.ts
// The tier's apps authorize the public key in TIER_PUBLIC_KEY_FILE (a key pair made for the run). Nothing is
// edited after synthesis: these are the bytes cdk8s writes.
//
//   TIER_PUBLIC_KEY_FILE=<key>.pub npx ts-node --project test/tsconfig.json test/cluster/apps/synth.ts <out>
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { AccessChart } from './access';
import { NodeChart } from './node';
import { TeamChart } from './team';
import { EXAMPLES } from '../../../examples';
import { synthesize as synthesizeFleetFlux } from '../../../examples/fleet-flux';
import { GitOps } from 'cdk8s-go-remote';

const out = process.argv[2];
const keyFile = process.env.TIER_PUBLIC_KEY_FILE;
if (!out || !keyFile) {
  throw new Error('usage: TIER_PUBLIC_KEY_FILE=<key>.pub synth.ts <out directory>');
}
const publicKey = fs.readFileSync(keyFile, 'utf8').trim();

synthesizeFleetFlux(path.join(out, 'fleet-flux'));

for (const [name, make] of Object.entries(EXAMPLES)) {
  const app = new App({ outdir: path.join(out, 'examples', name) });
  make(app, name);
  app.synth();
}

const team = new App({ outdir: path.join(out, 'tier'), yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
new TeamChart(team, 'team', publicKey);
team.synth();
GitOps.writeKustomization(path.join(out, 'tier', 'team'));

const charts: { [name: string]: (app: App) => Chart } = {
  access: app => new AccessChart(app, 'access', publicKey),
  node: app => new NodeChart(app, 'node', publicKey),
};
for (const [name, make] of Object.entries(charts)) {
  const app = new App({ outdir: path.join(out, 'tier', name) });
  make(app);
  app.synth();
}

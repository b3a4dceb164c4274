// Synthesizes every example into dist/examples/<name>/ (the API-server tier and linters read them there).
import { App } from 'cdk8s';
import { EXAMPLES } from '.';

const root = process.env.CDK8S_OUTDIR ?? 'dist/examples';
for (const [name, make] of Object.entries(EXAMPLES)) {
  const app = new App({ outdir: `${root}/${name}` });
  make(app, name);
  app.synth();
}

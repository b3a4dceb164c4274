// The smallest environment: one key, the project's repository, Kubernetes defaults.
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { GoRemoteEnvironment } from 'cdk8s-go-remote';

export class BasicChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'dev' });
    new GoRemoteEnvironment(this, 'alice', {
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop'],
      git: { url: 'https://github.com/acme/widget.git', ref: 'main' },
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  new BasicChart(app, 'basic');
  app.synth();
}

// The smallest environment: one key, the project's repository, Kubernetes defaults.
import { App, Chart } from 'cdk8s';
import { GoRemoteEnvironment } from '../src';

export function synthBasic(app: App): Chart {
  const chart = new Chart(app, 'basic', { namespace: 'dev' });
  new GoRemoteEnvironment(chart, 'alice', {
    authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm2Bo7eZ/2jg2TR3Bk0mMpzoRAF1m4t7bO+IBb5ILkM alice@laptop'],
    git: { url: 'https://github.com/acme/widget.git', ref: 'main' },
  });
  return chart;
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  synthBasic(app);
  app.synth();
}

// An admission webhook under the debugger: delve headless on 2345, the webhook server on 9443, both run by
// supervisord beside sshd and published by the Service.
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AutoRestart, GoRemoteEnvironment, ServiceType } from '../src';

export class DelveWebhookChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'webhooks' });
    new GoRemoteEnvironment(this, 'dev', {
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop'],
      git: { url: 'https://github.com/acme/admission-webhook.git', ref: 'main' },
      serviceType: ServiceType.LOAD_BALANCER,
      sourceRanges: ['203.0.113.0/24'],
      programs: [
        {
          name: 'delve',
          command: 'dlv debug ./cmd/webhook --headless --listen=:2345 --api-version=2 --accept-multiclient --continue -- --port=9443',
          port: 2345,
          autorestart: AutoRestart.ALWAYS,
          environment: { CGO_ENABLED: '0' },
        },
        // The webhook itself listens on 9443 inside the debugged process; declaring the port publishes it.
        { name: 'webhook', command: 'sleep infinity', port: 9443, autostart: false },
      ],
      env: { GOFLAGS: '-mod=mod' },
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  new DelveWebhookChart(app, 'delve-webhook');
  app.synth();
}

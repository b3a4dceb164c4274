// An admission webhook under the debugger: delve runs the webhook server headless on 127.0.0.1:2345 (reached
// through the SSH tunnel; the declared port, kept off the Service, is what `cdk8s-go-remote launch-json` attaches
// to), the server listens on 9443 with the certificate cert-manager issues, and a
// ValidatingWebhookConfiguration makes the API server call it through the ClusterIP Service <name>-webhook:443
// for pods created or updated in namespaces labelled webhook-dev=enabled. See docs/guides/webhook-development.md.
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AdmissionOperation, AdmissionWebhookType, AutoRestart, CertManagerIssuerKind, GoRemoteEnvironment, ServiceExposure, WebhookCertificate,
  WebhookFailurePolicy,
} from 'cdk8s-go-remote';

export class DelveWebhookChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'webhooks' });
    new GoRemoteEnvironment(this, 'dev', {
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop'],
      git: { url: 'https://github.com/acme/admission-webhook.git', ref: 'main' },
      exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }),
      programs: [
        {
          name: 'delve',
          command: `dlv debug ./cmd/webhook --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient --continue -- --port=9443 --cert-dir=${GoRemoteEnvironment.WEBHOOK_CERT_DIR}`,
          port: 2345,
          expose: false,
          autorestart: AutoRestart.ALWAYS,
          environment: { CGO_ENABLED: '0' },
        },
        // The webhook listens on 9443 inside the debugged process. Declaring the port lets the webhook Service
        // send 443 to it; expose: false keeps it off the load balancer (the API server calls it in the cluster).
        { name: 'webhook', command: 'sleep infinity', port: 9443, expose: false, autostart: false },
      ],
      env: { GOFLAGS: '-mod=mod' },
      webhook: {
        program: 'webhook',
        // A ClusterIssuer the cluster already has (a self-signed one is enough: cert-manager's CA injector puts
        // its CA into the webhook configuration).
        certificate: WebhookCertificate.certManager('selfsigned', CertManagerIssuerKind.CLUSTER_ISSUER),
        admission: {
          type: AdmissionWebhookType.VALIDATING,
          path: '/validate-v1-pod',
          rules: [{ operations: [AdmissionOperation.CREATE, AdmissionOperation.UPDATE], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          // Ignore (the default, spelled out): while delve holds the process at a breakpoint, or the pod is
          // down, the cluster goes on admitting pods instead of refusing them.
          failurePolicy: WebhookFailurePolicy.IGNORE,
          // Only namespaces that opted in; the environment's own namespace is always left out.
          namespaceSelector: { matchLabels: { 'webhook-dev': 'enabled' } },
          timeoutSeconds: 30,
        },
      },
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  new DelveWebhookChart(app, 'delve-webhook');
  app.synth();
}

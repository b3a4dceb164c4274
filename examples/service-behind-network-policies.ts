// Developing the checkout service where NetworkPolicies guard everything: the development pod carries the
// labels the payments database's and the internet egress policies admit checkout by, so it reaches what the
// real checkout reaches; its own NetworkPolicy admits SSH only from the office and the API port only from the
// frontend and Prometheus. The real checkout's Deployment and Service select app=checkout, which is not
// copied, so they never see the development pod. See docs/guides/network-policies.md.
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { GoRemoteEnvironment, NetworkPeer, ServiceExposure } from 'cdk8s-go-remote';

export class ServiceBehindNetworkPoliciesChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'shop' });
    new GoRemoteEnvironment(this, 'dev', {
      name: 'checkout-dev',
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop'],
      git: { url: 'https://github.com/acme/checkout.git', ref: 'main' },
      // The office: the load balancer's source ranges, and the only addresses the policy admits to SSH.
      exposure: ServiceExposure.loadBalancer({ sourceRanges: ['198.51.100.0/24'] }),
      programs: [
        // delve on the loopback interface: VS Code reaches it through the SSH tunnel, no policy needed.
        // Its declared port stays off the Service; `cdk8s-go-remote launch-json` attaches to it.
        { name: 'delve', command: 'dlv debug ./cmd/checkout --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient -- --listen=:8080', port: 2345, expose: false },
        { name: 'api', command: 'sleep infinity', port: 8080, expose: false, autostart: false },
      ],
      impersonation: {
        // What the existing policies select checkout by (kubectl get networkpolicy -A -o yaml | grep -A3 podSelector).
        podLabels: { 'network.acme.io/payments-client': 'true', 'network.acme.io/egress-internet': 'true' },
        // The real checkout's Deployment and Service selectors: the development pod must match neither.
        workloadSelectors: [{ app: 'checkout' }],
        // The pod keeps the environment's own ServiceAccount (no permissions); apiAccess:
        // ApiAccess.impersonatedServiceAccount('checkout') would run it as the workload's, if its RBAC is what you debug.
      },
      networkPolicy: {
        programs: [{
          program: 'api',
          from: [NetworkPeer.pods({ app: 'frontend' }), NetworkPeer.namespace('monitoring', { 'app.kubernetes.io/name': 'prometheus' })],
        }],
      },
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  new ServiceBehindNetworkPoliciesChart(app, 'service-behind-network-policies');
  app.synth();
}

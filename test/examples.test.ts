import { App, Testing } from 'cdk8s';
import { EXAMPLES } from '../examples';
import { one, podSpec } from './util';

describe('examples', () => {
  test.each(Object.keys(EXAMPLES))('%s synthesizes, and twice gives byte-identical YAML', (name) => {
    const yaml = () => {
      const app = new App({ outdir: '/nonexistent' });
      EXAMPLES[name](app, name);
      return app.synthYaml();
    };
    const first = yaml();
    expect(first).toContain('kind: Deployment');
    expect(yaml()).toBe(first);
  });

  test('pod-network-operator: OpenShift, pinned to labelled nodes, /proc and the CRI-O socket, its own SCC', () => {
    const manifests = Testing.synth(EXAMPLES['pod-network-operator'](Testing.app(), 'pno'));
    const pod = podSpec(manifests);
    expect(pod.nodeSelector).toEqual({ 'go-remote.cdk8s.io/dev-node': 'true' });
    expect(pod.volumes).toEqual(expect.arrayContaining([
      { name: 'node-0', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'node-1', hostPath: { path: '/var/run/crio/crio.sock', type: 'Socket' } },
    ]));
    const scc = one(manifests, 'SecurityContextConstraints');
    expect(one(manifests, 'Deployment').spec.template.metadata.annotations['openshift.io/required-scc']).toBe(scc.metadata.name);
    expect(one(manifests, 'Deployment').metadata.namespace).toBe('pod-network-operator');
  });

  test('delve-webhook: delve (loopback only) and the webhook are supervisord programs; only SSH is on the load balancer, the webhook on its ClusterIP Service', () => {
    const manifests = Testing.synth(EXAMPLES['delve-webhook'](Testing.app(), 'dw'));
    const services = manifests.filter(m => m.kind === 'Service');
    expect(services.map(s => [s.spec.type, s.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])])).toEqual([
      ['LoadBalancer', [['ssh', 2222, 2222]]],
      ['ClusterIP', [['https', 443, 9443]]],
    ]);
    expect(one(manifests, 'Certificate').spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'selfsigned' });
    expect(one(manifests, 'ValidatingWebhookConfiguration').webhooks[0].failurePolicy).toBe('Ignore');
    // delve's port is declared on the container (for launch-json) but published nowhere.
    expect(podSpec(manifests).containers[0].ports.map((p: any) => [p.name, p.containerPort])).toEqual([['ssh', 2222], ['delve', 2345], ['webhook', 9443]]);
    const conf = one(manifests, 'ConfigMap').data['supervisord.conf'];
    expect(conf).toContain('[program:delve]');
    expect(conf).toContain('[program:webhook]');
  });
});

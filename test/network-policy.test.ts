import { Chart, Testing } from 'cdk8s';
import {
  ApiAccess, GoRemoteEnvironmentProps, GoRemoteFleet, NetworkPeer, NodeAccess, Platform, Program, ServiceExposure, WorkloadImpersonation,
} from '../src';
import { strictSchemas } from './support/schemas';
import { KEY, all, one, podSpec, synth } from './util';

const PROGRAMS: Program[] = [
  { name: 'api', command: 'x', port: 8080 },
  { name: 'metrics', command: 'x', port: 9090, expose: false },
  { name: 'worker', command: 'x' },
];
const SELECTOR = { 'app.kubernetes.io/name': 'go-remote', 'app.kubernetes.io/instance': 'alice' };
const LABELS = { ...SELECTOR, 'app.kubernetes.io/component': 'development-environment', 'app.kubernetes.io/managed-by': 'cdk8s-go-remote' };
const ssh = (from?: any[]) => ({ from, ports: [{ protocol: 'TCP', port: 2222 }] });
const sourceRanges = (...cidrs: string[]) => ServiceExposure.loadBalancer({ sourceRanges: cidrs });

function withPolicy(props: Partial<GoRemoteEnvironmentProps> = {}) {
  return synth({ name: 'alice', programs: PROGRAMS, ...props });
}
function policy(manifests: any[]) {
  return one(manifests, 'NetworkPolicy');
}
function mainService(manifests: any[]) {
  return all(manifests, 'Service').find(s => s.metadata.name === 'alice');
}

describe('the environment\'s NetworkPolicy', () => {
  test('none by default, and the Service keeps its default externalTrafficPolicy', () => {
    const { manifests, env } = withPolicy({ exposure: sourceRanges('203.0.113.0/24') });
    expect(all(manifests, 'NetworkPolicy')).toEqual([]);
    expect(mainService(manifests).spec.externalTrafficPolicy).toBeUndefined();
    expect(env.networkPolicy).toBeUndefined();
  });

  test('NetworkPolicy <name> selects the pod, admits SSH only from sourceRanges and no program port; the Service keeps client addresses', () => {
    const { manifests, env } = withPolicy({ exposure: sourceRanges('203.0.113.0/24', '2001:db8::/32'), networkPolicy: {} });
    expect(policy(manifests)).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'alice', namespace: 'dev', labels: LABELS },
      spec: {
        podSelector: { matchLabels: SELECTOR },
        policyTypes: ['Ingress'],
        ingress: [ssh([{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '2001:db8::/32' } }])],
      },
    });
    expect(mainService(manifests).spec.externalTrafficPolicy).toBe('Local');
    expect(env.networkPolicy?.name).toBe('alice');
  });

  test('sshFrom replaces sourceRanges in the policy (the load balancer keeps its own list)', () => {
    const { manifests } = withPolicy({ exposure: sourceRanges('203.0.113.0/24'), networkPolicy: { sshFrom: ['198.51.100.7/32'] } });
    expect(policy(manifests).spec.ingress[0]).toEqual(ssh([{ ipBlock: { cidr: '198.51.100.7/32' } }]));
    expect(mainService(manifests).spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
  });

  test('without any CIDR, SSH from anywhere (login still needs a key); a ClusterIP Service gets no externalTrafficPolicy', () => {
    const { manifests } = withPolicy({ exposure: ServiceExposure.clusterIp(), networkPolicy: {} });
    expect(policy(manifests).spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 2222 }] }]);
    expect(mainService(manifests).spec.externalTrafficPolicy).toBeUndefined();
  });

  test('a NodePort Service gets externalTrafficPolicy Local too', () => {
    expect(mainService(withPolicy({ exposure: ServiceExposure.nodePort(), networkPolicy: {} }).manifests).spec.externalTrafficPolicy).toBe('Local');
  });

  test('each program\'s port only from its peers, in the order of programs; a program with an empty list gets no rule', () => {
    const { manifests } = withPolicy({
      networkPolicy: {
        sshFrom: ['198.51.100.0/24'],
        programs: [
          { program: 'metrics', from: [NetworkPeer.namespace('monitoring', { 'app.kubernetes.io/name': 'prometheus' }), NetworkPeer.namespaces({ team: 'sre' })] },
          { program: 'api', from: [NetworkPeer.pods({ app: 'frontend' }), NetworkPeer.cidr('10.0.0.0/8', ['10.1.0.0/16']), NetworkPeer.namespace('qa')] },
        ],
      },
    });
    expect(policy(manifests).spec.ingress).toEqual([
      ssh([{ ipBlock: { cidr: '198.51.100.0/24' } }]),
      {
        from: [
          { podSelector: { matchLabels: { app: 'frontend' } } },
          { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'qa' } } },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
      {
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
          { namespaceSelector: { matchLabels: { team: 'sre' } } },
        ],
        ports: [{ protocol: 'TCP', port: 9090 }],
      },
    ]);
    const empty = withPolicy({ networkPolicy: { programs: [{ program: 'api', from: [] }] } });
    expect(policy(empty.manifests).spec.ingress).toHaveLength(1);
  });

  test('every object validates against the Kubernetes 1.27 schema', () => {
    const { manifests } = withPolicy({
      exposure: sourceRanges('203.0.113.0/24'),
      networkPolicy: { programs: [{ program: 'api', from: [NetworkPeer.pods({ app: 'frontend' }), NetworkPeer.cidr('10.0.0.0/8', ['10.1.0.0/16'])] }] },
      impersonation: { podLabels: { role: 'payments-client' }, workloadSelectors: [{ app: 'checkout' }] },
      apiAccess: ApiAccess.impersonatedServiceAccount('checkout'),
    });
    expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
  });

  test('a fleet developer gets the policy on top of the namespace\'s own', () => {
    const chart = new Chart(Testing.app(), 'fleet');
    new GoRemoteFleet(chart, 'team', {
      namespace: 'team',
      developers: [{ name: 'alice', authorizedKeys: [KEY], programs: PROGRAMS, networkPolicy: { sshFrom: ['203.0.113.0/24'] } }],
    });
    const names = all(Testing.synth(chart), 'NetworkPolicy').map(p => p.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['alice', 'team--alice--default-deny']));
  });
});

describe('network policy validation', () => {
  const rejects = (networkPolicy: any, message: RegExp) => expect(() => withPolicy({ networkPolicy })).toThrow(message);

  test('sshFrom must not be empty (an empty from admits everyone)', () => rejects({ sshFrom: [] }, /'networkPolicy.sshFrom' is \[\]; expected at least one CIDR/));
  test('sshFrom holds CIDRs', () => rejects({ sshFrom: ['office'] }, /'networkPolicy.sshFrom\[0\]' is "office"; expected an IPv4 or IPv6 CIDR/));
  test('program must be declared', () => rejects({ programs: [{ program: 'web', from: [] }] }, /'networkPolicy.programs\[0\].program' is "web"; expected the name of one of programs \(api, metrics, worker\)/));
  test('program must have a port', () => rejects({ programs: [{ program: 'worker', from: [] }] }, /'networkPolicy.programs\[0\].program' is "worker"; names a program without a port/));
  test('each program once', () => rejects({ programs: [{ program: 'api', from: [] }, { program: 'api', from: [] }] }, /'networkPolicy.programs\[1\].program' is "api"; expected each program once/));
  test('from must hold NetworkPeers', () => rejects({ programs: [{ program: 'api', from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }, /'networkPolicy.programs\[0\].from\[0\]' .*expected a NetworkPeer/));
  test('a peer CIDR is checked', () => rejects({ programs: [{ program: 'api', from: [NetworkPeer.cidr('10.0.0.0/33')] }] }, /'networkPolicy.programs\[0\].from\[0\].cidr' is "10.0.0.0\/33"/));
  test('a peer\'s except CIDRs are checked', () => rejects({ programs: [{ program: 'api', from: [NetworkPeer.cidr('10.0.0.0/8', ['x'])] }] }, /'networkPolicy.programs\[0\].from\[0\].except\[0\]' is "x"/));
  test('pods() needs a label (an empty selector is every pod)', () => rejects({ programs: [{ program: 'api', from: [NetworkPeer.pods({})] }] }, /'networkPolicy.programs\[0\].from\[0\].podLabels' is \{\}; expected at least one label/));
  test('namespaces() needs a label', () => rejects({ programs: [{ program: 'api', from: [NetworkPeer.namespaces({})] }] }, /'networkPolicy.programs\[0\].from\[0\].namespaceLabels' is \{\}; expected at least one label/));
  test('a namespace name is a DNS label', () => rejects({ programs: [{ program: 'api', from: [NetworkPeer.namespace('Monitoring')] }] }, /'networkPolicy.programs\[0\].from\[0\].namespace' is "Monitoring"; expected a DNS-1123 label/));
  test('label keys and values are checked', () => {
    rejects({ programs: [{ program: 'api', from: [NetworkPeer.pods({ 'bad key': 'x' })] }] }, /'networkPolicy.programs\[0\].from\[0\].podLabels' is "bad key"; expected a label key/);
    rejects({ programs: [{ program: 'api', from: [NetworkPeer.pods({ app: 'no spaces' })] }] }, /'networkPolicy.programs\[0\].from\[0\].podLabels.app' is "no spaces"; expected a label value/);
  });
});

describe('workload impersonation', () => {
  const IMPERSONATION: WorkloadImpersonation = {
    podLabels: { 'network.acme.io/payments-client': 'true', 'app.kubernetes.io/component': 'backend' },
    workloadSelectors: [{ app: 'checkout' }],
  };

  test('the copied labels are on the pod only; the Deployment selects by its own labels, its Services too', () => {
    const { manifests } = withPolicy({ impersonation: IMPERSONATION });
    const deployment = one(manifests, 'Deployment');
    expect(deployment.spec.template.metadata.labels).toEqual({
      ...SELECTOR,
      'app.kubernetes.io/managed-by': 'cdk8s-go-remote',
      // A label of the environment's own that is not a selector key may be replaced.
      'app.kubernetes.io/component': 'backend',
      'network.acme.io/payments-client': 'true',
    });
    expect(deployment.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(deployment.metadata.labels).toEqual(LABELS);
    expect(mainService(manifests).spec.selector).toEqual(SELECTOR);
    expect(podSpec(manifests).serviceAccountName).toBe('alice');
  });

  test('ApiAccess.impersonatedServiceAccount runs the pod as the workload\'s ServiceAccount; the environment\'s own still exists', () => {
    const { manifests } = withPolicy({ impersonation: IMPERSONATION, apiAccess: ApiAccess.impersonatedServiceAccount('checkout') });
    expect(podSpec(manifests).serviceAccountName).toBe('checkout');
    expect(one(manifests, 'ServiceAccount').metadata.name).toBe('alice');
  });

  const rejects = (impersonation: any, message: RegExp, props: Partial<GoRemoteEnvironmentProps> = {}) =>
    expect(() => withPolicy({ impersonation, ...props })).toThrow(message);

  test('podLabels must not be empty', () => rejects({ ...IMPERSONATION, podLabels: {} }, /'impersonation.podLabels' is \{\}; expected at least one label/));
  test('the environment\'s selector keys cannot be copied', () => rejects({ ...IMPERSONATION, podLabels: { 'app.kubernetes.io/name': 'checkout' } }, /'impersonation.podLabels' is "app.kubernetes.io\/name"; is the environment's own selector label/));
  test('podLabels are label syntax', () => rejects({ ...IMPERSONATION, podLabels: { role: 'a b' } }, /'impersonation.podLabels.role' is "a b"; expected a label value/));
  test('workloadSelectors are required', () => rejects({ podLabels: { role: 'x' } }, /'impersonation.workloadSelectors' is undefined; expected the selectors of the workload's Deployment and Services/));
  test('the pod must match none of the workload\'s selectors', () => rejects({ podLabels: { app: 'checkout', role: 'x' }, workloadSelectors: [{ role: 'y' }, { app: 'checkout' }] },
    /'impersonation.workloadSelectors\[1\]' is \{"app":"checkout"\}; is matched by the copied podLabels: the workload's Service would send its traffic to the development pod/));
  test('a workload selector must not be empty', () => rejects({ podLabels: { role: 'x' }, workloadSelectors: [{}] }, /'impersonation.workloadSelectors\[0\]' is \{\}; expected at least one label/));
  test('the workload\'s ServiceAccount name is a DNS subdomain', () => {
    expect(() => ApiAccess.impersonatedServiceAccount('Check Out')).toThrow(/'serviceAccountName' is "Check Out"; expected a DNS-1123 subdomain/);
  });
  test('untyped JavaScript: impersonation.serviceAccountName (0.x) is refused, naming what replaced it', () => rejects(
    { ...IMPERSONATION, serviceAccountName: 'checkout' },
    /'impersonation.serviceAccountName' is "checkout"; is not a prop since 1.0; use apiAccess: ApiAccess.impersonatedServiceAccount\(serviceAccountName\)/,
  ));
  const WORKLOAD = ApiAccess.impersonatedServiceAccount('checkout');
  test('no workload ServiceAccount with an OpenShift node access SCC of the environment\'s own', () => rejects(
    IMPERSONATION,
    /'apiAccess.serviceAccountName' is "checkout"; cannot be combined with node access on OpenShift/,
    { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged(), apiAccess: WORKLOAD },
  ));
  test('no workload ServiceAccount with a default SCC granted to the environment\'s ServiceAccount only (hostnetwork-v2)', () => rejects(
    IMPERSONATION,
    /'apiAccess.serviceAccountName' is "checkout"; cannot be combined with node access on OpenShift that needs an SCC granted to the environment's ServiceAccount \(its own, or a default one such as hostnetwork-v2\)/,
    { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.hostNetwork(), apiAccess: WORKLOAD },
  ));
  test('a workload ServiceAccount is accepted on OpenShift without node access (restricted-v2 is everyone\'s)', () => {
    expect(() => synth({ platform: Platform.OPENSHIFT, impersonation: IMPERSONATION, apiAccess: WORKLOAD })).not.toThrow();
  });
});

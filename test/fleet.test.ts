import { App, ApiObject, Chart, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import {
  Developer, GitOps, GoRemoteEnvironment, GoRemoteFleet, GoRemoteFleetProps, NamespaceMode, NodeAccess, Platform, ServiceExposure, ValidationErrors,
} from '../src';
import { ACCEPTED_INPUTS } from './scenarios';
import { quantityValue, scaleQuantity } from '../src/quantity';
import { strictSchemas } from './support/schemas';
import { KEY } from './util';

const WORKSPACE_PROTECTION_ANNOTATIONS = GitOps.PRUNE_PROTECTION_ANNOTATIONS;

const alice: Developer = { name: 'alice', authorizedKeys: [KEY] };
const bob: Developer = { name: 'bob', authorizedKeys: [KEY] };
const carol: Developer = { name: 'carol', authorizedKeys: [KEY] };

interface SynthesizedFleet {
  readonly fleet: GoRemoteFleet;
  readonly chart: Chart;
  readonly manifests: any[];
}

/** GIVEN fleet props, WHEN the fleet is synthesized in a chart (without a namespace unless given). */
function synthFleet(props: Partial<GoRemoteFleetProps> = {}, chartNamespace?: string): SynthesizedFleet {
  const app = Testing.app();
  const chart = new Chart(app, 'team', { namespace: chartNamespace });
  const fleet = new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', developers: [alice, bob], ...props });
  return { fleet, chart, manifests: Testing.synth(chart) };
}

/** The only object of a kind and name (and namespace, when given). */
function find(manifests: any[], kind: string, name: string, namespace?: string): any {
  const found = manifests.filter(m => m.kind === kind && m.metadata.name === name && (namespace === undefined || m.metadata.namespace === namespace));
  if (found.length !== 1) throw new Error(`expected exactly one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}`);
  return found[0];
}

function psa(ns: any): { [mode: string]: string } {
  const l = ns.metadata.labels;
  return { enforce: l['pod-security.kubernetes.io/enforce'], audit: l['pod-security.kubernetes.io/audit'], warn: l['pod-security.kubernetes.io/warn'] };
}

/** The problems of the validation error `f` throws. */
function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(ValidationErrors.isValidationError(e)).toBe(true);
    return ValidationErrors.problemsOf(e);
  }
  throw new Error('expected a validation error');
}

describe('GoRemoteFleet', () => {
  describe('what it creates (NamespaceMode.PER_DEVELOPER, the default)', () => {
    test('GIVEN two developers THEN per developer a namespace with quota, limits, two policies, and the environment, named as documented', () => {
      const { manifests, fleet } = synthFleet();
      expect(fleet.namespaceMode).toBe(NamespaceMode.PER_DEVELOPER);
      expect(manifests.map(m => `${m.kind} ${m.metadata.namespace ?? '-'}/${m.metadata.name}`)).toEqual([
        'Namespace -/team-a--alice',
        'ResourceQuota team-a--alice/team-a--alice-quota',
        'LimitRange team-a--alice/team-a--alice-limits',
        'NetworkPolicy team-a--alice/team-a--alice--default-deny',
        'NetworkPolicy team-a--alice/team-a--alice--allow-ssh-and-egress',
        'Namespace -/team-a--bob',
        'ResourceQuota team-a--bob/team-a--bob-quota',
        'LimitRange team-a--bob/team-a--bob-limits',
        'NetworkPolicy team-a--bob/team-a--bob--default-deny',
        'NetworkPolicy team-a--bob/team-a--bob--allow-ssh-and-egress',
        'ServiceAccount team-a--alice/alice',
        'Role team-a--alice/alice',
        'RoleBinding team-a--alice/alice',
        'ConfigMap team-a--alice/alice-config',
        'PersistentVolumeClaim team-a--alice/alice-workspace',
        'Deployment team-a--alice/alice',
        'Service team-a--alice/alice',
        'ServiceAccount team-a--bob/bob',
        'Role team-a--bob/bob',
        'RoleBinding team-a--bob/bob',
        'ConfigMap team-a--bob/bob-config',
        'PersistentVolumeClaim team-a--bob/bob-workspace',
        'Deployment team-a--bob/bob',
        'Service team-a--bob/bob',
      ]);
    });

    test('construct ids are pinned: Namespaces/<ns>/<role> and Environments/<developer>', () => {
      const { fleet } = synthFleet();
      expect(fleet.node.children.map(c => c.node.id)).toEqual(['Namespaces', 'Environments']);
      const ns = fleet.node.findChild('Namespaces').node.findChild('team-a--alice');
      expect(ns.node.children.map(c => c.node.id)).toEqual(['Namespace', 'ResourceQuota', 'LimitRange', 'DefaultDeny', 'AllowSshAndEgress']);
      expect(fleet.environments.map(e => e.node.path)).toEqual(['team/fleet/Environments/alice', 'team/fleet/Environments/bob']);
      expect(fleet.environments.map(e => [e.name, e.namespace])).toEqual([['alice', 'team-a--alice'], ['bob', 'team-a--bob']]);
      expect(fleet.namespaces.map(n => n.name)).toEqual(['team-a--alice', 'team-a--bob']);
    });

    test('every environment is in the one chart of the scope: no chart per environment', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'team');
      new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', developers: [alice, bob, carol] });
      expect(app.charts).toEqual([chart]);
      expect(chart.node.findAll().filter(c => c instanceof Chart)).toEqual([chart]);
      expect(chart.node.findAll().filter(c => c instanceof ApiObject).every(o => Chart.of(o) === chart)).toBe(true);
    });

    test('a Namespace is labelled restricted for Pod Security Admission without node access, and kept when it leaves Git', () => {
      const { manifests } = synthFleet();
      const ns = find(manifests, 'Namespace', 'team-a--alice');
      expect(psa(ns)).toEqual({ enforce: 'restricted', audit: 'restricted', warn: 'restricted' });
      expect(ns.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'cdk8s-go-remote', 'go-remote.cdk8s.io/fleet': 'team-a' });
      expect(ns.metadata.annotations).toEqual(WORKSPACE_PROTECTION_ANNOTATIONS);
      expect(ns.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
      expect(ns.metadata.namespace).toBeUndefined();
      expect(ns.metadata.labels['security.openshift.io/scc.podSecurityLabelSync']).toBeUndefined(); // OpenShift only
      // The Pod Security labels are the Namespace's alone.
      expect(find(manifests, 'ResourceQuota', 'team-a--alice-quota').metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-go-remote', 'go-remote.cdk8s.io/fleet': 'team-a' });
    });

    test('GIVEN one developer with node access THEN only that developer\'s namespace is privileged', () => {
      const { manifests } = synthFleet({ developers: [alice, { ...bob, nodeAccess: NodeAccess.none().withCapabilities('SYS_PTRACE') }] });
      expect(psa(find(manifests, 'Namespace', 'team-a--alice')).enforce).toBe('restricted');
      expect(psa(find(manifests, 'Namespace', 'team-a--bob'))).toEqual({ enforce: 'privileged', audit: 'privileged', warn: 'privileged' });
    });

    test('GIVEN a chart with a namespace THEN the cluster-scoped Namespaces still carry none, and environments use their own', () => {
      const { manifests } = synthFleet({}, 'elsewhere');
      expect(manifests.filter(m => m.kind === 'Namespace').map(m => m.metadata.namespace)).toEqual([undefined, undefined]);
      expect(manifests.filter(m => m.kind !== 'Namespace').every(m => m.metadata.namespace.startsWith('team-a-'))).toBe(true);
    });

    test('default ResourceQuota: requests 1 CPU / 2Gi, limits 4 CPU / 8Gi, 20Gi storage, 2 PVCs and 2 pods per environment', () => {
      const { manifests } = synthFleet();
      expect(find(manifests, 'ResourceQuota', 'team-a--alice-quota').spec).toEqual({
        hard: {
          'requests.cpu': '1',
          'limits.cpu': '4',
          'requests.memory': '2Gi',
          'limits.memory': '8Gi',
          'requests.storage': '20Gi',
          'persistentvolumeclaims': 2,
          'pods': 2,
        },
      });
    });

    test('default LimitRange: containers without resources get requests 100m / 128Mi and limits 1 / 512Mi', () => {
      const { manifests } = synthFleet();
      expect(find(manifests, 'LimitRange', 'team-a--alice-limits').spec).toEqual({
        limits: [{ type: 'Container', default: { cpu: '1', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }],
      });
    });

    test('GIVEN quota and containerDefaults THEN they replace the defaults value by value', () => {
      const { manifests } = synthFleet({
        quota: { cpuLimits: Cpu.units(6), pods: 3, storage: Size.gibibytes(50) },
        containerDefaults: { memoryLimit: Size.gibibytes(1) },
      });
      expect(find(manifests, 'ResourceQuota', 'team-a--bob-quota').spec.hard).toMatchObject({ 'limits.cpu': '6', 'pods': 3, 'requests.storage': '50Gi', 'requests.cpu': '1' });
      expect(find(manifests, 'LimitRange', 'team-a--bob-limits').spec.limits[0].default).toEqual({ cpu: '1', memory: '1Gi' });
    });

    test('network policies by default: deny all; for the environments, SSH (TCP 2222) from anywhere and all egress', () => {
      const { manifests } = synthFleet();
      expect(find(manifests, 'NetworkPolicy', 'team-a--alice--default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(find(manifests, 'NetworkPolicy', 'team-a--alice--allow-ssh-and-egress').spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'go-remote' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: 2222 }] }],
        egress: [{}],
      });
    });

    test('the policies select the environments\' pods', () => {
      const { manifests } = synthFleet();
      const pod = find(manifests, 'Deployment', 'alice').spec.template.metadata.labels;
      expect(pod).toMatchObject(find(manifests, 'NetworkPolicy', 'team-a--alice--allow-ssh-and-egress').spec.podSelector.matchLabels);
    });

    test('GIVEN sshSourceCidrs THEN SSH is allowed from them only, and load balancers admit only them', () => {
      const { manifests } = synthFleet({
        sshSourceCidrs: ['203.0.113.0/24', '2001:db8::/32'],
        developers: [alice, { ...bob, exposure: ServiceExposure.clusterIp() }, { ...carol, exposure: ServiceExposure.loadBalancer({ sourceRanges: ['198.51.100.0/24'] }) }],
      });
      expect(find(manifests, 'NetworkPolicy', 'team-a--alice--allow-ssh-and-egress').spec.ingress).toEqual([{
        from: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '2001:db8::/32' } }],
        ports: [{ protocol: 'TCP', port: 2222 }],
      }]);
      expect(find(manifests, 'Service', 'alice').spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24', '2001:db8::/32']);
      expect(find(manifests, 'Service', 'bob').spec.loadBalancerSourceRanges).toBeUndefined();
      expect(find(manifests, 'Service', 'carol').spec.loadBalancerSourceRanges).toEqual(['198.51.100.0/24']);
    });

    test('GIVEN egressCidrs THEN egress is DNS (53 and 5353, UDP and TCP) plus those CIDRs', () => {
      const { manifests } = synthFleet({ egressCidrs: ['140.82.112.0/20'] });
      expect(find(manifests, 'NetworkPolicy', 'team-a--alice--allow-ssh-and-egress').spec.egress).toEqual([
        {
          ports: [
            { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 },
            { protocol: 'UDP', port: 5353 }, { protocol: 'TCP', port: 5353 },
          ],
        },
        { to: [{ ipBlock: { cidr: '140.82.112.0/20' } }] },
      ]);
    });

    test('GIVEN egressCidrs: [] THEN egress is DNS only', () => {
      const { manifests } = synthFleet({ egressCidrs: [] });
      const egress = find(manifests, 'NetworkPolicy', 'team-a--alice--allow-ssh-and-egress').spec.egress;
      expect(egress).toHaveLength(1);
      expect(egress[0].to).toBeUndefined();
    });

    test('GIVEN no developers THEN nothing is created', () => {
      expect(synthFleet({ developers: [] }).manifests).toEqual([]);
    });
  });

  describe('NamespaceMode.SHARED', () => {
    test('one namespace for everyone, its quota the per-environment quota times the number of environments', () => {
      const { manifests, fleet } = synthFleet({ namespaceMode: NamespaceMode.SHARED, developers: [alice, bob, carol] });
      expect(manifests.filter(m => m.kind === 'Namespace').map(m => m.metadata.name)).toEqual(['team-a']);
      expect(fleet.environments.map(e => e.namespace)).toEqual(['team-a', 'team-a', 'team-a']);
      expect(new Set(manifests.filter(m => m.kind !== 'Namespace').map(m => m.metadata.namespace))).toEqual(new Set(['team-a']));
      expect(find(manifests, 'ResourceQuota', 'team-a-quota').spec.hard).toEqual({
        'requests.cpu': '3',
        'limits.cpu': '12',
        'requests.memory': '6Gi',
        'limits.memory': '24Gi',
        'requests.storage': '60Gi',
        'persistentvolumeclaims': 6,
        'pods': 6,
      });
      expect(manifests.filter(m => m.kind === 'NetworkPolicy').map(m => m.metadata.name)).toEqual(['team-a--default-deny', 'team-a--allow-ssh-and-egress']);
    });

    test('the namespace is privileged as soon as one environment in it has node access', () => {
      const restricted = synthFleet({ namespaceMode: NamespaceMode.SHARED }).manifests;
      expect(psa(find(restricted, 'Namespace', 'team-a')).enforce).toBe('restricted');
      const withNodeAccess = [alice, { ...bob, nodeAccess: NodeAccess.privileged() }];
      const privileged = synthFleet({ namespaceMode: NamespaceMode.SHARED, developers: withNodeAccess }).manifests;
      expect(psa(find(privileged, 'Namespace', 'team-a'))).toEqual({ enforce: 'privileged', audit: 'privileged', warn: 'privileged' });
    });

    test('GIVEN no developers THEN the namespace still exists, with a zero quota', () => {
      const { manifests } = synthFleet({ namespaceMode: NamespaceMode.SHARED, developers: [] });
      expect(find(manifests, 'ResourceQuota', 'team-a-quota').spec.hard).toMatchObject({ 'requests.cpu': '0', 'limits.memory': '0Gi', 'pods': 0 });
    });
  });

  describe('shared defaults and per-developer overrides', () => {
    test('GIVEN defaults THEN every environment gets them; a developer\'s value replaces the default as a whole', () => {
      const { manifests } = synthFleet({
        defaults: {
          image: 'registry.example.com/go-remote:1.2',
          git: { url: 'https://github.com/acme/widget.git', ref: 'main' },
          programs: [{ name: 'delve', command: 'dlv debug --headless --listen=:2345', port: 2345 }],
          env: { GOFLAGS: '-mod=mod' },
        },
        developers: [alice, { ...bob, programs: [{ name: 'web', command: 'go run .', port: 8080 }], image: 'registry.example.com/go-remote:2.0' }],
      });
      const container = (name: string) => find(manifests, 'Deployment', name).spec.template.spec.containers[0];
      expect(container('alice').image).toBe('registry.example.com/go-remote:1.2');
      expect(container('bob').image).toBe('registry.example.com/go-remote:2.0');
      // Program ports are reached through the SSH tunnel: on the container, not on the Service.
      expect(container('alice').ports.map((p: any) => p.name)).toEqual(['ssh', 'delve']);
      expect(container('bob').ports.map((p: any) => p.name)).toEqual(['ssh', 'web']);
      expect(find(manifests, 'Service', 'alice').spec.ports.map((p: any) => p.name)).toEqual(['ssh']);
      expect(container('bob').env).toEqual(expect.arrayContaining([{ name: 'GOFLAGS', value: '-mod=mod' }, { name: 'GO_REMOTE_CHECKOUT', value: '/workspace/go/src/github.com/acme/widget' }]));
    });

    test('GIVEN a developer override set to undefined THEN the default still applies', () => {
      const { manifests } = synthFleet({ defaults: { image: 'registry.example.com/go-remote:1.2' }, developers: [{ ...alice, image: undefined }] });
      expect(find(manifests, 'Deployment', 'alice').spec.template.spec.containers[0].image).toBe('registry.example.com/go-remote:1.2');
    });

    test('GIVEN every environment prop as a developer\'s override THEN the environment is exactly what GoRemoteEnvironment builds from them', () => {
      // (The build also fails when GoRemoteEnvironmentProps gains a prop that EnvironmentOptions lacks.)
      const { name, ...accepted } = ACCEPTED_INPUTS['every-prop'];
      const every = { ...accepted, nodeName: 'worker-1.example.com', nodeAccess: NodeAccess.none().withCapabilities('SYS_PTRACE') };
      const kinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'PersistentVolumeClaim', 'Deployment', 'Service']);
      const fromFleet = synthFleet({
        namespaceMode: NamespaceMode.SHARED,
        quota: { storage: Size.gibibytes(50) },
        developers: [{ name: name!, authorizedKeys: [KEY], ...every }],
      }).manifests.filter(m => kinds.has(m.kind));
      const app = Testing.app();
      const chart = new Chart(app, 'standalone');
      new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY], ...every, name, namespace: 'team-a' });
      expect(Object.keys(every)).toHaveLength(16); // every EnvironmentOptions prop the scenario sets (exposure replaced serviceType and sourceRanges)
      expect(fromFleet).toEqual(Testing.synth(chart));
    });

    test('GIVEN Platform.OPENSHIFT THEN every environment is built for it, and node access gets its own SCC', () => {
      const { manifests, fleet } = synthFleet({ platform: Platform.OPENSHIFT, developers: [alice, { ...bob, nodeAccess: NodeAccess.privileged() }] });
      expect(fleet.platform).toBe(Platform.OPENSHIFT);
      expect(find(manifests, 'Deployment', 'alice').spec.template.metadata.annotations['openshift.io/required-scc']).toBe('restricted-v2');
      expect(find(manifests, 'Namespace', 'team-a--bob').metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'privileged',
        'security.openshift.io/scc.podSecurityLabelSync': 'false',
      });
      const scc = manifests.find(m => m.kind === 'SecurityContextConstraints');
      expect(scc.metadata.name).toBe('go-remote.team-a--bob.bob');
      expect(find(manifests, 'Deployment', 'bob').spec.template.metadata.annotations['openshift.io/required-scc']).toBe(scc.metadata.name);
    });

    test('default platform is Kubernetes', () => {
      expect(synthFleet().fleet.platform).toBe(Platform.KUBERNETES);
    });
  });

  describe('every object validates against the Kubernetes 1.27 OpenAPI schema (and the SCC CRD), unknown fields rejected', () => {
    const cases: { [name: string]: Partial<GoRemoteFleetProps> } = {
      'per-developer defaults': {},
      'shared, restricted egress, ssh sources': { namespaceMode: NamespaceMode.SHARED, egressCidrs: ['140.82.112.0/20'], sshSourceCidrs: ['203.0.113.0/24'] },
      'openshift with node access': { platform: Platform.OPENSHIFT, developers: [alice, { ...bob, nodeAccess: NodeAccess.privileged().withHostPid() }] },
      'custom quota and limits': {
        quota: { cpuRequests: Cpu.millis(1500), memoryLimits: Size.gibibytes(9.5), pods: 5 },
        containerDefaults: { cpuRequest: Cpu.millis(50), cpuLimit: Cpu.millis(500) },
      },
    };
    test.each(Object.keys(cases))('%s', (name) => {
      const { manifests } = synthFleet(cases[name]);
      expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
    });
  });

  describe('bad input: one error lists every problem, names the prop, the value and what is expected, and leaves nothing behind', () => {
    const fleetOf = (props: Partial<GoRemoteFleetProps>) => () => synthFleet(props);

    test('developer names are DNS-1035 labels of at most 40 characters', () => {
      expect(fleetOf({ developers: [alice, { ...bob, name: 'Bob' }] })).toThrow(/'developers\[1\]\.name' is "Bob"; expected a DNS-1035 label: at most 40 lower-case letters/);
      expect(fleetOf({ developers: [{ ...bob, name: '1bob' }] })).toThrow(/'developers\[0\]\.name' is "1bob"; expected a DNS-1035 label/);
      expect(fleetOf({ developers: [{ ...bob, name: 'b'.repeat(41) }] })).toThrow(/'developers\[0\]\.name' is "b{41}"; expected a DNS-1035 label: at most 40/);
    });

    test('developer names are unique', () => {
      expect(fleetOf({ developers: [alice, bob, { ...carol, name: 'alice' }] })).toThrow(/'developers\[2\]\.name' is "alice"; expected a unique name: developers\[0\] is already "alice"/);
    });

    test('per-developer namespaces fit in 63 characters', () => {
      const namespace = 'n'.repeat(40);
      expect(fleetOf({ namespace, developers: [{ ...alice, name: 'a'.repeat(23) }] })).toThrow(/'developers\[0\]\.name' is "a{23}"; makes the namespace "n{40}--a{23}" longer than 63 characters/);
      expect(fleetOf({ namespace, namespaceMode: NamespaceMode.SHARED, developers: [{ ...alice, name: 'a'.repeat(23) }] })).not.toThrow();
    });

    test('the namespace is a DNS-1123 label', () => {
      expect(fleetOf({ namespace: 'Team_A' })).toThrow(/'namespace' is "Team_A"; expected a DNS-1123 label/);
    });

    test('system namespaces are refused', () => {
      for (const namespace of ['default', 'kube-system', 'openshift-config']) {
        expect(fleetOf({ namespace, namespaceMode: NamespaceMode.SHARED })).toThrow(new RegExp(`'namespace' is "${namespace}"; is reserved \\(default, kube-\\*, openshift\\*\\)`));
      }
    });

    test('namespaceMode and platform are checked', () => {
      expect(fleetOf({ namespaceMode: 'per-team' as NamespaceMode })).toThrow(/'namespaceMode' is "per-team"; expected NamespaceMode.PER_DEVELOPER or NamespaceMode.SHARED/);
      expect(fleetOf({ platform: 'k3s' as Platform })).toThrow(/'platform' is "k3s"; expected Platform.KUBERNETES or Platform.OPENSHIFT/);
    });

    test('sshSourceCidrs and egressCidrs are CIDRs', () => {
      expect(fleetOf({ sshSourceCidrs: ['203.0.113.0/24', '10.0.0.1'] })).toThrow(/'sshSourceCidrs\[1\]' is "10.0.0.1"; expected an IPv4 or IPv6 CIDR/);
      expect(fleetOf({ egressCidrs: ['github.com'] })).toThrow(/'egressCidrs\[0\]' is "github.com"; expected an IPv4 or IPv6 CIDR/);
    });

    test('quota values are quantities and whole numbers', () => {
      expect(fleetOf({ quota: { cpuLimits: 'four' as any } })).toThrow(/'quota.cpuLimits' is "four"; expected a non-negative Kubernetes quantity/);
      expect(fleetOf({ quota: { pods: 1.5 } })).toThrow(/'quota.pods' is 1.5; expected a whole number of at least 1/);
      expect(fleetOf({ quota: { persistentVolumeClaims: 0 } })).toThrow(/'quota.persistentVolumeClaims' is 0; expected a whole number of at least 1/);
    });

    test('containerDefaults are quantities, each request at most its limit', () => {
      expect(fleetOf({ containerDefaults: { memoryLimit: '1 Gi' as any } })).toThrow(/'containerDefaults.memoryLimit' is "1 Gi"; expected a non-negative Kubernetes quantity/);
      expect(fleetOf({ containerDefaults: { cpuRequest: Cpu.units(2) } })).toThrow(/'containerDefaults.cpuRequest' is "2"; is more than containerDefaults.cpuLimit "1"/);
    });

    test('a developer\'s resources must fit in the quota per environment', () => {
      expect(fleetOf({ developers: [alice, { ...bob, resources: { cpuLimit: Cpu.units(8) } }] }))
        .toThrow(/'developers\[1\]\.resources\.cpuLimit' is "8"; exceeds the fleet's quota per environment, quota.cpuLimits "4"; raise quota.cpuLimits or lower the value/);
      expect(fleetOf({ developers: [{ ...alice, workspace: { size: Size.gibibytes(100) } }] }))
        .toThrow(/'developers\[0\]\.workspace\.size' is "100Gi"; exceeds the fleet's quota per environment, quota.storage "20Gi"/);
    });

    test('a shared default that exceeds the quota is reported once, on defaults', () => {
      const problems = problemsOf(fleetOf({ defaults: { resources: { memoryRequest: Size.gibibytes(3) } }, developers: [alice, bob, carol] }));
      expect(problems).toEqual(['\'defaults.resources.memoryRequest\' is "3Gi"; exceeds the fleet\'s quota per environment, quota.memoryRequests "2Gi"; raise quota.memoryRequests or lower the value']);
    });

    test('a quota below what the environment needs by default is reported on the quota', () => {
      expect(problemsOf(fleetOf({ quota: { cpuLimits: Cpu.units(1) } }))).toEqual([
        '\'quota.cpuLimits\' is "1"; is less than one environment\'s default resources.cpuLimit "2"; raise quota.cpuLimits or set resources.cpuLimit lower',
      ]);
    });

    test('an environment\'s own problems name the developer or the default they came from', () => {
      const problems = problemsOf(fleetOf({
        defaults: { git: { url: 'http://github.com/acme/widget.git' } },
        developers: [alice, { ...bob, programs: [{ name: 'web', command: 'go run .', port: 2222 }] }, { ...carol, authorizedKeys: ['not a key'] }],
      }));
      expect(problems).toEqual([
        '\'defaults.git.url\' is "http://github.com/acme/widget.git"; expected https: plain http is refused because TLS is always verified',
        expect.stringMatching(/^'developers\[1\]\.programs\[0\]\.port' is 2222; .*reserved for SSH.* \(developer "bob"\)$/),
        expect.stringMatching(/^'developers\[2\]\.authorizedKeys\[0\]' is "not a key"; .* \(developer "carol"\)$/),
      ]);
    });

    test('every problem of the fleet is reported at once', () => {
      const problems = problemsOf(fleetOf({ namespace: 'Team', developers: [{ ...alice, name: 'Alice' }, alice, alice], sshSourceCidrs: ['x'] }));
      expect(problems).toHaveLength(4);
    });

    test('nothing of a fleet that throws is left in the tree', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'team');
      expect(() => new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', developers: [alice, { ...bob, programs: [{ name: 'web', command: 'x', port: 2222 }] }] })).toThrow(/reserved for SSH/);
      expect(chart.node.findAll().filter(c => c instanceof ApiObject)).toEqual([]);
      expect(Testing.synth(chart)).toEqual([]);
    });

    test('a missing developer name or namespace is reported, not a TypeError', () => {
      expect(fleetOf({ developers: [{ authorizedKeys: [KEY] } as Developer] })).toThrow(/'developers\[0\]\.name' is undefined; expected the developer's name/);
      expect(fleetOf({ namespace: undefined as unknown as string })).toThrow(/'namespace' is undefined; expected the team's namespace, a DNS-1123 label/);
    });

    test('untyped JavaScript: a developer\'s or the defaults\' 0.x props are refused, naming what replaced them; so is an unknown prop', () => {
      expect(problemsOf(fleetOf({ defaults: { idleStop: 5 } as any, developers: [{ ...alice, serviceType: 'ClusterIP' } as any], quotas: {} } as any))).toEqual([
        expect.stringMatching(/^'quotas' is \{\}; is not a prop of GoRemoteFleet; expected one of namespace, developers/),
        expect.stringMatching(/^'defaults.idleStop' is 5; is not a prop since 1.0; use apiAccess: ApiAccess.serviceAccountToken\(\{ idleStop \}\)/),
        expect.stringMatching(/^'developers\[0\].serviceType' is "ClusterIP"; is not a prop since 1.0; use exposure:/),
      ]);
    });

    test('the error is the library\'s validation error', () => {
      const problems = problemsOf(fleetOf({ developers: [{ ...alice, name: '' }] }));
      expect(problems).toEqual([expect.stringMatching(/^'developers\[0\]\.name' is ""; expected a DNS-1035 label/)]);
    });
  });

  describe('quantities', () => {
    test('scaleQuantity multiplies exactly and keeps the suffix', () => {
      expect(scaleQuantity('1.5Gi', 3)).toBe('4.5Gi');
      expect(scaleQuantity('500m', 3)).toBe('1500m');
      expect(scaleQuantity('0.1', 3)).toBe('0.3');
      expect(scaleQuantity('.5', 2)).toBe('1');
      expect(scaleQuantity('1e3', 2)).toBe('2e3');
      expect(scaleQuantity('4', 0)).toBe('0');
      expect(scaleQuantity('2', 10000)).toBe('20000');
    });

    test('quantityValue reads decimal and binary suffixes and exponents', () => {
      expect(quantityValue('500m')).toBeCloseTo(0.5);
      expect(quantityValue('2Gi')).toBe(2 * 2 ** 30);
      expect(quantityValue('1G')).toBe(1e9);
      expect(quantityValue('1e3')).toBe(1000);
      expect(quantityValue('four')).toBeUndefined();
    });
  });

  test('the same input gives byte-identical YAML', () => {
    const render = () => {
      const app = new App({ outdir: '/nonexistent' });
      const chart = new Chart(app, 'team');
      new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', developers: [alice, bob, carol], sshSourceCidrs: ['203.0.113.0/24'] });
      return app.synthYaml();
    };
    expect(render()).toBe(render());
  });
});

import { Chart, Testing } from 'cdk8s';
import { EXAMPLES } from '../examples';
import { ContainerRuntime, GoRemoteFleet, HostPathType, NamespaceMode, NodeAccess, Platform, PodSecurityLevel } from '../src';
import { checkPodSecurity } from './support/pod-security-standards';
import { admittingSccs, chosenScc, loadDefaultSccs } from './support/scc-admission';
import { KEY, all, devContainer, one, podSpec, synth } from './util';

const DEFAULT_SCCS = loadDefaultSccs();

/**
 * Every named profile: its Pod Security Standards level and exactly the checks it fails (on Kubernetes and
 * OpenShift alike), which of OpenShift's default SCCs admit its OpenShift pod, and the SCC the environment
 * requires.
 */
const PROFILES: Array<[string, () => NodeAccess, string, string[], string[], string]> = [
  ['none()', () => NodeAccess.none(), 'restricted', [], ['restricted-v2', 'nonroot-v2', 'hostnetwork-v2', 'privileged'], 'restricted-v2'],
  ['hostNetwork()', () => NodeAccess.hostNetwork(), 'privileged', ['hostNamespaces', 'hostPorts'], ['hostnetwork-v2', 'privileged'], 'hostnetwork-v2'],
  ['ptrace()', () => NodeAccess.ptrace(), 'privileged', ['capabilities_baseline', 'capabilities_restricted'], ['privileged'], 'own'],
  ['hostProc()', () => NodeAccess.hostProc(), 'privileged', ['hostNamespaces', 'hostPathVolumes', 'restrictedVolumes'], ['privileged'], 'own'],
  ['containerRuntimeSocket(CRIO)', () => NodeAccess.containerRuntimeSocket(ContainerRuntime.CRIO), 'privileged',
    ['privileged', 'hostPathVolumes', 'restrictedVolumes', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'capabilities_restricted'], ['privileged'], 'own'],
  ['containerRuntimeSocket(CONTAINERD)', () => NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD), 'privileged',
    ['privileged', 'hostPathVolumes', 'restrictedVolumes', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'capabilities_restricted'], ['privileged'], 'own'],
  ['privileged()', () => NodeAccess.privileged(), 'privileged',
    ['privileged', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'capabilities_restricted'], ['privileged'], 'own'],
  ['none().withCapabilities(NET_BIND_SERVICE)', () => NodeAccess.none().withCapabilities('NET_BIND_SERVICE'), 'restricted', [],
    ['restricted-v2', 'nonroot-v2', 'hostnetwork-v2', 'privileged'], 'restricted-v2'],
  ['none().withCapabilities(CHOWN)', () => NodeAccess.none().withCapabilities('CHOWN'), 'baseline', ['capabilities_restricted'], ['privileged'], 'own'],
  ['hostNetwork().withCapabilities(NET_ADMIN)', () => NodeAccess.hostNetwork().withCapabilities('NET_ADMIN'), 'privileged',
    ['hostNamespaces', 'capabilities_baseline', 'hostPorts', 'capabilities_restricted'], ['privileged'], 'own'],
];

describe.each(PROFILES)('profile %s', (_name, profile, level, failing, admittedBy, required) => {
  test.each([Platform.KUBERNETES, Platform.OPENSHIFT])(`on %s: Pod Security level ${level}, failing exactly [${failing.join(', ')}], as env.podSecurityLevel says`, (platform) => {
    const { manifests, env } = synth({ platform, nodeAccess: profile() });
    const template = one(manifests, 'Deployment').spec.template;
    const result = checkPodSecurity(template.spec, template.metadata.annotations);
    expect(result.level).toBe(level);
    // checker ids in the standard's order (baseline, then restricted)
    expect(result.failing).toEqual(failing);
    expect(env.podSecurityLevel).toBe(result.level);
  });

  test(`on OpenShift: admitted by [${admittedBy.join(', ')}] of the default SCCs; requires ${required}`, () => {
    const { manifests, env } = synth({ platform: Platform.OPENSHIFT, nodeAccess: profile() });
    const template = one(manifests, 'Deployment').spec.template;
    expect(admittingSccs(DEFAULT_SCCS, template.spec)).toEqual(admittedBy);
    const own = all(manifests, 'SecurityContextConstraints');
    expect(env.requiredScc).toBe(required === 'own' ? own[0].metadata.name : required);
    expect(own.length).toBe(required === 'own' ? 1 : 0);
    // What OpenShift admission would do with the annotation and every SCC the cluster then holds.
    expect(chosenScc([...DEFAULT_SCCS, ...own], template.spec, template.metadata.annotations)?.scc).toBe(env.requiredScc);
  });
});

describe('named profiles', () => {
  test('hostProc(): host PID and the node\'s /proc read-only at /host/proc, non-root, nothing else', () => {
    expect(NodeAccess.HOST_PROC_MOUNT_PATH).toBe('/host/proc');
    expect(NodeAccess.hostProc().settings).toEqual({
      ...NodeAccess.none().settings,
      name: 'host-proc',
      hostPid: true,
      hostPaths: [{ path: '/proc', mountPath: '/host/proc', readOnly: true, type: HostPathType.DIRECTORY }],
    });
    const { manifests } = synth({ nodeAccess: NodeAccess.hostProc() });
    expect(devContainer(manifests).volumeMounts).toContainEqual({ name: 'node-0', mountPath: '/host/proc', readOnly: true });
    expect(devContainer(manifests).securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  test('hostNetwork(): the node\'s network namespace, non-root, ALL dropped', () => {
    expect(NodeAccess.hostNetwork().settings).toMatchObject({ name: 'host-network', hostNetwork: true, privileged: false, runAsRoot: false, capabilities: [] });
  });

  test('ptrace(): SYS_PTRACE and nothing else, still non-root and without escalation', () => {
    expect(NodeAccess.ptrace().settings).toEqual({ name: 'ptrace', privileged: false, runAsRoot: false, hostPid: false, hostNetwork: false, capabilities: ['SYS_PTRACE'], hostPaths: [] });
    const { manifests } = synth({ nodeAccess: NodeAccess.ptrace() });
    expect(devContainer(manifests).securityContext).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'], add: ['SYS_PTRACE'] } });
    expect(podSpec(manifests).shareProcessNamespace).toBeUndefined();
  });

  test('containerRuntimeSocket(): the runtime\'s socket read-write at its node path, in a privileged root container', () => {
    expect([ContainerRuntime.CRIO.name, ContainerRuntime.CRIO.socketPath]).toEqual(['cri-o', '/var/run/crio/crio.sock']);
    expect([ContainerRuntime.CONTAINERD.name, ContainerRuntime.CONTAINERD.socketPath]).toEqual(['containerd', '/run/containerd/containerd.sock']);
    expect(NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD).settings).toEqual({
      ...NodeAccess.none().settings,
      name: 'containerd-socket',
      privileged: true,
      runAsRoot: true,
      hostPaths: [{ path: '/run/containerd/containerd.sock', mountPath: '/run/containerd/containerd.sock', readOnly: false, type: HostPathType.SOCKET }],
    });
    const { manifests, env } = synth({ nodeAccess: NodeAccess.containerRuntimeSocket(ContainerRuntime.CRIO) });
    expect(podSpec(manifests).volumes).toContainEqual({ name: 'node-0', hostPath: { path: '/var/run/crio/crio.sock', type: 'Socket' } });
    expect(devContainer(manifests).volumeMounts).toContainEqual({ name: 'node-0', mountPath: '/var/run/crio/crio.sock', readOnly: false });
    expect(devContainer(manifests).securityContext.privileged).toBe(true);
    expect(env.sshUser).toBe('root');
  });

  test('profiles compose: hostProc() with the runtime socket and ptrace, named after their parts', () => {
    const a = NodeAccess.hostProc().withContainerRuntimeSocket(ContainerRuntime.CRIO).withPtrace().withPtrace();
    expect(a.settings.name).toBe('host-proc+cri-o-socket+ptrace+ptrace');
    expect(a.settings).toMatchObject({ privileged: true, runAsRoot: true, hostPid: true, capabilities: ['SYS_PTRACE'] });
    expect(a.settings.hostPaths.map(h => h.mountPath)).toEqual(['/host/proc', '/var/run/crio/crio.sock']);
  });

  test('rule: hostProc() twice mounts /host/proc twice', () => {
    expect(() => synth({ nodeAccess: NodeAccess.hostProc().withHostProc() })).toThrow(/'nodeAccess.hostPaths\[1\].mountPath' is "\/host\/proc"; expected each mount path once/);
  });

  test('PodSecurityLevel values are the Pod Security Admission label values', () => {
    expect([PodSecurityLevel.RESTRICTED, PodSecurityLevel.BASELINE, PodSecurityLevel.PRIVILEGED]).toEqual(['restricted', 'baseline', 'privileged']);
  });

  test('extra volumes of a type restricted does not allow make the pod baseline', () => {
    const { manifests, env } = synth({ volumes: [{ volume: { name: 'shared', nfs: { server: 'nfs.example.com', path: '/export' } }, mountPath: '/mnt/shared' }] });
    const template = one(manifests, 'Deployment').spec.template;
    expect(checkPodSecurity(template.spec).failing).toEqual(['restrictedVolumes']);
    expect(env.podSecurityLevel).toBe(PodSecurityLevel.BASELINE);
  });
});

describe('Pod Security Admission labels of a fleet\'s namespaces', () => {
  const labelsOf = (manifests: any[], ns: string) => {
    const l = manifests.find(m => m.kind === 'Namespace' && m.metadata.name === ns).metadata.labels;
    return ['enforce', 'audit', 'warn'].map(mode => l[`pod-security.kubernetes.io/${mode}`]);
  };

  test('a shared namespace gets the widest podSecurityLevel of its environments, and it admits each pod', () => {
    const cases: Array<[NodeAccess[], string]> = [
      [[NodeAccess.none(), NodeAccess.none().withCapabilities('NET_BIND_SERVICE')], 'restricted'],
      [[NodeAccess.none(), NodeAccess.none().withCapabilities('CHOWN')], 'baseline'],
      [[NodeAccess.none().withCapabilities('CHOWN'), NodeAccess.ptrace()], 'privileged'],
    ];
    for (const [accesses, level] of cases) {
      const chart = new Chart(Testing.app(), 'team');
      const fleet = new GoRemoteFleet(chart, 'fleet', {
        namespace: 'team-a',
        namespaceMode: NamespaceMode.SHARED,
        developers: accesses.map((nodeAccess, i) => ({ name: `dev${i}`, authorizedKeys: [KEY], nodeAccess })),
      });
      const manifests = Testing.synth(chart);
      expect(labelsOf(manifests, 'team-a')).toEqual([level, level, level]);
      for (const d of manifests.filter(m => m.kind === 'Deployment')) {
        const verdict = checkPodSecurity(d.spec.template.spec).level;
        expect(['restricted', 'baseline', 'privileged'].indexOf(verdict)).toBeLessThanOrEqual(['restricted', 'baseline', 'privileged'].indexOf(level));
      }
      expect(fleet.environments.map(e => e.podSecurityLevel)).toContain(level);
    }
  });
});

describe('the pod-network-operator example', () => {
  test('privileged root with host PID, /tmp/proc and the CRI-O socket; its own SCC admits exactly its pod', () => {
    const manifests = Testing.synth(EXAMPLES['pod-network-operator'](Testing.app(), 'pno'));
    const template = one(manifests, 'Deployment').spec.template;
    expect(checkPodSecurity(template.spec).level).toBe('privileged');
    expect(admittingSccs(DEFAULT_SCCS, template.spec)).toEqual(['privileged']);
    const scc = one(manifests, 'SecurityContextConstraints');
    expect(scc).toMatchObject({
      allowPrivilegedContainer: true, allowHostPID: true, allowHostNetwork: false, allowHostPorts: false, allowHostDirVolumePlugin: true,
    });
    expect(chosenScc([...DEFAULT_SCCS, scc], template.spec, template.metadata.annotations)?.scc).toBe(scc.metadata.name);
    expect(template.spec.tolerations).toEqual([{ key: 'go-remote.cdk8s.io/dev-node', operator: 'Exists', effect: 'NoSchedule' }]);
  });
});

describe('NodeAccess', () => {
  test('none() touches nothing', () => {
    expect(NodeAccess.none().isNone).toBe(true);
    expect(NodeAccess.none().settings).toEqual({ name: 'none', privileged: false, runAsRoot: false, hostPid: false, hostNetwork: false, capabilities: [], hostPaths: [] });
  });

  test('profiles compose without changing the original', () => {
    const base = NodeAccess.none();
    const composed = base.withHostPid().withCapabilities('SYS_PTRACE');
    expect(base.isNone).toBe(true);
    expect(composed.settings).toMatchObject({ name: 'host-pid+capabilities', hostPid: true, capabilities: ['SYS_PTRACE'] });
  });

  test('privileged(): a privileged root container, root SSH login with keys', () => {
    const { manifests } = synth({ nodeAccess: NodeAccess.privileged() });
    expect(devContainer(manifests).securityContext).toEqual({
      privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, runAsNonRoot: false, runAsUser: 0,
    });
    expect(podSpec(manifests).securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' }, fsGroupChangePolicy: 'OnRootMismatch' });
    expect(devContainer(manifests).env).toContainEqual({ name: 'GO_REMOTE_USER', value: 'root' });
  });

  test('host paths are mounted read-only by default, with their type', () => {
    const { manifests } = synth({ nodeAccess: NodeAccess.privileged().withHostPath({ path: '/proc', mountPath: '/tmp/proc' }).withHostPath({ path: '/run/crio/crio.sock', mountPath: '/run/crio/crio.sock', type: HostPathType.SOCKET, readOnly: false }) });
    expect(podSpec(manifests).volumes).toEqual(expect.arrayContaining([
      { name: 'node-0', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'node-1', hostPath: { path: '/run/crio/crio.sock', type: 'Socket' } },
    ]));
    expect(devContainer(manifests).volumeMounts).toEqual(expect.arrayContaining([
      { name: 'node-0', mountPath: '/tmp/proc', readOnly: true },
      { name: 'node-1', mountPath: '/run/crio/crio.sock', readOnly: false },
    ]));
  });

  test('capabilities are added after dropping ALL, and the pod stays non-root', () => {
    const { manifests } = synth({ nodeAccess: NodeAccess.none().withCapabilities('SYS_PTRACE') });
    expect(devContainer(manifests).securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE'] });
    expect(podSpec(manifests).securityContext.runAsNonRoot).toBe(true);
  });

  test('host network and PID namespaces', () => {
    const pod = podSpec(synth({ nodeAccess: NodeAccess.privileged().withHostNetwork().withHostPid() }).manifests);
    expect([pod.hostNetwork, pod.hostPID, pod.dnsPolicy]).toEqual([true, true, 'ClusterFirstWithHostNet']);
  });

  test('rule: capability names', () => {
    expect(() => synth({ nodeAccess: NodeAccess.none().withCapabilities('CAP_SYS_ADMIN; rm') })).toThrow(/'nodeAccess.capabilities\[0\]' is "CAP_SYS_ADMIN; rm"; expected a Linux capability name/);
    expect(() => synth({ nodeAccess: NodeAccess.none().withCapabilities('ALL') })).toThrow(/'nodeAccess.capabilities\[0\]' is "ALL"/);
  });

  test('rule: host paths are absolute and mounted once', () => {
    expect(() => synth({ nodeAccess: NodeAccess.privileged().withHostPath({ path: 'proc', mountPath: '/p' }) })).toThrow(/'nodeAccess.hostPaths\[0\].path' is "proc"; expected an absolute path/);
    expect(() => synth({ nodeAccess: NodeAccess.privileged().withHostPath({ path: '/a', mountPath: '/m' }).withHostPath({ path: '/b', mountPath: '/m' }) })).toThrow(/'nodeAccess.hostPaths\[1\].mountPath' is "\/m"; expected each mount path once/);
  });

  test('rule: host path types', () => {
    expect(() => synth({ nodeAccess: NodeAccess.privileged().withHostPath({ path: '/a', mountPath: '/m', type: 'BlockDevice' as HostPathType }) })).toThrow(/'nodeAccess.hostPaths\[0\].type' is "BlockDevice"; expected a HostPathType/);
  });
});

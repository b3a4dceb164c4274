import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { ContainerRuntime, HostPathType, NodeAccess, Platform } from '../src';
import { DEFAULT_SCCS as TABLE, defaultSccAdmits, defaultSccFor } from '../src/scc';
import { DEFAULT_SCCS_DIR, chosenScc, evaluate, loadDefaultSccs, pointValue } from './support/scc-admission';
import { strictSchemas } from './support/schemas';
import { all, one, synth } from './util';

describe('the environment\'s own SCC', () => {
  test('GIVEN privileged access to the CRI-O socket THEN the SCC admits privileged, hostPath, any UID and SELinux type, and validates against the CRD', () => {
    const { manifests } = synth({
      platform: Platform.OPENSHIFT,
      nodeAccess: NodeAccess.privileged().withHostPath({ path: '/var/run/crio/crio.sock', mountPath: '/var/run/crio/crio.sock', type: HostPathType.SOCKET, readOnly: false }),
    });
    const scc = one(manifests, 'SecurityContextConstraints');
    expect(strictSchemas().problems(scc)).toEqual([]);
    expect(scc).toMatchObject({
      allowPrivilegedContainer: true,
      allowPrivilegeEscalation: true,
      allowHostDirVolumePlugin: true,
      allowHostPID: false,
      allowHostNetwork: false,
      allowHostIPC: false,
      allowHostPorts: false,
      requiredDropCapabilities: [],
      runAsUser: { type: 'RunAsAny' },
      seLinuxContext: { type: 'RunAsAny' },
      volumes: ['configMap', 'downwardAPI', 'emptyDir', 'persistentVolumeClaim', 'projected', 'secret', 'hostPath'],
    });
  });

  test('GIVEN ptrace and host PID only THEN the SCC stays non-root and non-privileged, drops ALL and allows just SYS_PTRACE', () => {
    const { manifests } = synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.none().withCapabilities('SYS_PTRACE').withHostPid() });
    const scc = one(manifests, 'SecurityContextConstraints');
    expect(strictSchemas().problems(scc)).toEqual([]);
    expect(scc).toMatchObject({
      allowPrivilegedContainer: false,
      allowPrivilegeEscalation: false,
      allowHostPID: true,
      allowHostDirVolumePlugin: false,
      allowedCapabilities: ['SYS_PTRACE'],
      requiredDropCapabilities: ['ALL'],
      runAsUser: { type: 'MustRunAsRange' },
      seLinuxContext: { type: 'MustRunAs' },
    });
    expect(scc.volumes).not.toContain('hostPath');
  });

  test('the fields the CRD requires but cdk8s would drop as null are present', () => {
    const scc = one(synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() }).manifests, 'SecurityContextConstraints');
    for (const field of ['allowedCapabilities', 'defaultAddCapabilities', 'priority', 'requiredDropCapabilities', 'volumes']) {
      expect(scc).toHaveProperty(field);
    }
  });

  test('it is never OpenShift\'s own privileged SCC and never granted to users or groups', () => {
    const fixtureNames = readdirSync(DEFAULT_SCCS_DIR).filter(f => f.startsWith('scc-'))
      .flatMap(f => parseAllDocuments(readFileSync(join(DEFAULT_SCCS_DIR, f), 'utf8')).map(d => d.toJSON()?.metadata?.name));
    expect(fixtureNames).toContain('privileged');
    const scc = one(synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() }).manifests, 'SecurityContextConstraints');
    expect(fixtureNames).not.toContain(scc.metadata.name);
    expect(scc.users).toEqual([]);
    expect(scc.groups).toEqual([]);
  });

  test('OpenShift\'s default SCC fixtures themselves validate against the CRD (the validator agrees with real SCCs)', () => {
    for (const f of readdirSync(DEFAULT_SCCS_DIR).filter(n => n.startsWith('scc-'))) {
      const scc = parseAllDocuments(readFileSync(join(DEFAULT_SCCS_DIR, f), 'utf8'))[0].toJSON();
      expect({ file: f, problems: strictSchemas().problems(scc) }).toEqual({ file: f, problems: [] });
    }
  });
});

describe('the smallest SCC for each node access profile', () => {
  const sccs = loadDefaultSccs();
  const fixture = (name: string) => sccs.find(s => s.metadata.name === name);
  /** Profiles and compositions the table must get right, including the edges of each row. */
  const MATRIX: Array<[string, NodeAccess]> = [
    ['none', NodeAccess.none()],
    ['NET_BIND_SERVICE', NodeAccess.none().withCapabilities('NET_BIND_SERVICE')],
    ['CHOWN', NodeAccess.none().withCapabilities('CHOWN')],
    ['hostNetwork', NodeAccess.hostNetwork()],
    ['hostNetwork+NET_BIND_SERVICE', NodeAccess.hostNetwork().withCapabilities('NET_BIND_SERVICE')],
    ['hostNetwork+NET_ADMIN', NodeAccess.hostNetwork().withCapabilities('NET_ADMIN', 'NET_RAW')],
    ['hostNetwork+hostPid', NodeAccess.hostNetwork().withHostPid()],
    ['hostNetwork+hostPath', NodeAccess.hostNetwork().withHostPath({ path: '/etc/cni', mountPath: '/host/cni' })],
    ['hostPid', NodeAccess.none().withHostPid()],
    ['hostProc', NodeAccess.hostProc()],
    ['ptrace', NodeAccess.ptrace()],
    ['ptrace+hostProc', NodeAccess.hostProc().withPtrace()],
    ['cri-o socket', NodeAccess.containerRuntimeSocket(ContainerRuntime.CRIO)],
    ['containerd socket+hostNetwork', NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD).withHostNetwork()],
    ['privileged', NodeAccess.privileged()],
    ['privileged+hostNetwork', NodeAccess.privileged().withHostNetwork()],
  ];

  test('the table names only SCCs that exist among OpenShift\'s defaults, smallest first', () => {
    expect(TABLE.map(s => s.name)).toEqual(['restricted-v2', 'hostnetwork-v2']);
    for (const row of TABLE) expect(fixture(row.name)?.kind).toBe('SecurityContextConstraints');
    // smallest first, by OpenShift's own restrictiveness points
    expect(pointValue(fixture('restricted-v2'))).toBeLessThan(pointValue(fixture('hostnetwork-v2')));
  });

  test.each(MATRIX)('%s: each row of the table admits the pod exactly when the real SCC does', (_name, access) => {
    const { manifests, env } = synth({ platform: Platform.OPENSHIFT, nodeAccess: access });
    const template = one(manifests, 'Deployment').spec.template;
    const tableSays = Object.fromEntries(TABLE.map(row => [row.name, defaultSccAdmits(row, access.settings)]));
    const realSays = Object.fromEntries(TABLE.map(row => [row.name, evaluate(fixture(row.name), template.spec).admitted]));
    expect(tableSays).toEqual(realSays);
    // and the environment requires the first row that admits it, else its own SCC
    const first = TABLE.find(row => realSays[row.name]);
    expect(env.requiredScc).toBe(first ? first.name : env.scc?.name);
  });

  test('restricted-v2 needs no RoleBinding: OpenShift grants it to system:authenticated', () => {
    const crb = parseAllDocuments(readFileSync(join(DEFAULT_SCCS_DIR, 'crb-systemauthenticated-scc-restricted-v2.yaml'), 'utf8'))[0].toJSON();
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:openshift:scc:restricted-v2' });
    expect(crb.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }]);
    expect(TABLE.filter(s => s.grantedToAllAuthenticated).map(s => s.name)).toEqual(['restricted-v2']);
    const { manifests, env } = synth({ platform: Platform.OPENSHIFT });
    expect(env.sccRoleBinding).toBeUndefined();
    expect(all(manifests, 'RoleBinding').map(r => r.metadata.name)).toEqual([env.name]);
  });

  test('GIVEN hostNetwork() on OpenShift THEN hostnetwork-v2 is granted to the ServiceAccount only, by RoleBinding <name>--scc-hostnetwork-v2', () => {
    const { manifests, env } = synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.hostNetwork() });
    expect(all(manifests, 'SecurityContextConstraints')).toEqual([]);
    const binding = all(manifests, 'RoleBinding').find(r => r.metadata.name === `${env.name}--scc-hostnetwork-v2`);
    expect(binding).toMatchObject({
      metadata: { namespace: 'dev' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:openshift:scc:hostnetwork-v2' },
      subjects: [{ kind: 'ServiceAccount', name: env.serviceAccount.name, namespace: 'dev' }],
    });
    expect(env.node.findChild('SccRoleBinding')).toBe(env.sccRoleBinding);
    expect(strictSchemas().problems(binding)).toEqual([]);
    // the ClusterRole OpenShift generates for every default SCC grants `use` of that SCC only
    const example = parseAllDocuments(readFileSync(join(DEFAULT_SCCS_DIR, 'cr-scc-restricted-v2.yaml'), 'utf8'))[0].toJSON();
    expect(example.rules).toEqual([{ apiGroups: ['security.openshift.io'], resourceNames: ['restricted-v2'], resources: ['securitycontextconstraints'], verbs: ['use'] }]);
    expect(one(manifests, 'Role').rules).toBeUndefined();
    expect(one(manifests, 'Deployment').spec.template.metadata.annotations['openshift.io/required-scc']).toBe('hostnetwork-v2');
  });

  test('on Kubernetes there is no SCC and no SCC binding', () => {
    const { manifests, env } = synth({ nodeAccess: NodeAccess.hostNetwork() });
    expect(env.sccRoleBinding).toBeUndefined();
    expect(env.requiredScc).toBeUndefined();
    expect(all(manifests, 'RoleBinding')).toHaveLength(1);
  });

  const OWN = MATRIX.filter(([, access]) => defaultSccFor(access.settings) === undefined);

  test.each(OWN)('%s: the environment\'s own SCC validates against the CRD, admits the pod, and admission chooses it', (_name, access) => {
    const { manifests } = synth({ platform: Platform.OPENSHIFT, nodeAccess: access });
    const scc = one(manifests, 'SecurityContextConstraints');
    expect(strictSchemas().problems(scc)).toEqual([]);
    const template = one(manifests, 'Deployment').spec.template;
    expect(evaluate(scc, template.spec).errors).toEqual([]);
    expect(chosenScc([...sccs, scc], template.spec, template.metadata.annotations)?.scc).toBe(scc.metadata.name);
    // it is more restrictive than OpenShift's privileged SCC, the only default one that admits these pods
    expect(pointValue(scc)).toBeLessThan(pointValue(fixture('privileged')));
  });

  test.each(OWN)('%s: the environment\'s own SCC is no wider than the pod needs (each grant taken away refuses the pod)', (_name, access) => {
    const { manifests } = synth({ platform: Platform.OPENSHIFT, nodeAccess: access });
    const scc = one(manifests, 'SecurityContextConstraints');
    const template = one(manifests, 'Deployment').spec.template;
    const tightenings: Array<[string, (s: any) => void]> = [];
    for (const field of ['allowPrivilegedContainer', 'allowPrivilegeEscalation', 'allowHostPID', 'allowHostNetwork', 'allowHostPorts']) {
      if (scc[field]) tightenings.push([field, s => s[field] = false]);
    }
    if (scc.allowHostDirVolumePlugin) {
      tightenings.push(['hostPath', s => { s.allowHostDirVolumePlugin = false; s.volumes = s.volumes.filter((v: string) => v !== 'hostPath'); }]);
    }
    for (const cap of scc.allowedCapabilities) tightenings.push([`capability ${cap}`, s => s.allowedCapabilities = s.allowedCapabilities.filter((c: string) => c !== cap)]);
    if (scc.runAsUser.type === 'RunAsAny') tightenings.push(['runAsUser', s => s.runAsUser = { type: 'MustRunAsRange' }]);
    // Not tightened: requiredDropCapabilities (admission adds required drops to the container rather than
    // refusing it; a privileged container holds every capability regardless), and seLinuxContext RunAsAny of
    // privileged containers. Admission would accept MustRunAs, but
    // the runtime socket's SELinux policy needs the unconfined spc_t that privileged containers run as, and
    // RunAsAny keeps the SCC from assigning them the namespace's confined MCS level.
    expect(tightenings.length).toBeGreaterThan(0);
    for (const [what, tighten] of tightenings) {
      const narrower = JSON.parse(JSON.stringify(scc));
      tighten(narrower);
      expect({ what, admitted: evaluate(narrower, template.spec).admitted }).toEqual({ what, admitted: false });
    }
  });
});

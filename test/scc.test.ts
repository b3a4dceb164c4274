import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { HostPathType, NodeAccess, Platform } from '../src';
import { strictSchemas } from './support/schemas';
import { one, synth } from './util';

const DEFAULT_SCCS = join(__dirname, '..', '..', 'shared', 'schemas', 'openshift', 'default-sccs');

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
    const fixtureNames = readdirSync(DEFAULT_SCCS).filter(f => f.startsWith('scc-'))
      .flatMap(f => parseAllDocuments(readFileSync(join(DEFAULT_SCCS, f), 'utf8')).map(d => d.toJSON()?.metadata?.name));
    expect(fixtureNames).toContain('privileged');
    const scc = one(synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() }).manifests, 'SecurityContextConstraints');
    expect(fixtureNames).not.toContain(scc.metadata.name);
    expect(scc.users).toEqual([]);
    expect(scc.groups).toEqual([]);
  });

  test('OpenShift\'s default SCC fixtures themselves validate against the CRD (the validator agrees with real SCCs)', () => {
    for (const f of readdirSync(DEFAULT_SCCS).filter(n => n.startsWith('scc-'))) {
      const scc = parseAllDocuments(readFileSync(join(DEFAULT_SCCS, f), 'utf8'))[0].toJSON();
      expect({ file: f, problems: strictSchemas().problems(scc) }).toEqual({ file: f, problems: [] });
    }
  });
});

import { HostPathType, NodeAccess } from '../src';
import { devContainer, podSpec, synth } from './util';

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

import { checkPodSecurity, withApiDefaults } from './support/pod-security-standards';

/** A pod that passes restricted: every check below breaks exactly one thing of it. */
function restrictedPod(): any {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'app',
      ports: [{ containerPort: 8080 }],
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'cfg', configMap: { name: 'cfg' } }],
  };
}

function withChange(change: (pod: any) => void): any {
  const pod = restrictedPod();
  change(pod);
  return pod;
}
const dev = (pod: any) => pod.containers[0].securityContext;

describe('the Pod Security Standards checker', () => {
  test('GIVEN a hardened pod THEN it passes restricted with no failing check', () => {
    expect(checkPodSecurity(restrictedPod())).toEqual({ level: 'restricted', failing: [], reasons: {} });
  });

  test('NET_BIND_SERVICE is the one capability restricted lets a container add back', () => {
    expect(checkPodSecurity(withChange(p => dev(p).capabilities.add = ['NET_BIND_SERVICE'])).level).toBe('restricted');
  });

  // Each baseline check, violated alone: the pod is privileged and exactly that check fails.
  test.each([
    ['hostProcess', (p: any) => p.securityContext.windowsOptions = { hostProcess: true }],
    ['hostNamespaces', (p: any) => p.hostPID = true],
    ['hostNamespaces', (p: any) => p.hostIPC = true],
    ['privileged', (p: any) => dev(p).privileged = true],
    ['hostPathVolumes', (p: any) => p.volumes.push({ name: 'h', hostPath: { path: '/' } })],
    ['hostPorts', (p: any) => p.containers[0].ports[0].hostPort = 8080],
    ['appArmorProfile', (p: any) => dev(p).appArmorProfile = { type: 'Unconfined' }],
    ['seLinuxOptions', (p: any) => p.securityContext.seLinuxOptions = { type: 'spc_t' }],
    ['seLinuxOptions', (p: any) => dev(p).seLinuxOptions = { user: 'system_u' }],
    ['procMount', (p: any) => dev(p).procMount = 'Unmasked'],
    ['sysctls', (p: any) => p.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }]],
  ])('baseline check %s', (id, change) => {
    const result = checkPodSecurity(withChange(change));
    // hostPath is also not a restricted volume type.
    expect(result.failing).toEqual(id === 'hostPathVolumes' ? ['hostPathVolumes', 'restrictedVolumes'] : [id]);
    expect(result.level).toBe('privileged');
  });

  test('baseline check capabilities_baseline (SYS_PTRACE also fails capabilities_restricted)', () => {
    expect(checkPodSecurity(withChange(p => dev(p).capabilities.add = ['SYS_PTRACE'])).failing).toEqual(['capabilities_baseline', 'capabilities_restricted']);
  });

  test('baseline check seccompProfile_baseline (Unconfined also fails seccompProfile_restricted)', () => {
    expect(checkPodSecurity(withChange(p => dev(p).seccompProfile = { type: 'Unconfined' })).failing).toEqual(['seccompProfile_baseline', 'seccompProfile_restricted']);
  });

  test('baseline check appArmorProfile via the beta annotation', () => {
    expect(checkPodSecurity(restrictedPod(), { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' }).failing).toEqual(['appArmorProfile']);
    expect(checkPodSecurity(restrictedPod(), { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' }).failing).toEqual([]);
  });

  // Each restricted check, violated alone: the pod is baseline and exactly that check fails.
  test.each([
    ['restrictedVolumes', (p: any) => p.volumes.push({ name: 'n', nfs: { server: 'nfs', path: '/' } })],
    ['allowPrivilegeEscalation', (p: any) => delete dev(p).allowPrivilegeEscalation],
    ['runAsNonRoot', (p: any) => delete p.securityContext.runAsNonRoot],
    ['runAsNonRoot', (p: any) => dev(p).runAsNonRoot = false],
    ['runAsUser', (p: any) => dev(p).runAsUser = 0],
    ['seccompProfile_restricted', (p: any) => delete p.securityContext.seccompProfile],
    ['capabilities_restricted', (p: any) => dev(p).capabilities = { drop: ['NET_RAW'] }],
    ['capabilities_restricted', (p: any) => dev(p).capabilities.add = ['CHOWN']],
  ])('restricted check %s', (id, change) => {
    expect(checkPodSecurity(withChange(change))).toMatchObject({ level: 'baseline', failing: [id] });
  });

  test('init containers are checked like containers', () => {
    const pod = withChange(p => p.initContainers = [{ name: 'init', securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } } }]);
    expect(checkPodSecurity(pod).failing).toEqual(['privileged', 'allowPrivilegeEscalation']);
  });

  test('the API server\'s defaulting is applied first: a hostNetwork pod\'s container ports become host ports', () => {
    const pod = withChange(p => p.hostNetwork = true);
    expect(withApiDefaults(pod).containers[0].ports).toEqual([{ containerPort: 8080, hostPort: 8080 }]);
    expect(pod.containers[0].ports).toEqual([{ containerPort: 8080 }]);
    expect(checkPodSecurity(pod).failing).toEqual(['hostNamespaces', 'hostPorts']);
  });
});

import { TYPICAL_NAMESPACE, admittingSccs, chosenScc, defaultScc, evaluate, loadDefaultSccs, pointValue, sortByPriority } from './support/scc-admission';

const SCCS = loadDefaultSccs();
const byName = (name: string) => SCCS.find(s => s.metadata.name === name);

/** A pod as a restricted-v2 workload writes it: no UID, no fsGroup, RuntimeDefault seccomp, ALL dropped. */
function pod(): any {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'app',
      ports: [{ containerPort: 8080 }],
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
  };
}

describe('the SCC admission evaluator', () => {
  test('the fixtures are OpenShift\'s eight default SCCs', () => {
    expect(SCCS.map(s => s.metadata.name).sort()).toEqual([
      'anyuid', 'hostaccess', 'hostmount-anyuid-v2', 'hostnetwork-v2', 'nonroot-v2', 'privileged', 'restricted-v2', 'restricted-v3',
    ]);
  });

  test('SCCs are tried by priority, then restrictiveness points, then name', () => {
    expect(sortByPriority(SCCS).map(s => s.metadata.name)).toEqual([
      'anyuid', // priority 10
      'restricted-v2', 'restricted-v3', 'nonroot-v2', 'hostmount-anyuid-v2', 'hostnetwork-v2', 'hostaccess', 'privileged',
    ]);
    // host ports weigh more than host paths: hostnetwork-v2 (network + ports) before hostaccess (+ hostPath)
    expect(pointValue(byName('hostaccess')) - pointValue(byName('hostnetwork-v2'))).toBeGreaterThan(0);
    expect(pointValue(byName('restricted-v2'))).toBe(20_000 + 10_000 + 5000 + 10 - 3000 + 100_000); // csi, ephemeral, image are non-trivial
    expect(pointValue(byName('privileged'))).toBeGreaterThan(1_600_000);
  });

  test('SCC defaulting: nil volumes allow everything, allowHostDirVolumePlugin adds hostPath, nil escalation is allowed', () => {
    expect(defaultScc({ metadata: { name: 'x' }, allowHostDirVolumePlugin: false }).volumes).toEqual(['*-but-hostPath']);
    expect(defaultScc({ metadata: { name: 'x' }, allowHostDirVolumePlugin: true, volumes: ['secret'] }).volumes).toEqual(['secret', 'hostPath']);
    expect(defaultScc(byName('anyuid')).allowPrivilegeEscalation).toBe(true);
  });

  test('GIVEN a restricted pod THEN restricted-v2 is chosen and fills UID, SELinux level and fsGroup from the namespace', () => {
    const chosen = chosenScc(SCCS, pod());
    expect(chosen?.scc).toBe('restricted-v2');
    expect(chosen?.pod.securityContext).toMatchObject({ fsGroup: TYPICAL_NAMESPACE.groupMin, seLinuxOptions: { level: TYPICAL_NAMESPACE.mcsLevel } });
    expect(chosen?.pod.containers[0].securityContext.runAsUser).toBe(TYPICAL_NAMESPACE.uidMin);
    // anyuid is tried first (priority 10) but sets no seccompProfiles, so it refuses any set profile.
    expect(evaluate(byName('anyuid'), pod()).errors).toContain('pod seccomp: seccomp may not be set');
  });

  test('a UID pinned outside the namespace range is refused by restricted-v2 and admitted by nonroot-v2', () => {
    const pinned = pod();
    pinned.securityContext.runAsUser = 1000;
    expect(evaluate(byName('restricted-v2'), pinned).errors).toEqual([
      'container app.runAsUser: Invalid value: 1000: must be in the ranges: [1000660000, 1000669999]',
    ]);
    expect(chosenScc(SCCS, pinned)?.scc).toBe('nonroot-v2');
  });

  test('a hostNetwork pod has host ports after defaulting: only hostnetwork-v2 and privileged admit it', () => {
    const p = pod();
    p.hostNetwork = true;
    expect(admittingSccs(SCCS, p)).toEqual(['hostnetwork-v2', 'privileged']);
    expect(evaluate(byName('hostaccess'), { ...p, securityContext: { runAsNonRoot: true } }).admitted).toBe(true);
  });

  test('required drops, allowed capabilities, privileged and escalation', () => {
    const noDrop = pod();
    noDrop.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
    // the SCC adds its required drops to the container, so the pod is mutated, not refused
    expect(evaluate(byName('restricted-v2'), noDrop).pod.containers[0].securityContext.capabilities.drop).toEqual(['ALL', 'NET_RAW']);
    const ptrace = pod();
    ptrace.containers[0].securityContext.capabilities.add = ['SYS_PTRACE'];
    expect(evaluate(byName('restricted-v2'), ptrace).errors).toEqual(['container app.capabilities.add: Invalid value: "SYS_PTRACE": capability may not be added']);
    const privileged = pod();
    privileged.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: true, runAsUser: 0 };
    expect(admittingSccs(SCCS, privileged)).toEqual(['privileged']);
    expect(evaluate(byName('hostmount-anyuid-v2'), { ...privileged, securityContext: {} }).errors).toEqual(['container app.privileged: Privileged containers are not allowed']);
  });

  test('host PID, host paths and restricted-v3\'s user namespace', () => {
    const p = pod();
    p.hostPID = true;
    p.volumes.push({ name: 'proc', hostPath: { path: '/proc' } });
    expect(evaluate(byName('restricted-v2'), p).errors).toEqual([
      'hostPID: Host PID is not allowed to be used',
      'spec.volumes[proc]: hostPath volumes are not allowed to be used',
    ]);
    expect(evaluate(byName('restricted-v3'), pod()).errors).toEqual(['hostUsers: Host Users must be set to false']);
    // its UID range is its own (1000-65534 inside the user namespace), not the namespace's
    expect(evaluate(byName('restricted-v3'), { ...pod(), hostUsers: false }).pod.containers[0].securityContext.runAsUser).toBe(1000);
  });

  test('openshift.io/required-scc limits admission to that SCC', () => {
    expect(chosenScc(SCCS, pod(), { 'openshift.io/required-scc': 'nonroot-v2' })?.scc).toBe('nonroot-v2');
    const p = pod();
    p.hostNetwork = true;
    expect(chosenScc(SCCS, p, { 'openshift.io/required-scc': 'restricted-v2' })).toBeUndefined();
  });

  test('a projected ServiceAccount token counts as a secret volume', () => {
    const p = pod();
    p.volumes.push({ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } });
    expect(evaluate({ ...byName('restricted-v2'), volumes: ['persistentVolumeClaim', 'secret'] }, p).admitted).toBe(true);
  });
});

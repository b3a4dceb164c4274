/**
 * A Pod Security Standards checker: the baseline and restricted checks of
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ as Pod Security Admission (policy
 * version "latest") evaluates them on a pod, with the check ids of k8s.io/pod-security-admission/policy.
 *
 * It checks the pod as the API server stores it: `withApiDefaults()` first applies the one defaulting that
 * changes a verdict here (a hostNetwork pod's container ports get `hostPort = containerPort`).
 */

export type Level = 'restricted' | 'baseline' | 'privileged';

/** Baseline check ids, in the order of the standard. */
export const BASELINE_CHECKS = [
  'hostProcess', 'hostNamespaces', 'privileged', 'capabilities_baseline', 'hostPathVolumes', 'hostPorts',
  'appArmorProfile', 'seLinuxOptions', 'procMount', 'seccompProfile_baseline', 'sysctls',
] as const;
/** Restricted check ids (on top of baseline), in the order of the standard. */
export const RESTRICTED_CHECKS = [
  'restrictedVolumes', 'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
  'capabilities_restricted',
] as const;
export type CheckId = typeof BASELINE_CHECKS[number] | typeof RESTRICTED_CHECKS[number];

export interface PssResult {
  /** The highest level the pod passes. */
  readonly level: Level;
  /** Every failing check id, baseline ones first, in the standard's order. */
  readonly failing: CheckId[];
  /** Why each failing check failed. */
  readonly reasons: { [id: string]: string[] };
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP',
  'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** Kubernetes' safe sysctls: Pod Security's baseline allows these, and so does an SCC's sysctl check (scc-admission.ts). */
export const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** A copy of a pod spec with the API server's defaulting that matters here (hostNetwork → hostPort). */
export function withApiDefaults(spec: any): any {
  const copy = JSON.parse(JSON.stringify(spec));
  if (copy.hostNetwork) {
    for (const c of [...copy.initContainers ?? [], ...copy.containers ?? []]) {
      for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  return copy;
}

function containersOf(spec: any): any[] {
  return [...spec.initContainers ?? [], ...spec.containers ?? [], ...spec.ephemeralContainers ?? []];
}

/**
 * Checks a pod spec (and the pod's annotations, for AppArmor) against the baseline and restricted
 * standards.
 */
export function checkPodSecurity(podSpec: any, annotations: { [key: string]: string } = {}): PssResult {
  const spec = withApiDefaults(podSpec);
  const psc = spec.securityContext ?? {};
  const containers = containersOf(spec);
  const reasons: { [id: string]: string[] } = {};
  const fail = (id: CheckId, why: string) => (reasons[id] ??= []).push(why);

  // ---- baseline ----
  if (psc.windowsOptions?.hostProcess) fail('hostProcess', 'pod windowsOptions.hostProcess');
  for (const c of containers) if (c.securityContext?.windowsOptions?.hostProcess) fail('hostProcess', `${c.name} windowsOptions.hostProcess`);

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[field]) fail('hostNamespaces', `${field}=true`);

  for (const c of containers) if (c.securityContext?.privileged) fail('privileged', `${c.name} privileged`);

  for (const c of containers) {
    for (const cap of c.securityContext?.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) fail('capabilities_baseline', `${c.name} adds ${cap}`);
    }
  }

  for (const v of spec.volumes ?? []) if (v.hostPath) fail('hostPathVolumes', `volume ${v.name}`);

  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.hostPort) fail('hostPorts', `${c.name} hostPort ${p.hostPort}`);
  }

  const appArmorOk = (type: string | undefined) => type === undefined || type === 'RuntimeDefault' || type === 'Localhost';
  if (!appArmorOk(psc.appArmorProfile?.type)) fail('appArmorProfile', `pod ${psc.appArmorProfile.type}`);
  for (const c of containers) {
    if (!appArmorOk(c.securityContext?.appArmorProfile?.type)) fail('appArmorProfile', `${c.name} ${c.securityContext.appArmorProfile.type}`);
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      fail('appArmorProfile', `annotation ${key}=${value}`);
    }
  }

  const seLinuxProblem = (o: any) => o && (!SELINUX_TYPES.has(o.type ?? '') || (o.user ?? '') !== '' || (o.role ?? '') !== '');
  if (seLinuxProblem(psc.seLinuxOptions)) fail('seLinuxOptions', `pod ${JSON.stringify(psc.seLinuxOptions)}`);
  for (const c of containers) {
    if (seLinuxProblem(c.securityContext?.seLinuxOptions)) fail('seLinuxOptions', `${c.name} ${JSON.stringify(c.securityContext.seLinuxOptions)}`);
  }

  for (const c of containers) {
    const pm = c.securityContext?.procMount;
    if (pm !== undefined && pm !== 'Default') fail('procMount', `${c.name} procMount ${pm}`);
  }

  if (psc.seccompProfile?.type === 'Unconfined') fail('seccompProfile_baseline', 'pod Unconfined');
  for (const c of containers) {
    if (c.securityContext?.seccompProfile?.type === 'Unconfined') fail('seccompProfile_baseline', `${c.name} Unconfined`);
  }

  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) fail('sysctls', s.name);

  // ---- restricted ----
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find(k => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) fail('restrictedVolumes', `volume ${v.name} is ${type}`);
  }

  for (const c of containers) {
    if (c.securityContext?.allowPrivilegeEscalation !== false) fail('allowPrivilegeEscalation', `${c.name} allowPrivilegeEscalation is ${c.securityContext?.allowPrivilegeEscalation}`);
  }

  // runAsNonRoot: false anywhere fails; otherwise the pod or every container must say true.
  if (psc.runAsNonRoot === false) fail('runAsNonRoot', 'pod runAsNonRoot=false');
  for (const c of containers) {
    const own = c.securityContext?.runAsNonRoot;
    if (own === false) fail('runAsNonRoot', `${c.name} runAsNonRoot=false`);
    else if (own === undefined && psc.runAsNonRoot !== true) fail('runAsNonRoot', `${c.name} runAsNonRoot unset`);
  }

  if (psc.runAsUser === 0) fail('runAsUser', 'pod runAsUser=0');
  for (const c of containers) if (c.securityContext?.runAsUser === 0) fail('runAsUser', `${c.name} runAsUser=0`);

  const seccompOk = (type: string | undefined) => type === 'RuntimeDefault' || type === 'Localhost';
  if (psc.seccompProfile !== undefined && !seccompOk(psc.seccompProfile.type)) fail('seccompProfile_restricted', `pod ${psc.seccompProfile.type}`);
  for (const c of containers) {
    const own = c.securityContext?.seccompProfile?.type;
    if (own !== undefined ? !seccompOk(own) : !seccompOk(psc.seccompProfile?.type)) {
      fail('seccompProfile_restricted', `${c.name} seccompProfile ${own ?? 'unset'}`);
    }
  }

  for (const c of containers) {
    const caps = c.securityContext?.capabilities ?? {};
    if (!(caps.drop ?? []).includes('ALL')) fail('capabilities_restricted', `${c.name} does not drop ALL`);
    for (const cap of caps.add ?? []) if (cap !== 'NET_BIND_SERVICE') fail('capabilities_restricted', `${c.name} adds ${cap}`);
  }

  const failing = [...BASELINE_CHECKS, ...RESTRICTED_CHECKS].filter(id => reasons[id]);
  const level: Level = BASELINE_CHECKS.some(id => reasons[id]) ? 'privileged'
    : RESTRICTED_CHECKS.some(id => reasons[id]) ? 'baseline' : 'restricted';
  return { level, failing, reasons };
}

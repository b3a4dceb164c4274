import { NodeAccessSettings } from './node-access';

/**
 * A Pod Security Standards level, as Pod Security Admission enforces it on a namespace
 * (`pod-security.kubernetes.io/enforce: <level>`).
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export enum PodSecurityLevel {
  /** Hardened: non-root, no escalation, every capability dropped (NET_BIND_SERVICE may be added back). */
  RESTRICTED = 'restricted',
  /** Prevents known privilege escalations (no host namespaces, host paths or privileged containers). */
  BASELINE = 'baseline',
  /** Unrestricted. */
  PRIVILEGED = 'privileged',
}

/** The most permissive of several levels (the one a namespace holding all of them needs). */
export function widestPodSecurityLevel(levels: PodSecurityLevel[]): PodSecurityLevel {
  if (levels.includes(PodSecurityLevel.PRIVILEGED)) return PodSecurityLevel.PRIVILEGED;
  if (levels.includes(PodSecurityLevel.BASELINE)) return PodSecurityLevel.BASELINE;
  return PodSecurityLevel.RESTRICTED;
}

/** Capabilities the baseline standard lets a container add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
/** The one capability the restricted standard lets a container add back after dropping ALL. */
const RESTRICTED_CAPABILITIES = new Set(['NET_BIND_SERVICE']);
/** Volume types the restricted standard allows. */
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]);

/**
 * The level the environment's pod passes, from what the construct itself puts in the pod: the node access
 * settings and the types of the extra volumes (the keys of each `k8s.Volume` besides `name`). The
 * environment's own containers are otherwise restricted (non-root, no escalation, ALL dropped,
 * RuntimeDefault seccomp), which test/pod-security-standards.test.ts checks for every profile.
 * @internal
 */
export function podSecurityLevelOf(access: NodeAccessSettings, extraVolumeTypes: string[]): PodSecurityLevel {
  if (access.privileged || access.hostPid || access.hostNetwork || access.hostPaths.length > 0
    || access.capabilities.some(c => !BASELINE_CAPABILITIES.has(c))) {
    return PodSecurityLevel.PRIVILEGED;
  }
  if (access.runAsRoot || access.capabilities.some(c => !RESTRICTED_CAPABILITIES.has(c))
    || extraVolumeTypes.some(t => !RESTRICTED_VOLUME_TYPES.has(t))) {
    return PodSecurityLevel.BASELINE;
  }
  return PodSecurityLevel.RESTRICTED;
}

/**
 * An OpenShift SecurityContextConstraints admission evaluator over the fields that decide admission of the
 * environment's pods, following openshift/apiserver-library-go (pkg/securitycontextconstraints:
 * sccmatching/provider.go, its strategies, sccdefaults and util/sort): an SCC is defaulted as the API
 * server stores it, its namespace-allocated ranges are filled from the namespace's annotations, the pod is
 * mutated as the SCC would (generated UID, SELinux level, fsGroup, supplemental groups, seccomp, required
 * capability drops), then validated. SCCs are tried by priority, then restrictiveness points, then name,
 * and the first that admits the pod is chosen (`openshift.io/required-scc` restricts the list to that one).
 *
 * Not modelled: who may `use` which SCC (RBAC: the API-server tier checks it), flexVolume drivers, sysctl
 * patterns beyond the safe set, and the user-namespace details of restricted-v3 beyond `hostUsers: false`.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { SAFE_SYSCTLS, withApiDefaults } from './pod-security-standards';

/** OpenShift's default SCCs, vendored from openshift/cluster-kube-apiserver-operator (SOURCE.md beside them). */
export const DEFAULT_SCCS_DIR = join(__dirname, '..', '..', 'schemas', 'openshift', 'default-sccs');

/** What OpenShift allocates a namespace (its `openshift.io/sa.scc.*` annotations). */
export interface NamespaceAllocation {
  readonly uidMin: number;
  readonly uidMax: number;
  readonly mcsLevel: string;
  readonly groupMin: number;
  readonly groupMax: number;
}

/** A typical allocation: `openshift.io/sa.scc.uid-range: 1000660000/10000`, `mcs: s0:c26,c10`. */
export const TYPICAL_NAMESPACE: NamespaceAllocation = {
  uidMin: 1000660000, uidMax: 1000669999, mcsLevel: 's0:c26,c10', groupMin: 1000660000, groupMax: 1000669999,
};

const TRIVIAL_VOLUMES = new Set(['secret', 'configMap', 'emptyDir', 'downwardAPI', 'projected', 'none']);

/** OpenShift's default SCCs from the fixtures, by name. */
export function loadDefaultSccs(dir = DEFAULT_SCCS_DIR): any[] {
  return readdirSync(dir).filter(f => /^scc-.*\.yaml$/.test(f)).sort()
    .map(f => parse(readFileSync(join(dir, f), 'utf8')));
}

/** The SCC as the API server stores it (sccdefaults.SetDefaults_SCC). */
export function defaultScc(input: any): any {
  const scc = JSON.parse(JSON.stringify(input));
  scc.fsGroup = { ...scc.fsGroup, type: scc.fsGroup?.type || 'RunAsAny' };
  scc.supplementalGroups = { ...scc.supplementalGroups, type: scc.supplementalGroups?.type || 'RunAsAny' };
  let volumes: Set<string>;
  if (scc.volumes === undefined || scc.volumes === null) volumes = new Set(['*']);
  else if (scc.volumes.length === 0) volumes = new Set([scc.allowHostDirVolumePlugin ? 'hostPath' : 'none']);
  else volumes = new Set(scc.volumes);
  if (scc.allowHostDirVolumePlugin) {
    if (!volumes.has('*')) volumes.add('hostPath');
  } else {
    volumes.delete('hostPath');
    // '*' without hostPath: every type but hostPath; kept as a marker here.
    if (volumes.has('*')) { volumes.delete('*'); volumes.add('*-but-hostPath'); }
  }
  scc.volumes = [...volumes];
  if (scc.allowPrivilegeEscalation === undefined || scc.allowPrivilegeEscalation === null) scc.allowPrivilegeEscalation = true;
  return scc;
}

/** Restrictiveness points (util/sort/byrestrictions.go): lower is more restrictive. */
export function pointValue(input: any): number {
  const scc = defaultScc(input);
  let total = 0;
  if (scc.allowPrivilegedContainer) total += 1_600_000;
  const vols: string[] = scc.volumes;
  if (vols.includes('hostPath') || vols.includes('*')) total += 200_000;
  else if (vols.some(v => !TRIVIAL_VOLUMES.has(v))) total += 100_000;
  if (scc.allowHostNetwork) total += 400_000;
  if (scc.allowHostPorts) total += 800_000;
  const has = (list: string[] | undefined | null, cap: string) => (list ?? []).some(c => c.toUpperCase() === cap);
  let caps = 5000 + 300 * (scc.defaultAddCapabilities ?? []).length;
  if (has(scc.allowedCapabilities, '*') || has(scc.allowedCapabilities, 'ALL')) caps += 4000;
  else caps += 10 * (scc.allowedCapabilities ?? []).length;
  if (has(scc.requiredDropCapabilities, 'ALL')) caps += -3000;
  else caps += -50 * (scc.requiredDropCapabilities ?? []).length;
  total += Math.max(0, Math.min(9999, caps));
  const strategy: { [k: string]: number } = { RunAsAny: 40_000, MustRunAsNonRoot: 30_000, MustRunAsRange: 20_000, MustRunAs: 10_000 };
  total += strategy[scc.seLinuxContext?.type] ?? 0;
  total += strategy[scc.runAsUser?.type] ?? 0;
  return total;
}

/** SCCs in the order admission tries them (util/sort/bypriority.go). */
export function sortByPriority(sccs: any[]): any[] {
  return [...sccs].sort((a, b) => {
    const pa = a.priority ?? 0;
    const pb = b.priority ?? 0;
    if (pa !== pb) return pb - pa;
    const va = pointValue(a);
    const vb = pointValue(b);
    if (va !== vb) return va - vb;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
}

export interface Verdict {
  readonly scc: string;
  readonly admitted: boolean;
  /** Why not, as in OpenShift's messages. */
  readonly errors: string[];
  /** The pod spec as the SCC mutated it (when admitted). */
  readonly pod?: any;
}

function seccompOfField(p: any): string {
  if (!p) return '';
  if (p.type === 'Unconfined') return 'unconfined';
  if (p.type === 'RuntimeDefault') return 'runtime/default';
  if (p.type === 'Localhost' && p.localhostProfile) return `localhost/${p.localhostProfile}`;
  return '';
}

function volumeType(v: any): string {
  return Object.keys(v).find(k => k !== 'name') ?? 'unknown';
}

function onlyServiceAccountTokenSources(projected: any): boolean {
  return (projected?.sources ?? []).every((s: any) => s.serviceAccountToken || s.configMap || s.downwardAPI);
}

/** Whether one SCC admits a pod (spec and annotations), in a namespace with this allocation. */
export function evaluate(
  input: any, podSpec: any, annotations: { [key: string]: string } = {}, ns: NamespaceAllocation = TYPICAL_NAMESPACE,
): Verdict {
  const scc = defaultScc(input);
  const name = scc.metadata.name;
  const errors: string[] = [];
  const spec = withApiDefaults(podSpec);

  // Namespace-allocated values (sccmatching.CreateProviderFromConstraint).
  const runAsUser = { ...scc.runAsUser };
  if (runAsUser.type === 'MustRunAsRange' && runAsUser.uidRangeMin === undefined && runAsUser.uidRangeMax === undefined) {
    runAsUser.uidRangeMin = ns.uidMin;
    runAsUser.uidRangeMax = ns.uidMax;
  }
  const seLinux = { ...scc.seLinuxContext, seLinuxOptions: { ...scc.seLinuxContext?.seLinuxOptions } };
  if (seLinux.type === 'MustRunAs' && !seLinux.seLinuxOptions.level) seLinux.seLinuxOptions.level = ns.mcsLevel;
  const groupRanges = (g: any, single: boolean) => g.type !== 'MustRunAs' ? undefined
    : (g.ranges?.length ? g.ranges : [{ min: ns.groupMin, max: single ? ns.groupMin : ns.groupMax }]);
  const fsGroupRanges = groupRanges(scc.fsGroup, true);
  const supplementalRanges = groupRanges(scc.supplementalGroups, false);
  const allowedSeccomp: string[] = (scc.seccompProfiles ?? []).filter((p: string) => p !== '*');
  const anySeccomp = (scc.seccompProfiles ?? []).includes('*');

  // ---- mutate the pod security context (CreatePodSecurityContext) ----
  const psc = spec.securityContext = { ...spec.securityContext };
  if (psc.supplementalGroups === undefined && supplementalRanges) psc.supplementalGroups = [supplementalRanges[0].min];
  if (psc.fsGroup === undefined && fsGroupRanges) psc.fsGroup = fsGroupRanges[0].min;
  if (psc.seLinuxOptions === undefined && seLinux.type === 'MustRunAs') psc.seLinuxOptions = { ...seLinux.seLinuxOptions };
  if (!psc.seccompProfile && !annotations['seccomp.security.alpha.kubernetes.io/pod'] && allowedSeccomp.length > 0) {
    const p = allowedSeccomp[0];
    psc.seccompProfile = p === 'runtime/default' || p === 'docker/default' ? { type: 'RuntimeDefault' }
      : p.startsWith('localhost/') ? { type: 'Localhost', localhostProfile: p.slice('localhost/'.length) } : undefined;
  }

  // ---- validate the pod (ValidatePodSecurityContext) ----
  const inRanges = (id: number, ranges: any[]) => ranges.some(r => id >= r.min && id <= r.max);
  if (fsGroupRanges) {
    if (psc.fsGroup === undefined) errors.push('fsGroup: unable to validate empty groups against required ranges');
    else if (!inRanges(psc.fsGroup, fsGroupRanges)) errors.push(`fsGroup: ${psc.fsGroup} is not an allowed group`);
  }
  if (supplementalRanges) {
    const groups: number[] = psc.supplementalGroups ?? [];
    if (groups.length === 0) errors.push('supplementalGroups: unable to validate empty groups against required ranges');
    for (const g of groups) if (!inRanges(g, supplementalRanges)) errors.push(`supplementalGroups: ${g} is not an allowed group`);
  }
  const checkSeccomp = (where: string, profile: string) => {
    if (!anySeccomp && allowedSeccomp.length === 0 && profile !== '') { errors.push(`${where}: seccomp may not be set`); return; }
    if (allowedSeccomp.length === 0 && profile === '') return;
    if (anySeccomp) return;
    const runtimeDefaultAllowed = allowedSeccomp.some(p => p === 'runtime/default' || p === 'docker/default');
    if (allowedSeccomp.includes(profile) || (runtimeDefaultAllowed && (profile === 'runtime/default' || profile === 'docker/default'))) return;
    errors.push(`${where}: ${profile} is not an allowed seccomp profile. Valid values are [${allowedSeccomp.join(' ')}]`);
  };
  const podSeccomp = annotations['seccomp.security.alpha.kubernetes.io/pod'] || seccompOfField(psc.seccompProfile);
  checkSeccomp('pod seccomp', podSeccomp);
  const checkSeLinux = (where: string, o: any) => {
    if (seLinux.type !== 'MustRunAs') return;
    if (!o) { errors.push(`${where}.seLinuxOptions: Required value`); return; }
    const want = seLinux.seLinuxOptions;
    const sameLevel = (a = '', b = '') => a === b || (a.split(':')[0] === b.split(':')[0]
      && (a.split(':')[1] ?? '').split(',').sort().join(',') === (b.split(':')[1] ?? '').split(',').sort().join(',') && a.includes(':') && b.includes(':'));
    if (!sameLevel(want.level, o.level)) errors.push(`${where}.seLinuxOptions.level: must be ${want.level}`);
    for (const f of ['role', 'type', 'user']) if ((o[f] ?? '') !== (want[f] ?? '')) errors.push(`${where}.seLinuxOptions.${f}: must be ${want[f] ?? ''}`);
  };
  checkSeLinux('pod', psc.seLinuxOptions);
  if (!scc.allowHostNetwork && spec.hostNetwork) errors.push('hostNetwork: Host network is not allowed to be used');
  if (!scc.allowHostPID && spec.hostPID) errors.push('hostPID: Host PID is not allowed to be used');
  if (!scc.allowHostIPC && spec.hostIPC) errors.push('hostIPC: Host IPC is not allowed to be used');
  if (scc.userNamespaceLevel === 'RequirePodLevel' && spec.hostUsers !== false) errors.push('hostUsers: Host Users must be set to false');
  for (const s of psc.sysctls ?? []) {
    const unsafeOk = (scc.allowedUnsafeSysctls ?? []).some((p: string) => p === '*' || p === s.name || (p.endsWith('*') && s.name.startsWith(p.slice(0, -1))));
    if (!SAFE_SYSCTLS.has(s.name) && !unsafeOk) errors.push(`sysctl ${s.name} is not allowed`);
  }
  const vols: string[] = scc.volumes;
  for (const v of spec.volumes ?? []) {
    const t = volumeType(v);
    const ok = vols.includes('*') || vols.includes(t) || (vols.includes('*-but-hostPath') && t !== 'hostPath')
      || (vols.includes('secret') && t === 'projected' && onlyServiceAccountTokenSources(v.projected));
    if (!ok) errors.push(`spec.volumes[${v.name}]: ${t} volumes are not allowed to be used`);
  }

  // ---- each container: mutate (CreateContainerSecurityContext), then validate ----
  const mutateAndValidate = (c: any) => {
    const where = `container ${c.name}`;
    const sc = c.securityContext = { ...c.securityContext };
    const effective = (f: string) => (sc[f] !== undefined ? sc[f] : psc[f]);
    if (effective('runAsUser') === undefined) {
      if (runAsUser.type === 'MustRunAsRange') sc.runAsUser = runAsUser.uidRangeMin;
      if (runAsUser.type === 'MustRunAs') sc.runAsUser = runAsUser.uid;
    }
    if (effective('seLinuxOptions') === undefined && seLinux.type === 'MustRunAs') sc.seLinuxOptions = { ...seLinux.seLinuxOptions };
    if (effective('runAsNonRoot') === undefined) {
      const uid = effective('runAsUser');
      if ((uid === undefined && runAsUser.type === 'MustRunAsNonRoot') || (uid !== undefined && uid > 0)) sc.runAsNonRoot = true;
    }
    // Capabilities: required drops and default adds join the container's own.
    const ownAdd: string[] = sc.capabilities?.add ?? [];
    const ownDrop: string[] = sc.capabilities?.drop ?? [];
    const defaultAdd = (scc.defaultAddCapabilities ?? []).filter((x: string) => !ownDrop.includes(x));
    const add = [...new Set([...defaultAdd, ...ownAdd])];
    const drop = [...new Set([...(scc.requiredDropCapabilities ?? []), ...ownDrop])];
    if (add.length !== ownAdd.length || drop.length !== ownDrop.length) {
      sc.capabilities = { add: add.length ? add : undefined, drop: drop.length ? drop : undefined };
    }
    if (scc.readOnlyRootFilesystem && sc.readOnlyRootFilesystem === undefined) sc.readOnlyRootFilesystem = true;
    if (scc.allowPrivilegeEscalation === false && sc.allowPrivilegeEscalation === undefined) sc.allowPrivilegeEscalation = false;

    // validate
    const uid = effective('runAsUser');
    const nonRoot = effective('runAsNonRoot');
    switch (runAsUser.type) {
      case 'MustRunAsRange':
        if (uid === undefined) errors.push(`${where}.runAsUser: Required value`);
        else if (uid < runAsUser.uidRangeMin || uid > runAsUser.uidRangeMax) errors.push(`${where}.runAsUser: Invalid value: ${uid}: must be in the ranges: [${runAsUser.uidRangeMin}, ${runAsUser.uidRangeMax}]`);
        break;
      case 'MustRunAs':
        if (uid === undefined) errors.push(`${where}.runAsUser: Required value`);
        else if (uid !== runAsUser.uid) errors.push(`${where}.runAsUser: Invalid value: ${uid}: must be: ${runAsUser.uid}`);
        break;
      case 'MustRunAsNonRoot':
        if (nonRoot === undefined && uid === undefined) errors.push(`${where}.runAsNonRoot: Required value: must be true`);
        else if (nonRoot === false) errors.push(`${where}.runAsNonRoot: must be true`);
        else if (uid === 0) errors.push(`${where}.runAsUser: running with the root UID is forbidden`);
        break;
      default:
        break;
    }
    checkSeLinux(where, effective('seLinuxOptions'));
    const containerSeccomp = sc.seccompProfile ? seccompOfField(sc.seccompProfile)
      : annotations[`container.seccomp.security.alpha.kubernetes.io/${c.name}`] ?? podSeccomp;
    checkSeccomp(`${where} seccomp`, containerSeccomp);
    if (!scc.allowPrivilegedContainer && sc.privileged === true) errors.push(`${where}.privileged: Privileged containers are not allowed`);
    const caps = sc.capabilities;
    if (!caps) {
      if ((scc.defaultAddCapabilities ?? []).length || (scc.requiredDropCapabilities ?? []).length) errors.push(`${where}.capabilities: required capabilities are not set on the securityContext`);
    } else if (!(scc.allowedCapabilities ?? []).includes('*')) {
      for (const cap of caps.add ?? []) {
        if (!(scc.defaultAddCapabilities ?? []).includes(cap) && !(scc.allowedCapabilities ?? []).includes(cap)) errors.push(`${where}.capabilities.add: Invalid value: "${cap}": capability may not be added`);
      }
      for (const req of scc.requiredDropCapabilities ?? []) {
        if (!(caps.drop ?? []).includes(req)) errors.push(`${where}.capabilities.drop: ${req} is required to be dropped but was not found`);
      }
    }
    if (!scc.allowHostPorts) {
      for (const p of c.ports ?? []) if (p.hostPort > 0) errors.push(`${where}.hostPort: Invalid value: ${p.hostPort}: Host ports are not allowed to be used`);
    }
    if (scc.readOnlyRootFilesystem && sc.readOnlyRootFilesystem !== true) errors.push(`${where}.readOnlyRootFilesystem: must be set to true`);
    if (scc.allowPrivilegeEscalation === false && sc.allowPrivilegeEscalation !== false) {
      errors.push(`${where}.allowPrivilegeEscalation: Invalid value: ${sc.allowPrivilegeEscalation}: Allowing privilege escalation for containers is not allowed`);
    }
  };
  for (const c of [...spec.initContainers ?? [], ...spec.containers ?? []]) mutateAndValidate(c);

  return { scc: name, admitted: errors.length === 0, errors, pod: errors.length === 0 ? spec : undefined };
}

/** The names of the SCCs that admit the pod, in admission order. */
export function admittingSccs(sccs: any[], podSpec: any, annotations: { [key: string]: string } = {}): string[] {
  return sortByPriority(sccs).filter(scc => evaluate(scc, podSpec, annotations).admitted).map(scc => scc.metadata.name);
}

/**
 * The SCC OpenShift would choose for the pod among those the ServiceAccount may use: with
 * `openshift.io/required-scc` only that one, else the first in priority order that admits it.
 */
export function chosenScc(sccs: any[], podSpec: any, annotations: { [key: string]: string } = {}): Verdict | undefined {
  const required = annotations['openshift.io/required-scc'];
  const candidates = required ? sccs.filter(s => s.metadata.name === required) : sccs;
  for (const scc of sortByPriority(candidates)) {
    const v = evaluate(scc, podSpec, annotations);
    if (v.admitted) return v;
  }
  return undefined;
}

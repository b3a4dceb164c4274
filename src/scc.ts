import { Annotations } from './contract';
import { SecurityContextConstraints } from './imports/openshift-security';
import { Manifest } from './manifest';
import { NodeAccessSettings } from './node-access';

/** Volume types every environment uses. */
const BASE_VOLUMES = ['configMap', 'downwardAPI', 'emptyDir', 'persistentVolumeClaim', 'projected', 'secret'];

/**
 * One of OpenShift's default SCCs the library is willing to grant, described by what it admits of a node
 * access profile. Only SCCs that admit no more than a profile needs are listed: `hostaccess`,
 * `hostmount-anyuid-v2` and `anyuid` set no `seccompProfiles` and so refuse the environment's
 * RuntimeDefault seccomp profile, and `privileged` (also `restricted-v3`, which requires user namespaces)
 * would allow far more than any profile; those profiles get the environment's own SCC.
 * test/scc.test.ts proves every row against OpenShift's real SCCs with an admission evaluator.
 * @internal
 */
export interface DefaultScc {
  /** The SCC's name; its `use` is granted by ClusterRole `system:openshift:scc:<name>`. */
  readonly name: string;
  /** Whether OpenShift already grants it to every authenticated user (no RoleBinding needed). */
  readonly grantedToAllAuthenticated: boolean;
  readonly allowHostNetwork: boolean;
  readonly allowHostPid: boolean;
  readonly allowHostPaths: boolean;
  readonly allowPrivileged: boolean;
  readonly allowRoot: boolean;
  readonly allowedCapabilities: string[];
}

/**
 * The default SCCs the library depends on, smallest first (both exist since OpenShift 4.11).
 * @internal
 */
export const DEFAULT_SCCS: DefaultScc[] = [
  {
    name: 'restricted-v2',
    grantedToAllAuthenticated: true,
    allowHostNetwork: false,
    allowHostPid: false,
    allowHostPaths: false,
    allowPrivileged: false,
    allowRoot: false,
    allowedCapabilities: ['NET_BIND_SERVICE'],
  },
  {
    name: 'hostnetwork-v2',
    grantedToAllAuthenticated: false,
    allowHostNetwork: true,
    allowHostPid: false,
    allowHostPaths: false,
    allowPrivileged: false,
    allowRoot: false,
    allowedCapabilities: ['NET_BIND_SERVICE'],
  },
];

/**
 * The smallest default SCC in `DEFAULT_SCCS` that admits the pod of these settings, if any.
 * @internal
 */
export function defaultSccFor(a: NodeAccessSettings): DefaultScc | undefined {
  return DEFAULT_SCCS.find(scc => defaultSccAdmits(scc, a));
}

/**
 * Whether one row of the table admits the pod of these settings.
 * @internal
 */
export function defaultSccAdmits(scc: DefaultScc, a: NodeAccessSettings): boolean {
  return (scc.allowHostNetwork || !a.hostNetwork)
    && (scc.allowHostPid || !a.hostPid)
    && (scc.allowHostPaths || a.hostPaths.length === 0)
    && (scc.allowPrivileged || !a.privileged)
    && (scc.allowRoot || !a.runAsRoot)
    && a.capabilities.every(c => scc.allowedCapabilities.includes(c));
}

/**
 * The smallest SecurityContextConstraints that admits the environment's pod with its node access, type-checked
 * by the L1 that `cdk8s import` generated from OpenShift's CRD and rendered to JSON once, here.
 *
 * It lists no users and no groups: `use` is granted by the environment's own Role, bound to its
 * ServiceAccount only. Fields the CRD requires but cdk8s would drop when null are given explicit values.
 * @internal
 */
export function sccManifest(name: string, labels: { [key: string]: string }, a: NodeAccessSettings): Manifest {
  const hostPaths = a.hostPaths.length > 0;
  return {
    id: 'Scc',
    clusterScoped: true,
    manifest: SecurityContextConstraints.manifest({
      metadata: {
        name,
        labels,
        annotations: {
          [Annotations.DESCRIPTION]: `cdk8s-go-remote node access '${a.name}' for one development environment; granted by a Role to its ServiceAccount only`,
        },
      },
      allowPrivilegedContainer: a.privileged,
      allowPrivilegeEscalation: a.privileged,
      allowHostPid: a.hostPid,
      allowHostNetwork: a.hostNetwork,
      allowHostIpc: false,
      // The API server sets every container port's hostPort to its containerPort in a hostNetwork pod.
      allowHostPorts: a.hostNetwork,
      allowHostDirVolumePlugin: hostPaths,
      allowedCapabilities: a.privileged ? [] : [...a.capabilities],
      defaultAddCapabilities: [],
      requiredDropCapabilities: a.privileged ? [] : ['ALL'],
      priority: 0,
      readOnlyRootFilesystem: false,
      runAsUser: { type: a.runAsRoot ? 'RunAsAny' : 'MustRunAsRange' },
      // Reaching a container runtime socket needs an unconfined SELinux type (spc_t), which only a
      // privileged container gets.
      seLinuxContext: { type: a.privileged ? 'RunAsAny' : 'MustRunAs' },
      fsGroup: { type: 'MustRunAs' },
      supplementalGroups: { type: 'RunAsAny' },
      seccompProfiles: ['runtime/default'],
      users: [],
      groups: [],
      volumes: hostPaths ? [...BASE_VOLUMES, 'hostPath'] : BASE_VOLUMES,
    }),
  };
}

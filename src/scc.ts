import { Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { SecurityContextConstraints } from './imports/openshift-security';
import { NodeAccessSettings } from './node-access';

/** Volume types every environment uses. */
const BASE_VOLUMES = ['configMap', 'downwardAPI', 'emptyDir', 'persistentVolumeClaim', 'projected', 'secret'];

/** @internal */
export interface EnvironmentSccProps {
  readonly name: string;
  readonly labels: { [key: string]: string };
  readonly access: NodeAccessSettings;
}

/**
 * The smallest SecurityContextConstraints that admits the environment's pod with its node access, built
 * on the L1 that `cdk8s import` generated from OpenShift's CRD.
 *
 * It lists no users and no groups: `use` is granted by the environment's own Role, bound to its
 * ServiceAccount only. Fields the CRD requires but cdk8s would drop when null are given explicit values.
 * @internal
 */
export function createEnvironmentScc(scope: Construct, id: string, props: EnvironmentSccProps): SecurityContextConstraints {
  const a = props.access;
  const hostPaths = a.hostPaths.length > 0;
  const scc = new SecurityContextConstraints(scope, id, {
    metadata: {
      name: props.name,
      labels: props.labels,
      annotations: {
        'kubernetes.io/description': `cdk8s-go-remote node access '${a.name}' for one development environment; granted by a Role to its ServiceAccount only`,
      },
    },
    allowPrivilegedContainer: a.privileged,
    allowPrivilegeEscalation: a.privileged,
    allowHostPid: a.hostPid,
    allowHostNetwork: a.hostNetwork,
    allowHostIpc: false,
    allowHostPorts: false,
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
  });
  // SCCs are cluster-scoped; cdk8s would copy the chart's namespace onto it.
  if (Chart.of(scope).namespace !== undefined) scc.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return scc;
}

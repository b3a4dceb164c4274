import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { emitManifests } from './api-objects';
import { addCollisionCheck } from './collisions';
import { Labels, MANAGED_BY, ObjectNames, POD_SELECTOR, PRUNE_PROTECTION_ANNOTATIONS, SSH_PORT } from './contract';
import { GoRemoteValidationError } from './errors';
import { FleetNamespace, ResolvedFleet, resolveFleet } from './fleet-resolve';
import { GoRemoteEnvironment, emitResolvedEnvironment } from './go-remote-environment';
import { Manifest } from './manifest';
import { Platform } from './platform';
import { GoRemoteFleetProps, NamespaceMode } from './props';
import { scaleQuantity } from './quantity';

/** The Pod Security Admission mode labels the fleet sets on each namespace. */
const PSA_MODES = ['enforce', 'audit', 'warn'];
/** DNS ports egress always allows when it is restricted (5353: OpenShift's DNS pods listen there). */
const DNS_PORTS = [53, 5353];

/**
 * A team's remote Go development environments from one declaration: a `GoRemoteEnvironment` per developer,
 * all in the scope's one Chart (no Chart per environment: cdk8s synthesis grows faster than linearly with the
 * number of Charts), and per namespace the guard rails a shared cluster needs.
 *
 * Objects per namespace `<ns>` (construct path `Namespaces/<ns>/...` → kind, name):
 * - `Namespace` → Namespace `<ns>`, Pod Security Admission at the widest `podSecurityLevel` of the
 *   environments in it (`restricted` without node access; see docs/guides/operator-development.md; on OpenShift
 *   with the SCC-based label synchronisation off), kept by Argo CD and Flux
 *   when it leaves Git
 * - `ResourceQuota` → ResourceQuota `<ns>-quota`
 * - `LimitRange` → LimitRange `<ns>-limits`
 * - `DefaultDeny` → NetworkPolicy `<ns>--default-deny` (all ingress and egress of every pod)
 * - `AllowSshAndEgress` → NetworkPolicy `<ns>--allow-ssh-and-egress`: for the environments' pods, ingress on TCP
 *   2222 (from `sshSourceCidrs`, or anywhere), and all egress (or DNS and `egressCidrs` only)
 *
 * and per developer `Environments/<developer>` → the environment's objects, named after the developer, in
 * namespace `<namespace>--<developer>` (`NamespaceMode.PER_DEVELOPER`). Object names are unique across the fleet,
 * so a file-per-resource layout never overwrites a file, and `--` (which no name may contain) keeps them from
 * colliding with an environment's. Without `sshSourceCidrs` the environments' Services are ClusterIP (no public
 * entry point); program ports stay behind the default deny (an exposed one is refused unless the developer's
 * `networkPolicy` admits someone to it), and host networking is refused (no NetworkPolicy applies to it).
 *
 * Every developer is resolved (and every problem of every developer reported) before the first object exists.
 */
export class GoRemoteFleet extends Construct {
  /** How environments are placed in namespaces. */
  public readonly namespaceMode: NamespaceMode;
  /** The platform of every environment. */
  public readonly platform: Platform;
  /** The environments, in the order of `developers`. */
  public readonly environments: GoRemoteEnvironment[];
  /** The Namespaces the fleet owns, in order of creation. */
  public readonly namespaces: ApiObject[];

  constructor(scope: Construct, id: string, props: GoRemoteFleetProps) {
    super(scope, id);
    const resolution = resolveFleet(props);
    if (resolution.problems) throw new GoRemoteValidationError(resolution.problems);
    const fleet = resolution.fleet;
    this.namespaceMode = fleet.namespaceMode;
    this.platform = fleet.platform;

    addCollisionCheck(this);
    const namespaceScope = new Construct(this, 'Namespaces');
    this.namespaces = fleet.namespaces.map(ns =>
      emitManifests(new Construct(namespaceScope, ns.name), namespaceManifests(fleet, ns)).get('Namespace')!);
    const environmentScope = new Construct(this, 'Environments');
    this.environments = fleet.placements.map(p => emitResolvedEnvironment(environmentScope, p.developer.name, p.environment));
  }
}

/** A fleet namespace and its guard rails, as plain manifests. */
function namespaceManifests(fleet: ResolvedFleet, ns: FleetNamespace): Manifest[] {
  const labels = { [Labels.MANAGED_BY]: MANAGED_BY, [Labels.FLEET]: fleet.fleetNamespace };
  const namespaceLabels: { [key: string]: string } = { ...labels };
  // On OpenShift the fleet's Pod Security labels are the namespace's, not the SCC-based synchronisation's.
  if (fleet.platform === Platform.OPENSHIFT) namespaceLabels[Labels.OPENSHIFT_PSA_SYNC] = 'false';
  for (const mode of PSA_MODES) namespaceLabels[`${Labels.POD_SECURITY_PREFIX}${mode}`] = ns.podSecurityLevel;
  const meta = (name: string) => ({ name, namespace: ns.name, labels });
  const n = ns.environments;
  const q = fleet.quota;
  const c = fleet.container;
  const egress = fleet.egressCidrs === undefined
    ? [{}]
    : [
      { ports: DNS_PORTS.flatMap(port => ['UDP', 'TCP'].map(protocol => ({ protocol, port }))) },
      ...(fleet.egressCidrs.length > 0 ? [{ to: fleet.egressCidrs.map(cidr => ({ ipBlock: { cidr } })) }] : []),
    ];
  return [
    {
      id: 'Namespace',
      clusterScoped: true,
      // Deleting a namespace deletes every workspace in it: keep it when it leaves Git, as the workspaces are.
      manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: namespaceLabels, annotations: PRUNE_PROTECTION_ANNOTATIONS } },
    },
    {
      id: 'ResourceQuota',
      manifest: {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: meta(ObjectNames.quota(ns.name)),
        spec: {
          hard: {
            'requests.cpu': scaleQuantity(q.cpuRequests, n),
            'limits.cpu': scaleQuantity(q.cpuLimits, n),
            'requests.memory': scaleQuantity(q.memoryRequests, n),
            'limits.memory': scaleQuantity(q.memoryLimits, n),
            'requests.storage': scaleQuantity(q.storage, n),
            'persistentvolumeclaims': q.persistentVolumeClaims * n,
            'pods': q.pods * n,
          },
        },
      },
    },
    {
      id: 'LimitRange',
      manifest: {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: meta(ObjectNames.limits(ns.name)),
        spec: {
          limits: [{
            type: 'Container',
            default: { cpu: c.cpuLimit, memory: c.memoryLimit },
            defaultRequest: { cpu: c.cpuRequest, memory: c.memoryRequest },
          }],
        },
      },
    },
    {
      id: 'DefaultDeny',
      manifest: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta(ObjectNames.defaultDeny(ns.name)),
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      },
    },
    {
      id: 'AllowSshAndEgress',
      manifest: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta(ObjectNames.allowSshAndEgress(ns.name)),
        spec: {
          podSelector: { matchLabels: POD_SELECTOR },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{
            from: fleet.sshSourceCidrs?.map(cidr => ({ ipBlock: { cidr } })),
            ports: [{ protocol: 'TCP', port: SSH_PORT }],
          }],
          egress,
        },
      },
    },
  ];
}

import { Size } from 'cdk8s';
import { Cpu, ImagePullPolicy, k8s } from 'cdk8s-plus-27';
import { ApiAccess } from './api-access';
import { ServiceExposure } from './exposure';
import { GitRepository } from './git-repository';
import { EnvironmentNetworkPolicyOptions, WorkloadImpersonation } from './network-policy';
import { NodeAccess } from './node-access';
import { Platform } from './platform';
import { Program } from './program';
import { WebhookOptions } from './webhook';
import { WorkspaceOptions } from './workspace';

// The props of the two constructs, in one place. This module holds declarations only: it imports the option
// types and enum-like classes of the files of one concern, and nothing imports it back but the resolve step and
// the constructs.

/**
 * CPU and memory for the development container (and the clone init container): cdk8s-plus `Cpu` and cdk8s `Size`.
 */
export interface EnvironmentResources {
  /** @default Cpu.millis(500) */
  readonly cpuRequest?: Cpu;
  /** @default Cpu.units(2) */
  readonly cpuLimit?: Cpu;
  /** @default Size.gibibytes(1) */
  readonly memoryRequest?: Size;
  /** @default Size.gibibytes(4) */
  readonly memoryLimit?: Size;
}

/**
 * An extra volume mounted into the development container.
 */
export interface EnvironmentVolume {
  /**
   * The volume, as in a pod spec. `hostPath` volumes are refused here: node paths are declared through
   * `nodeAccess` so that they are visible, scoped and admitted on OpenShift.
   */
  readonly volume: k8s.Volume;
  /** Absolute mount path. */
  readonly mountPath: string;
  /**
   * Whether the mount is read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * A sub-path of the volume to mount.
   * @default - the volume's root
   */
  readonly subPath?: string;
}

/**
 * What an environment may be given beyond who logs in, its name, namespace and platform: the options a
 * `GoRemoteFleet` shares between developers and lets each developer override.
 */
export interface EnvironmentOptions {
  /**
   * The development image. It must follow the image contract (docs/image-contract.md); the simplest way is
   * to build `FROM` the default image.
   *
   * @default GoRemoteEnvironment.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * When to pull the image.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * The project's git repository, cloned once into `$GOPATH/src/<host>/<org>/<repo>` by an init container.
   *
   * @default - no clone
   */
  readonly git?: GitRepository;
  /**
   * Programs supervisord runs beside sshd.
   *
   * @default - sshd only
   */
  readonly programs?: Program[];
  /**
   * How much of the worker node the environment may touch.
   *
   * @default NodeAccess.none()
   */
  readonly nodeAccess?: NodeAccess;
  /**
   * CPU and memory.
   *
   * @default - requests 500m CPU and 1Gi memory, limits 2 CPU and 4Gi memory
   */
  readonly resources?: EnvironmentResources;
  /**
   * How the Service (SSH and the programs' ports) is reached: a load balancer, which alone takes source ranges,
   * a node port, or inside the cluster only.
   *
   * @default ServiceExposure.loadBalancer(); in a `GoRemoteFleet`, a load balancer admitting `sshSourceCidrs`, or
   *   `ServiceExposure.clusterIp()` without them
   */
  readonly exposure?: ServiceExposure;
  /**
   * The persistent workspace volume.
   *
   * @default - a 10Gi ReadWriteOnce PersistentVolumeClaim of the default StorageClass
   */
  readonly workspace?: WorkspaceOptions;
  /**
   * Environment variables for the container, its programs and SSH login shells.
   *
   * @default - none beyond the Go variables the environment sets
   */
  readonly env?: { [name: string]: string };
  /**
   * Extra volumes for the development container.
   *
   * @default - none
   */
  readonly volumes?: EnvironmentVolume[];
  /**
   * Node labels the pod must match (`nodeSelector`).
   *
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * A node to pin the pod to (`nodeName`), bypassing the scheduler.
   *
   * @default - scheduled
   */
  readonly nodeName?: string;
  /**
   * Tolerations, for nodes with taints.
   *
   * @default - none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Affinity rules.
   *
   * @default - none
   */
  readonly affinity?: k8s.Affinity;
  /**
   * The name of an existing Secret holding SSH host keys (`ssh_host_ed25519_key`, and optionally
   * `ssh_host_ecdsa_key` and `ssh_host_rsa_key`), for a host identity managed outside the cluster (Sealed
   * Secrets, External Secrets). The keys never appear in the manifests.
   *
   * The Secret may also hold host certificates, `ssh_host_<type>_key-cert.pub`, which sshd then presents
   * (`HostCertificate`); a Secret holding only certificates certifies the keys generated on the workspace.
   * The entrypoint checks each certificate against its key at start.
   *
   * @default - keys generated once on first start and kept on the workspace volume
   */
  readonly hostKeysSecret?: string;
  /**
   * The public key of the CA that signs the environment's host certificates (the line of its `.pub` file),
   * for the client files: known_hosts gets `@cert-authority <alias> <key>`. It is written to the Deployment's
   * annotation `go-remote.cdk8s.io/host-certificate-authority` for the `cdk8s-go-remote` command. The CA's
   * private key is never needed in the cluster: sign where it lives, with the principals
   * `ClientFiles.hostCertificatePrincipals` names, and put the certificates into `hostKeysSecret`.
   *
   * @default - no host CA: clients verify the host keys themselves
   */
  readonly hostCertificateAuthority?: string;
  /**
   * How the environment talks to the Kubernetes API: not at all, with its own ServiceAccount token and what is
   * granted to it (and idle stop), with a kubeconfig Secret, or as an impersonated workload's ServiceAccount.
   *
   * @default ApiAccess.none()
   * @see docs/guides/api-access.md
   */
  readonly apiAccess?: ApiAccess;
  /**
   * Admission webhook development: a program served over HTTPS to the API server through a ClusterIP Service
   * `<name>--webhook` (443 → the program's port), with a serving certificate from cert-manager or OpenShift's
   * service CA mounted at `GoRemoteEnvironment.WEBHOOK_CERT_DIR`, and optionally the webhook configuration.
   *
   * @default - no webhook
   * @see docs/guides/webhook-development.md
   */
  readonly webhook?: WebhookOptions;
  /**
   * The environment's own NetworkPolicy `<name>`: SSH only from given CIDRs, each program's port only from the
   * peers named for it. On a LoadBalancer or NodePort Service it also sets `externalTrafficPolicy: Local`, so
   * the policy sees the clients' addresses.
   *
   * @default - no NetworkPolicy of the environment's own
   * @see docs/guides/network-policies.md
   */
  readonly networkPolicy?: EnvironmentNetworkPolicyOptions;
  /**
   * Runs the pod with an existing workload's labels, so that the network policies written for that workload
   * apply to the pod. A deliberate risk: see `WorkloadImpersonation`. Its ServiceAccount is
   * `ApiAccess.impersonatedServiceAccount`.
   *
   * @default - the environment's own labels only
   * @see docs/guides/network-policies.md
   */
  readonly impersonation?: WorkloadImpersonation;
}

/**
 * Properties of a `GoRemoteEnvironment`.
 */
export interface GoRemoteEnvironmentProps extends EnvironmentOptions {
  /**
   * OpenSSH public keys allowed to log in (the lines of `~/.ssh/id_ed25519.pub` and the like).
   * Login is key-only. Changing the list restarts the pod.
   */
  readonly authorizedKeys: string[];
  /**
   * The base name of every object the environment creates (`<name>`, `<name>-config`, `<name>-workspace`).
   * A DNS-1035 label of at most 40 characters.
   *
   * @default - derived from the construct path, unique in the app (`Names.toDnsLabel`)
   */
  readonly name?: string;
  /**
   * The namespace of every namespaced object.
   *
   * @default - the chart's namespace; none when the chart has none
   */
  readonly namespace?: string;
  /**
   * The kind of cluster.
   *
   * @default Platform.KUBERNETES
   */
  readonly platform?: Platform;
}

// ---- the fleet ----

/**
 * How a fleet places its environments in namespaces.
 */
export enum NamespaceMode {
  /**
   * One namespace per developer, `<namespace>--<developer>`, each with its own quota, limits and network
   * policies: a developer's pod never shares a namespace (or a Pod Security level) with another's.
   */
  PER_DEVELOPER = 'per-developer',
  /**
   * One namespace, `<namespace>`, shared by every developer of the team. Its quota is the per-environment
   * quota times the number of developers, and its Pod Security level is the widest its developers' environments
   * need (`GoRemoteEnvironment.podSecurityLevel`: `privileged` as soon as one has host or capability node access).
   */
  SHARED = 'shared',
}

/**
 * One developer of a fleet: who logs in, and what differs from the fleet's `defaults`.
 */
export interface Developer extends EnvironmentOptions {
  /**
   * The developer's name: the name of every object of their environment (`<name>`, `<name>-config`,
   * `<name>-workspace`) and, with `NamespaceMode.PER_DEVELOPER`, the suffix of their namespace. A DNS-1035
   * label of at most 40 characters, unique in the fleet. It is public contract: renaming a developer makes a
   * GitOps tool delete the environment and create a new one (the old workspace is kept, not reused).
   */
  readonly name: string;

  /**
   * The developer's OpenSSH public keys.
   */
  readonly authorizedKeys: string[];
}

/**
 * The ResourceQuota of each namespace, given per environment: a namespace's quota is each value times the
 * number of environments in it. Every environment's own requests, limits and workspace size must fit in
 * these values, which is checked at construction.
 *
 * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
export interface FleetQuota {
  /**
   * CPU requests per environment (`requests.cpu`).
   * @default Cpu.units(1)
   */
  readonly cpuRequests?: Cpu;
  /**
   * CPU limits per environment (`limits.cpu`).
   * @default Cpu.units(4)
   */
  readonly cpuLimits?: Cpu;
  /**
   * Memory requests per environment (`requests.memory`).
   * @default Size.gibibytes(2)
   */
  readonly memoryRequests?: Size;
  /**
   * Memory limits per environment (`limits.memory`).
   * @default Size.gibibytes(8)
   */
  readonly memoryLimits?: Size;
  /**
   * Storage requested by PersistentVolumeClaims per environment (`requests.storage`).
   * @default Size.gibibytes(20)
   */
  readonly storage?: Size;
  /**
   * PersistentVolumeClaims per environment (`persistentvolumeclaims`).
   * @default 2
   */
  readonly persistentVolumeClaims?: number;
  /**
   * Pods per environment (`pods`).
   * @default 2
   */
  readonly pods?: number;
}

/**
 * The LimitRange of each namespace: what a container that declares no resources gets. The environments
 * declare theirs; the LimitRange is there so that any other pod in a namespace with a CPU and memory quota
 * is admitted with bounded resources instead of being refused.
 *
 * @see https://kubernetes.io/docs/concepts/policy/limit-range/
 */
export interface FleetContainerDefaults {
  /**
   * CPU request of a container that declares none.
   * @default Cpu.millis(100)
   */
  readonly cpuRequest?: Cpu;
  /**
   * CPU limit of a container that declares none.
   * @default Cpu.units(1)
   */
  readonly cpuLimit?: Cpu;
  /**
   * Memory request of a container that declares none.
   * @default Size.mebibytes(128)
   */
  readonly memoryRequest?: Size;
  /**
   * Memory limit of a container that declares none.
   * @default Size.mebibytes(512)
   */
  readonly memoryLimit?: Size;
}

/**
 * Properties of a `GoRemoteFleet`.
 */
export interface GoRemoteFleetProps {
  /**
   * The team's namespace: with `NamespaceMode.SHARED` the namespace itself, with
   * `NamespaceMode.PER_DEVELOPER` the prefix of each developer's namespace (`<namespace>--<developer>`). It may not contain `--`.
   * A DNS-1123 label; `default`, `kube-*` and `openshift*` are refused.
   */
  readonly namespace: string;

  /**
   * The team's developers, one environment each.
   */
  readonly developers: Developer[];

  /**
   * One namespace per developer, or one shared namespace.
   * @default NamespaceMode.PER_DEVELOPER
   */
  readonly namespaceMode?: NamespaceMode;

  /**
   * The kind of cluster, for every environment of the fleet.
   * @default Platform.KUBERNETES
   */
  readonly platform?: Platform;

  /**
   * What every environment gets unless its developer overrides it.
   * @default - the GoRemoteEnvironment defaults
   */
  readonly defaults?: EnvironmentOptions;

  /**
   * The ResourceQuota, per environment.
   * @default - requests 1 CPU / 2Gi, limits 4 CPU / 8Gi, 20Gi storage, 2 PVCs and 2 pods per environment
   */
  readonly quota?: FleetQuota;

  /**
   * The LimitRange's defaults for containers that declare no resources.
   * @default - requests 100m CPU / 128Mi, limits 1 CPU / 512Mi
   */
  readonly containerDefaults?: FleetContainerDefaults;

  /**
   * Client CIDRs allowed to reach SSH (port 2222): the `from` of the SSH NetworkPolicy and the default
   * `sourceRanges` of load-balanced environments. With them, an environment without an `exposure` of its own
   * gets a load balancer admitting these CIDRs only; without them, a ClusterIP Service (no public entry point:
   * connect through `kubectl port-forward` or `kubectl exec`). A NetworkPolicy sees the client address only when
   * the path keeps it (`externalTrafficPolicy: Local`, or a load balancer that does not SNAT); otherwise include
   * the nodes' CIDRs.
   *
   * @default - no public entry point: ClusterIP Services, and the SSH NetworkPolicy admits any in-cluster source
   */
  readonly sshSourceCidrs?: string[];

  /**
   * Restricts the environments' egress to DNS (UDP and TCP ports 53 and 5353, any destination) and these
   * CIDRs (any port): for example the git host's addresses and the module proxy's. NetworkPolicies cannot
   * name hosts. An empty list allows DNS only.
   *
   * @default - all egress allowed
   */
  readonly egressCidrs?: string[];
}

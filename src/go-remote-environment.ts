import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, Lazy, Names } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ApiAccessRules, ApiGrant, ApiResource, GrantScope, KUBECONFIG_VOLUME, KubeconfigSecret, READ_VERBS, READ_WRITE_VERBS, kubeconfigMount, validateKubeconfig } from './api-access';
import { renderAuthorizedKeys } from './authorized-keys';
import { HOST_CA_ANNOTATION, checkHostCertificateAuthority } from './client-files';
import { clusterScoped } from './cluster-scoped';
import { CLONE_SCRIPT, GitRepository, ResolvedGitRepository, cloneEnvironment, resolveGitRepository } from './git-repository';
import { idleStopEnv, idleStopProgram, idleStopRule, validateIdleStop } from './idle-stop';
import { SecurityContextConstraints } from './imports/openshift-security';
import { annotateLintExemptions } from './lint-exemptions';
import {
  EnvironmentNetworkPolicyOptions, WorkloadImpersonation, createEnvironmentNetworkPolicy, validateImpersonation, validateNetworkPolicy,
} from './network-policy';
import { HostPathType, NodeAccess, NodeAccessSettings } from './node-access';
import { Paths } from './paths';
import { Platform } from './platform';
import { PodSecurityLevel, podSecurityLevelOf } from './pod-security';
import { Program, SSH_PORT, validatePrograms } from './program';
import { createEnvironmentScc, defaultSccFor } from './scc';
import { renderSshdConfig } from './sshd-config';
import { renderSupervisordConfig } from './supervisord-config';
import {
  Problems, checkAbsolutePath, checkCidr, checkDns1035Label, checkDnsLabel, checkDnsSubdomain, checkEnvName, checkLabels, checkQuantity,
} from './validation';
import { IMAGE_REPOSITORY, PACKAGE_VERSION } from './version';
import { ResolvedWebhook, WEBHOOK_VOLUME, WebhookOptions, createWebhookObjects, resolveWebhook, webhookPodParts } from './webhook';
import { WorkspaceOptions, createWorkspaceClaim, validateWorkspace } from './workspace';

/**
 * The image used when `image` is not set: the dev image the release of this very package version published,
 * `ghcr.io/cdk8s-go-remote/go-remote:<package version>`.
 */
export const DEFAULT_IMAGE = `${IMAGE_REPOSITORY}:${PACKAGE_VERSION}`;

/** UID and GID of the image's user on Kubernetes. */
export const DEFAULT_UID = 1000;

/**
 * How the environment's Service is reached.
 * @see https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types
 */
export enum ServiceType {
  /** An external load balancer (the default, as in the original go-remote). */
  LOAD_BALANCER = 'LoadBalancer',
  /** A port on every node. */
  NODE_PORT = 'NodePort',
  /** Inside the cluster only: connect with `kubectl port-forward`. */
  CLUSTER_IP = 'ClusterIP',
}

/**
 * When the kubelet pulls the image.
 */
export enum ImagePullPolicy {
  /** Always pull. */
  ALWAYS = 'Always',
  /** Pull only when the node does not have it. */
  IF_NOT_PRESENT = 'IfNotPresent',
  /** Never pull. */
  NEVER = 'Never',
}

/**
 * CPU and memory for the development container (and the clone init container).
 */
export interface EnvironmentResources {
  /** @default '500m' */
  readonly cpuRequest?: string;
  /** @default '2' */
  readonly cpuLimit?: string;
  /** @default '1Gi' */
  readonly memoryRequest?: string;
  /** @default '4Gi' */
  readonly memoryLimit?: string;
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
   * @default DEFAULT_IMAGE
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
   * How the Service is reached.
   *
   * @default ServiceType.LOAD_BALANCER
   */
  readonly serviceType?: ServiceType;
  /**
   * Client CIDRs the load balancer admits (`loadBalancerSourceRanges`). Only with `ServiceType.LOAD_BALANCER`.
   *
   * @default - any address the load balancer accepts (SSH still requires a declared key)
   */
  readonly sourceRanges?: string[];
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
   * Whether the ServiceAccount token is mounted, so that `kubectl` in the environment acts as the
   * environment's ServiceAccount (with exactly the permissions of its Role and of the `grant*` calls).
   *
   * @default - mounted only when the environment needs API access: when `idleStop` is set, or when permissions
   *   were granted (`grant*`) and no `kubeconfig` is mounted; otherwise not mounted
   */
  readonly serviceAccountToken?: boolean;
  /**
   * A Secret holding a kubeconfig (the original go-remote's way to reach the API), mounted read-only at
   * `/etc/go-remote/kubeconfig/config` with `KUBECONFIG` pointing at it, for `kubectl` and client-go in SSH
   * sessions and programs. The ServiceAccount token is then not mounted unless `serviceAccountToken` is true
   * or `idleStop` needs it. See docs/guides/api-access.md.
   *
   * @default - no kubeconfig: the ServiceAccount token, when mounted, is the environment's API identity
   */
  readonly kubeconfig?: KubeconfigSecret;
  /**
   * Stop the environment after this long without an SSH session: a supervisord program scales the
   * environment's own Deployment to 0 replicas, with a Role rule limited to `deployments/scale` of that one
   * Deployment (and the ServiceAccount token mounted). Scale it back up with
   * `kubectl scale deployment/<name> --replicas=1`. Under GitOps, make the controller ignore `/spec/replicas`
   * (`GitOps.ignoreReplicaDifferences()`), or it scales the environment back up. Whole seconds, from 1 minute
   * to 30 days; sessions are looked for every 30 seconds. Not with `impersonation.serviceAccountName`. See
   * docs/guides/api-access.md.
   *
   * @default - never stopped
   */
  readonly idleStop?: Duration;
  /**
   * Admission webhook development: a program served over HTTPS to the API server through a ClusterIP Service
   * `<name>-webhook` (443 → the program's port), with a serving certificate from cert-manager or OpenShift's
   * service CA mounted at `WEBHOOK_CERT_DIR`, and optionally the webhook configuration.
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
   * Runs the pod with an existing workload's labels (and optionally its ServiceAccount), so that the network
   * policies written for that workload apply to the pod. A deliberate risk: see `WorkloadImpersonation`.
   *
   * @default - the environment's own labels and ServiceAccount only
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

/** Variables the environment sets itself; `env` may not override them. */
const RESERVED_ENV = /^(GO_REMOTE_.*|GOPATH|GOMODCACHE|GOCACHE|HOME)$/;
/** Volume names and mount paths the environment uses itself. */
const RESERVED_VOLUMES = new Set(['workspace', 'config', 'run', 'host-keys', 'git-credentials', KUBECONFIG_VOLUME, WEBHOOK_VOLUME]);
const RESERVED_MOUNT_ROOTS = [Paths.WORKSPACE, '/etc/go-remote', Paths.RUN_DIR];

/**
 * A remote Go development environment: a pod whose supervisord runs sshd on port 2222 (for VS Code
 * Remote-SSH) and the declared programs, the project's repository cloned into a persistent workspace, a
 * Service to reach it, and exactly the identity and permissions it needs.
 *
 * Objects (construct id → kind, name):
 * - `ServiceAccount` → ServiceAccount `<name>`
 * - `Role`, `RoleBinding` → Role and RoleBinding `<name>` (the ServiceAccount's only permissions)
 * - `ClusterRole`, `ClusterRoleBinding` → `go-remote-<namespace>-<name>` (after a cluster-wide grant only)
 * - `Scc` → SecurityContextConstraints `go-remote-<namespace>-<name>` (OpenShift, when no default SCC in
 *   the library's table admits the pod)
 * - `SccRoleBinding` → RoleBinding `<name>-scc-<scc>` to ClusterRole `system:openshift:scc:<scc>` (OpenShift,
 *   when a default SCC other than restricted-v2 admits the pod, such as hostnetwork-v2)
 * - `Config` → ConfigMap `<name>-config` (`supervisord.conf`, `sshd_config`, `authorized_keys`)
 * - `Workspace` → PersistentVolumeClaim `<name>-workspace`, protected from GitOps pruning
 * - `Deployment` → Deployment `<name>` (one replica, `Recreate`)
 * - `Service` → Service `<name>` (port 2222 `ssh`, plus program ports)
 * - `WebhookService` → Service `<name>-webhook` (ClusterIP, 443 → the webhook program's port), with `webhook`
 * - `WebhookCertificate` → cert-manager Certificate `<name>-webhook`, with `WebhookCertificate.certManager`
 * - `WebhookConfiguration` → Validating or Mutating WebhookConfiguration `go-remote-<namespace>-<name>`, with
 *   `webhook.admission`
 * - `NetworkPolicy` → NetworkPolicy `<name>`, with `networkPolicy`
 */
export class GoRemoteEnvironment extends Construct {
  /** The base name of every object. */
  public readonly name: string;
  /** The namespace of the namespaced objects, when known at synthesis. */
  public readonly namespace?: string;
  /** The user SSH logs in as (`gopher`, or `root` with node access that runs as root). */
  public readonly sshUser: string;
  /** The SSH port (always 2222). */
  public readonly sshPort: number = SSH_PORT;
  /** The platform. */
  public readonly platform: Platform;
  /** The node access profile. */
  public readonly nodeAccess: NodeAccess;
  /** Where the repository is cloned, when one is declared. */
  public readonly checkoutPath?: string;
  /** The programs supervisord runs besides sshd. */
  public readonly programs: Program[];
  /** The OpenShift SCC the pod needs (`openshift.io/required-scc`), on OpenShift. */
  public readonly requiredScc?: string;
  /**
   * The Pod Security Standards level the pod passes, and so the least a namespace's Pod Security Admission
   * `enforce` label may allow (see docs/guides/operator-development.md): restricted without node access.
   */
  public readonly podSecurityLevel: PodSecurityLevel;
  /** The public key of the host certificate authority (`<type> <base64>`), when one is declared. */
  public readonly hostCertificateAuthority?: string;

  /** How long without an SSH session before the environment scales itself to 0, when set. */
  public readonly idleStop?: Duration;
  /** The kubeconfig Secret mounted into the environment, when one is declared. */
  public readonly kubeconfig?: KubeconfigSecret;

  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly role: k8s.KubeRole;
  public readonly roleBinding: k8s.KubeRoleBinding;
  /** The environment's own SCC (OpenShift with node access only). */
  public readonly scc?: SecurityContextConstraints;
  /** The RoleBinding granting a default OpenShift SCC to the ServiceAccount (such as hostnetwork-v2), when one suffices. */
  public readonly sccRoleBinding?: k8s.KubeRoleBinding;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly workspace: k8s.KubePersistentVolumeClaim;
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  /** The webhook's ClusterIP Service `<name>-webhook`, with `webhook`. */
  public readonly webhookService?: k8s.KubeService;
  /** The webhook's cert-manager Certificate `<name>-webhook`, with `WebhookCertificate.certManager`. */
  public readonly webhookCertificate?: ApiObject;
  /** The Validating or Mutating WebhookConfiguration `go-remote-<namespace>-<name>`, with `webhook.admission`. */
  public readonly webhookConfiguration?: ApiObject;
  /** The environment's NetworkPolicy `<name>`, with `networkPolicy`. */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;

  private readonly labels: { [key: string]: string };
  private readonly apiAccess: ApiAccessRules;
  private readonly serviceAccountTokenProp?: boolean;
  private readonly impersonatedServiceAccount?: string;
  private clusterRoleObject?: k8s.KubeClusterRole;
  private clusterRoleBindingObject?: k8s.KubeClusterRoleBinding;

  constructor(scope: Construct, id: string, props: GoRemoteEnvironmentProps) {
    super(scope, id);

    // ---- resolve and validate everything before the first object exists ----
    const problems = new Problems();
    this.platform = props.platform ?? Platform.KUBERNETES;
    this.nodeAccess = props.nodeAccess ?? NodeAccess.none();
    this.programs = props.programs ?? [];
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: 40 });
    this.namespace = props.namespace ?? (Chart.of(this).namespace || undefined);
    const access = this.nodeAccess.settings;
    this.sshUser = access.runAsRoot ? 'root' : 'gopher';

    if (props.name !== undefined || !/^[a-z]/.test(this.name)) {
      checkDns1035Label(problems, 'name', this.name, 40);
    }
    if (props.namespace !== undefined) checkDnsLabel(problems, 'namespace', props.namespace);
    if (!Object.values(Platform).includes(this.platform)) {
      problems.add('platform', this.platform, 'expected Platform.KUBERNETES or Platform.OPENSHIFT');
    }
    const authorizedKeys = renderAuthorizedKeys(problems, 'authorizedKeys', props.authorizedKeys);
    validatePrograms(problems, this.programs);
    this.nodeAccess._validate(problems, 'nodeAccess');
    let git: ResolvedGitRepository | undefined;
    if (props.git !== undefined) git = resolveGitRepository(problems, 'git', props.git);
    this.checkoutPath = git?.checkout;
    validateWorkspace(problems, 'workspace', props.workspace ?? {});
    this.validateContainerProps(problems, props);
    if (props.hostCertificateAuthority !== undefined) {
      this.hostCertificateAuthority = checkHostCertificateAuthority(problems, 'hostCertificateAuthority', props.hostCertificateAuthority);
    }
    if (props.kubeconfig !== undefined) {
      validateKubeconfig(problems, 'kubeconfig', props.kubeconfig);
      if (props.env?.KUBECONFIG !== undefined) {
        problems.add('env.KUBECONFIG', props.env.KUBECONFIG, 'is set by \'kubeconfig\'; remove one of them');
      }
    }
    if (props.idleStop !== undefined) validateIdleStop(problems, 'idleStop', props.idleStop, props.serviceAccountToken, this.programs);
    this.idleStop = props.idleStop;
    this.kubeconfig = props.kubeconfig;
    this.serviceAccountTokenProp = props.serviceAccountToken;
    this.impersonatedServiceAccount = props.impersonation?.serviceAccountName;
    this.podSecurityLevel = podSecurityLevelOf(access,
      (props.volumes ?? []).flatMap(v => Object.keys(v.volume ?? {}).filter(k => k !== 'name')));
    const defaultScc = this.platform === Platform.OPENSHIFT ? defaultSccFor(access) : undefined;
    const openShiftScc = this.platform === Platform.OPENSHIFT && defaultScc === undefined;
    if (openShiftScc && this.namespace === undefined) {
      problems.add('namespace', this.namespace, 'expected a namespace: node access on OpenShift gets its own cluster-scoped SCC, named after the namespace');
    }
    let webhook: ResolvedWebhook | undefined;
    if (props.webhook !== undefined) {
      webhook = resolveWebhook(problems, 'webhook', props.webhook, { name: this.name, namespace: this.namespace, platform: this.platform, programs: this.programs });
    }
    if (props.networkPolicy !== undefined) {
      validateNetworkPolicy(problems, 'networkPolicy', props.networkPolicy, this.programs, props.webhook?.program);
    }
    if (props.impersonation !== undefined) {
      validateImpersonation(problems, 'impersonation', props.impersonation);
      // Both the own SCC and a default SCC that is not everyone's are granted to the environment's
      // ServiceAccount only: a pod running as the workload's would not be admitted.
      const sccGrantedToOwnAccount = openShiftScc || (defaultScc !== undefined && !defaultScc.grantedToAllAuthenticated);
      if (props.impersonation.serviceAccountName !== undefined && sccGrantedToOwnAccount) {
        problems.add('impersonation.serviceAccountName', props.impersonation.serviceAccountName, 'cannot be combined with node access on OpenShift that needs an SCC granted to the environment\'s ServiceAccount (its own, or a default one such as hostnetwork-v2): the pod would run as the workload\'s ServiceAccount, which has no such grant, and granting it would give the real workload node access');
      }
      if (props.impersonation.serviceAccountName !== undefined && props.idleStop !== undefined) {
        problems.add('impersonation.serviceAccountName', props.impersonation.serviceAccountName, 'cannot be combined with \'idleStop\': its rule is in the environment\'s own Role, and the pod would mount the workload\'s token instead');
      }
    }
    problems.throwIfAny();

    // ---- objects ----
    const name = this.name;
    const ns = this.namespace;
    const selector = {
      'app.kubernetes.io/name': 'go-remote',
      'app.kubernetes.io/instance': name,
    };
    const labels = {
      ...selector,
      'app.kubernetes.io/component': 'development-environment',
      'app.kubernetes.io/managed-by': 'cdk8s-go-remote',
    };
    const meta = (objectName: string) => ({ name: objectName, namespace: ns, labels });
    this.labels = labels;

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta(name),
      // Read at synthesis: a grant made after construction mounts the token.
      automountServiceAccountToken: Lazy.any({ produce: () => this.serviceAccountTokenMounted }),
    });

    if (openShiftScc) {
      this.scc = createEnvironmentScc(this, 'Scc', { name: `go-remote-${ns}-${name}`, labels, access });
      this.requiredScc = this.scc.name;
    } else if (defaultScc) {
      this.requiredScc = defaultScc.name;
      if (!defaultScc.grantedToAllAuthenticated) {
        this.sccRoleBinding = new k8s.KubeRoleBinding(this, 'SccRoleBinding', {
          metadata: meta(`${name}-scc-${defaultScc.name}`),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `system:openshift:scc:${defaultScc.name}` },
          subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: ns }],
        });
      }
    }

    const fixedRules: k8s.PolicyRule[] = [];
    if (this.scc) {
      fixedRules.push({
        apiGroups: ['security.openshift.io'],
        resources: ['securitycontextconstraints'],
        resourceNames: [this.scc.name],
        verbs: ['use'],
      });
    }
    if (props.idleStop !== undefined) fixedRules.push(idleStopRule(name));
    this.apiAccess = new ApiAccessRules(fixedRules);
    this.role = new k8s.KubeRole(this, 'Role', {
      metadata: meta(name),
      // No rules at all rather than `rules: []`: the API server drops an empty list, so `[]` would differ
      // from the stored object at every GitOps re-apply. Read at synthesis, so later grants are emitted.
      rules: Lazy.any({ produce: () => this.apiAccess.roleRules() }),
    });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta(name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: ns }],
    });

    const defaultDirectory = git?.checkout ?? Paths.WORKSPACE;
    const configData: { [key: string]: string } = {
      'authorized_keys': authorizedKeys,
      'sshd_config': renderSshdConfig({ user: this.sshUser, root: access.runAsRoot }),
      'supervisord.conf': renderSupervisordConfig(props.idleStop ? [...this.programs, idleStopProgram()] : this.programs, defaultDirectory),
    };
    if (git?.knownHosts) configData.known_hosts = git.knownHosts;
    this.configMap = new k8s.KubeConfigMap(this, 'Config', { metadata: meta(`${name}-config`), data: configData });

    this.workspace = createWorkspaceClaim(this, 'Workspace', {
      name: `${name}-workspace`,
      namespace: ns,
      labels,
      options: { ...props.workspace },
    });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: this.hostCertificateAuthority
        ? { ...meta(name), annotations: { [HOST_CA_ANNOTATION]: this.hostCertificateAuthority } }
        : meta(name),
      spec: {
        replicas: 1,
        // The workspace volume has one writer: never run two pods at once.
        strategy: { type: 'Recreate' },
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            // Impersonated labels may replace the component and managed-by labels, never the selector's
            // (validateImpersonation refuses those keys).
            labels: { ...labels, ...props.impersonation?.podLabels },
            annotations: this.podAnnotations(configData),
          },
          spec: this.podSpec(props, git, access, webhook),
        },
      },
    });

    const servicePorts: k8s.ServicePort[] = [
      { name: 'ssh', port: SSH_PORT, targetPort: k8s.IntOrString.fromNumber(SSH_PORT), protocol: 'TCP' },
    ];
    for (const p of this.programs) {
      if (p.port !== undefined && p.expose !== false) {
        servicePorts.push({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromNumber(p.port), protocol: 'TCP' });
      }
    }
    const serviceType = props.serviceType ?? ServiceType.LOAD_BALANCER;
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: meta(name),
      spec: {
        type: serviceType,
        selector,
        ports: servicePorts,
        loadBalancerSourceRanges: props.sourceRanges,
        // The environment's NetworkPolicy admits SSH by client address, which only a Local policy keeps.
        externalTrafficPolicy: props.networkPolicy && serviceType !== ServiceType.CLUSTER_IP ? 'Local' : undefined,
      },
    });
    // The findings kube-score and Checkov raise on purpose, as their own exemption annotations with a reason.
    annotateLintExemptions(this.deployment, this.service, serviceType, {
      nodeAccess: access,
      platform: this.platform,
      image: props.image ?? DEFAULT_IMAGE,
      imagePullPolicy: props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT,
    }, () => this.serviceAccountTokenMounted);

    if (webhook) {
      const objects = createWebhookObjects(this, webhook, { name, namespace: ns!, labels, selector });
      this.webhookService = objects.service;
      this.webhookCertificate = objects.certificate;
      this.webhookConfiguration = objects.configuration;
    }
    if (props.networkPolicy) {
      this.networkPolicy = createEnvironmentNetworkPolicy(this, 'NetworkPolicy', {
        name, namespace: ns, labels, selector, options: props.networkPolicy, sourceRanges: props.sourceRanges, programs: this.programs,
      });
    }
  }

  /**
   * Whether the ServiceAccount token is mounted: `serviceAccountToken` when set, else whether the environment
   * needs API access (`idleStop`, or grants without a `kubeconfig`). Final once every grant is made.
   */
  public get serviceAccountTokenMounted(): boolean {
    return this.serviceAccountTokenProp
      ?? (this.idleStop !== undefined || (this.kubeconfig === undefined && this.apiAccess.hasGrants));
  }

  /** The ClusterRole `go-remote-<namespace>-<name>`, once a cluster-wide grant was made. */
  public get clusterRole(): k8s.KubeClusterRole | undefined {
    return this.clusterRoleObject;
  }

  /** The ClusterRoleBinding `go-remote-<namespace>-<name>`, once a cluster-wide grant was made. */
  public get clusterRoleBinding(): k8s.KubeClusterRoleBinding | undefined {
    return this.clusterRoleBindingObject;
  }

  /**
   * Grants the environment's ServiceAccount `verbs` on `resources`, in its namespace (a rule of its Role) or
   * cluster-wide (a rule of the ClusterRole `go-remote-<namespace>-<name>`, created with its binding at the
   * first cluster-wide grant). One rule per API group, so nothing wider than declared; no wildcards. The
   * ServiceAccount token is mounted unless `serviceAccountToken` is false (refused) or a `kubeconfig` is
   * mounted (refused unless `serviceAccountToken` is true). Refused with `impersonation.serviceAccountName`: the pod
   * would not run as the ServiceAccount granted. Grants made any time before synthesis count.
   */
  public grant(grant: ApiGrant): void {
    const problems = new Problems();
    if (this.serviceAccountTokenProp === false) {
      problems.add('serviceAccountToken', false, 'but a grant needs the ServiceAccount token mounted; remove \'serviceAccountToken: false\' or the grant');
    } else if (this.kubeconfig !== undefined && this.serviceAccountTokenProp !== true) {
      problems.add('kubeconfig', this.kubeconfig.secretName, 'is mounted as KUBECONFIG, so the ServiceAccount\'s grants would go unused; grant the kubeconfig\'s user instead, or set \'serviceAccountToken: true\' to mount both');
    }
    if (this.impersonatedServiceAccount !== undefined) {
      problems.add('impersonation.serviceAccountName', this.impersonatedServiceAccount, 'but grants go to the environment\'s own ServiceAccount, which the pod does not run as (a grant would only mount the workload\'s token); grant the workload\'s ServiceAccount yourself, or remove serviceAccountName');
    }
    const cluster = grant?.scope === GrantScope.CLUSTER;
    if (cluster && this.namespace === undefined) {
      problems.add('namespace', this.namespace, 'expected a namespace: a cluster-wide grant creates a ClusterRole named after the namespace');
    }
    problems.throwIfAny();
    this.apiAccess.add('grant', grant);
    if (cluster && this.clusterRoleObject === undefined) this.createClusterRole();
  }

  /** Grants get, list and watch on `resources` in the environment's namespace. */
  public grantRead(...resources: ApiResource[]): void {
    this.grant({ resources, verbs: READ_VERBS });
  }

  /** Grants get, list, watch, create, update, patch and delete on `resources` in the environment's namespace. */
  public grantReadWrite(...resources: ApiResource[]): void {
    this.grant({ resources, verbs: READ_WRITE_VERBS });
  }

  /** Grants get, list and watch on `resources` in every namespace (and on cluster-scoped resources). */
  public grantClusterRead(...resources: ApiResource[]): void {
    this.grant({ resources, verbs: READ_VERBS, scope: GrantScope.CLUSTER });
  }

  /** Grants get, list, watch, create, update, patch and delete on `resources` in every namespace. */
  public grantClusterReadWrite(...resources: ApiResource[]): void {
    this.grant({ resources, verbs: READ_WRITE_VERBS, scope: GrantScope.CLUSTER });
  }

  private createClusterRole(): void {
    const name = `go-remote-${this.namespace}-${this.name}`;
    this.clusterRoleObject = new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name, labels: this.labels },
      rules: Lazy.any({ produce: () => this.apiAccess.clusterRoleRules() }),
    });
    this.clusterRoleBindingObject = new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name, labels: this.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: this.clusterRoleObject.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: this.namespace }],
    });
    clusterScoped(this.clusterRoleObject);
    clusterScoped(this.clusterRoleBindingObject);
  }

  private validateContainerProps(problems: Problems, props: GoRemoteEnvironmentProps): void {
    if (props.image !== undefined && (props.image === '' || /[\s\u0000-\u001f]/.test(props.image))) {
      problems.add('image', props.image, 'expected an image reference such as \'registry.example.com/team/go-remote:1.0\'');
    }
    if (props.imagePullPolicy !== undefined && !Object.values(ImagePullPolicy).includes(props.imagePullPolicy)) {
      problems.add('imagePullPolicy', props.imagePullPolicy, 'expected an ImagePullPolicy');
    }
    const r = props.resources ?? {};
    for (const key of ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const) {
      if (r[key] !== undefined) checkQuantity(problems, `resources.${key}`, r[key]!);
    }
    const serviceType = props.serviceType ?? ServiceType.LOAD_BALANCER;
    if (!Object.values(ServiceType).includes(serviceType)) {
      problems.add('serviceType', serviceType, 'expected a ServiceType');
    }
    if (props.sourceRanges !== undefined) {
      if (serviceType !== ServiceType.LOAD_BALANCER) {
        problems.add('sourceRanges', props.sourceRanges, `only applies to ServiceType.LOAD_BALANCER, but serviceType is ${serviceType}`);
      }
      props.sourceRanges.forEach((cidr, i) => checkCidr(problems, `sourceRanges[${i}]`, cidr));
    }
    for (const key of Object.keys(props.env ?? {})) {
      if (checkEnvName(problems, 'env', key) && RESERVED_ENV.test(key)) {
        problems.add('env', key, 'is set by the environment itself (GOPATH, GOCACHE, GOMODCACHE, HOME and GO_REMOTE_*); choose another name');
      }
    }
    const reservedMount = (path: string) => path === '/' || RESERVED_MOUNT_ROOTS.some(root => path === root || path.startsWith(`${root}/`));
    const reservedMountExpected = `expected a path outside ${RESERVED_MOUNT_ROOTS.join(', ')}, which the environment mounts itself`;
    // Node paths and extra volumes share the container's mount paths: the API server refuses a path mounted twice.
    const mountPaths = new Set<string>();
    this.nodeAccess.settings.hostPaths.forEach((h, i) => {
      if (typeof h.mountPath !== 'string') return; // reported by NodeAccess
      if (reservedMount(h.mountPath)) problems.add(`nodeAccess.hostPaths[${i}].mountPath`, h.mountPath, reservedMountExpected);
      mountPaths.add(h.mountPath);
    });
    const volumeNames = new Set<string>();
    (props.volumes ?? []).forEach((v, i) => {
      const at = `volumes[${i}]`;
      const volumeName = v.volume?.name;
      checkDnsLabel(problems, `${at}.volume.name`, volumeName);
      if (RESERVED_VOLUMES.has(volumeName) || /^node-\d+$/.test(volumeName)) {
        problems.add(`${at}.volume.name`, volumeName, 'is used by the environment itself; choose another name');
      } else if (volumeNames.has(volumeName)) {
        problems.add(`${at}.volume.name`, volumeName, 'expected a unique volume name');
      }
      volumeNames.add(volumeName);
      if (v.volume?.hostPath !== undefined) {
        problems.add(`${at}.volume.hostPath`, v.volume.hostPath.path, 'is refused: declare node paths with nodeAccess (NodeAccess.withHostPath) so that they are scoped and admitted');
      }
      if (checkAbsolutePath(problems, `${at}.mountPath`, v.mountPath)) {
        if (reservedMount(v.mountPath)) {
          problems.add(`${at}.mountPath`, v.mountPath, reservedMountExpected);
        } else if (mountPaths.has(v.mountPath)) {
          problems.add(`${at}.mountPath`, v.mountPath, 'expected a mount path of its own: a node path or another volume is mounted there');
        }
        mountPaths.add(v.mountPath);
      }
    });
    if (props.nodeSelector !== undefined) checkLabels(problems, 'nodeSelector', props.nodeSelector, false);
    if (props.nodeName !== undefined) checkDnsSubdomain(problems, 'nodeName', props.nodeName);
    if (props.hostKeysSecret !== undefined) checkDnsSubdomain(problems, 'hostKeysSecret', props.hostKeysSecret);
  }

  private podAnnotations(configData: { [key: string]: string }): { [key: string]: string } {
    // A change of keys or configuration restarts the pod, which is when the entrypoint reads them.
    const hash = createHash('sha256');
    for (const key of Object.keys(configData).sort()) hash.update(`${key}\0${configData[key]}\0`);
    const annotations: { [key: string]: string } = { 'go-remote.cdk8s.io/config-hash': hash.digest('hex').slice(0, 16) };
    if (this.requiredScc) annotations['openshift.io/required-scc'] = this.requiredScc;
    return annotations;
  }

  private podSpec(
    props: GoRemoteEnvironmentProps, git: ResolvedGitRepository | undefined, access: NodeAccessSettings, webhook?: ResolvedWebhook,
  ): k8s.PodSpec {
    const openShift = this.platform === Platform.OPENSHIFT;
    const r = props.resources ?? {};
    const resources: k8s.ResourceRequirements = {
      requests: {
        cpu: k8s.Quantity.fromString(r.cpuRequest ?? '500m'),
        memory: k8s.Quantity.fromString(r.memoryRequest ?? '1Gi'),
      },
      limits: {
        cpu: k8s.Quantity.fromString(r.cpuLimit ?? '2'),
        memory: k8s.Quantity.fromString(r.memoryLimit ?? '4Gi'),
      },
    };
    const image = props.image ?? DEFAULT_IMAGE;
    const imagePullPolicy = props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;

    const env: k8s.EnvVar[] = [
      { name: 'GO_REMOTE_USER', value: this.sshUser },
      { name: 'GO_REMOTE_HOME', value: Paths.HOME },
      { name: 'GO_REMOTE_WORKSPACE', value: Paths.WORKSPACE },
      { name: 'GO_REMOTE_CONFIG_DIR', value: Paths.CONFIG_DIR },
      { name: 'GO_REMOTE_RUN_DIR', value: Paths.RUN_DIR },
      { name: 'GO_REMOTE_HOST_KEYS_DIR', value: Paths.HOST_KEYS_SECRET_DIR },
      { name: 'HOME', value: Paths.HOME },
      { name: 'GOPATH', value: Paths.GOPATH },
      { name: 'GOMODCACHE', value: Paths.GOMODCACHE },
      { name: 'GOCACHE', value: Paths.GOCACHE },
    ];
    if (git) env.push({ name: 'GO_REMOTE_CHECKOUT', value: git.checkout });
    if (props.idleStop) env.push(...idleStopEnv(props.idleStop, this.name));
    const kubeconfig = props.kubeconfig ? kubeconfigMount(props.kubeconfig) : undefined;
    if (kubeconfig) env.push(kubeconfig.env);
    const webhookParts = webhook ? webhookPodParts(webhook) : undefined;
    if (webhookParts) env.push(webhookParts.env);
    // The user's variables last, so that they may refer to the environment's own as $(NAME).
    for (const [key, value] of Object.entries(props.env ?? {})) env.push({ name: key, value });

    // Non-root, nothing escalates, every capability dropped unless the node access profile adds one.
    const restricted: k8s.SecurityContext = {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: false, // a development container installs tools and writes caches
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    };
    const devSecurity: k8s.SecurityContext = access.privileged
      ? { privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, runAsNonRoot: false, runAsUser: 0 }
      : { ...restricted, runAsNonRoot: !access.runAsRoot, runAsUser: access.runAsRoot ? 0 : undefined, capabilities: { drop: ['ALL'], add: access.capabilities.length ? [...access.capabilities] : undefined } };

    const podSecurity: k8s.PodSecurityContext = {
      seccompProfile: { type: 'RuntimeDefault' },
      runAsNonRoot: access.runAsRoot ? undefined : true,
      // On OpenShift the SCC assigns UID, GID and fsGroup from the namespace's range.
      runAsUser: openShift || access.runAsRoot ? undefined : DEFAULT_UID,
      runAsGroup: openShift || access.runAsRoot ? undefined : DEFAULT_UID,
      fsGroup: openShift || access.runAsRoot ? undefined : DEFAULT_UID,
      // Only the first mount changes ownership: later starts keep the modes sshd's StrictModes checks.
      fsGroupChangePolicy: 'OnRootMismatch',
    };

    const configMount: k8s.VolumeMount = { name: 'config', mountPath: Paths.CONFIG_DIR, readOnly: true };
    const workspaceMount: k8s.VolumeMount = { name: 'workspace', mountPath: Paths.WORKSPACE };
    const mounts: k8s.VolumeMount[] = [workspaceMount, configMount, { name: 'run', mountPath: Paths.RUN_DIR }];
    const volumes: k8s.Volume[] = [
      { name: 'workspace', persistentVolumeClaim: { claimName: this.workspace.name } },
      { name: 'config', configMap: { name: this.configMap.name } },
      { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ];
    if (props.hostKeysSecret) {
      mounts.push({ name: 'host-keys', mountPath: Paths.HOST_KEYS_SECRET_DIR, readOnly: true });
      volumes.push({ name: 'host-keys', secret: { secretName: props.hostKeysSecret, defaultMode: 0o400, optional: false } });
    }
    if (kubeconfig) {
      mounts.push(kubeconfig.mount);
      volumes.push(kubeconfig.volume);
    }
    access.hostPaths.forEach((h, i) => {
      mounts.push({ name: `node-${i}`, mountPath: h.mountPath, readOnly: h.readOnly ?? true });
      volumes.push({ name: `node-${i}`, hostPath: { path: h.path, type: h.type ?? HostPathType.DIRECTORY } });
    });
    if (webhookParts) {
      mounts.push(webhookParts.mount);
      volumes.push(webhookParts.volume);
    }
    for (const v of props.volumes ?? []) {
      mounts.push({ name: v.volume.name, mountPath: v.mountPath, readOnly: v.readOnly, subPath: v.subPath });
      volumes.push(v.volume);
    }

    const ports: k8s.ContainerPort[] = [{ name: 'ssh', containerPort: SSH_PORT, protocol: 'TCP' }];
    for (const p of this.programs) {
      if (p.port !== undefined) ports.push({ name: p.name, containerPort: p.port, protocol: 'TCP' });
    }

    const initContainers: k8s.Container[] = [];
    if (git) {
      const cloneMounts = [workspaceMount, configMount];
      if (git.sshKeySecret) {
        cloneMounts.push({ name: 'git-credentials', mountPath: Paths.GIT_CREDENTIALS_DIR, readOnly: true });
        volumes.push({ name: 'git-credentials', secret: { secretName: git.sshKeySecret, defaultMode: 0o400, optional: false } });
      }
      initContainers.push({
        name: 'clone',
        image,
        imagePullPolicy,
        command: ['/bin/sh', '-c', CLONE_SCRIPT],
        env: [
          { name: 'HOME', value: Paths.HOME },
          { name: 'GO_REMOTE_CHECKOUT', value: git.checkout },
          ...cloneEnvironment(git),
        ],
        workingDir: Paths.WORKSPACE,
        resources,
        securityContext: { ...restricted, runAsNonRoot: !access.runAsRoot, runAsUser: access.runAsRoot ? 0 : undefined },
        volumeMounts: cloneMounts,
      });
    }

    return {
      serviceAccountName: props.impersonation?.serviceAccountName ?? this.serviceAccount.name,
      automountServiceAccountToken: Lazy.any({ produce: () => this.serviceAccountTokenMounted }),
      enableServiceLinks: false,
      securityContext: podSecurity,
      hostPid: access.hostPid || undefined,
      hostNetwork: access.hostNetwork || undefined,
      dnsPolicy: access.hostNetwork ? 'ClusterFirstWithHostNet' : undefined,
      nodeName: props.nodeName,
      nodeSelector: props.nodeSelector,
      tolerations: props.tolerations,
      affinity: props.affinity,
      initContainers: initContainers.length ? initContainers : undefined,
      containers: [{
        name: 'dev',
        image,
        imagePullPolicy,
        command: [Paths.ENTRYPOINT],
        workingDir: Paths.WORKSPACE,
        env,
        ports,
        resources,
        securityContext: devSecurity,
        volumeMounts: mounts,
        readinessProbe: {
          // No TCP probe: sshd ≥ 9.8 penalizes sources that connect without authenticating.
          exec: { command: ['supervisorctl', '-c', Paths.SUPERVISORD_CONF, 'status', 'sshd'] },
          initialDelaySeconds: 2,
          periodSeconds: 5,
          timeoutSeconds: 5,
          failureThreshold: 3,
        },
      }],
      volumes,
    };
  }
}

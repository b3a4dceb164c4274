import { ApiObject, Chart, Duration, Names } from 'cdk8s';
import { ISubject } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ApiAccess, KubeconfigSecret } from './api-access';
import { emitManifests } from './api-objects';
import { addCollisionCheck } from './collisions';
import * as contract from './contract';
import { environmentManifests } from './emit';
import { GoRemoteValidationError } from './errors';
import { ServiceExposure } from './exposure';
import { NodeAccess } from './node-access';
import { Platform } from './platform';
import { PodSecurityLevel } from './pod-security';
import { Program } from './program';
import { GoRemoteEnvironmentProps } from './props';
import { connectManifests } from './rbac';
import { ResolvedEnvironment, resolveEnvironment } from './resolve';

/** The dev image released with this package version (also `GoRemoteEnvironment.DEFAULT_IMAGE`). @internal */
export const DEFAULT_IMAGE = contract.DEFAULT_IMAGE;

/** The props key under which a fleet hands over an environment it resolved (a symbol: no JSON key, no jsii prop). */
const RESOLVED = Symbol('go-remote.resolved');

/**
 * A remote Go development environment: a pod whose supervisord runs sshd on port 2222 (for VS Code
 * Remote-SSH) and the declared programs, the project's repository cloned into a persistent workspace, a
 * Service to reach it, and exactly the identity and permissions it needs.
 *
 * Objects (construct id → kind, name):
 * - `ServiceAccount` → ServiceAccount `<name>`
 * - `Scc` → SecurityContextConstraints `go-remote.<namespace>.<name>` (OpenShift, when no default SCC in
 *   the library's table admits the pod)
 * - `SccRoleBinding` → RoleBinding `<name>--scc-<scc>` to ClusterRole `system:openshift:scc:<scc>` (OpenShift,
 *   when a default SCC other than restricted-v2 admits the pod, such as hostnetwork-v2)
 * - `Role`, `RoleBinding` → Role and RoleBinding `<name>` (the ServiceAccount's only permissions)
 * - `Config` → ConfigMap `<name>-config` (`supervisord.conf`, `sshd_config`, `authorized_keys`)
 * - `Workspace` → PersistentVolumeClaim `<name>-workspace`, protected from GitOps pruning
 * - `Deployment` → Deployment `<name>` (one replica, `Recreate`)
 * - `Service` → Service `<name>` (port 2222 `ssh`, plus the ports of programs with `expose: true`)
 * - `WebhookService` → Service `<name>--webhook` (ClusterIP, 443 → the webhook program's port), with `webhook`
 * - `WebhookCertificate` → cert-manager Certificate `<name>-webhook`, with `WebhookCertificate.certManager`
 * - `WebhookConfiguration` → Validating or Mutating WebhookConfiguration `go-remote.<namespace>.<name>`, with
 *   `webhook.admission`
 * - `NetworkPolicy` → NetworkPolicy `<name>`, with `networkPolicy`
 * - `ClusterRole`, `ClusterRoleBinding` → `go-remote.<namespace>.<name>`, after a cluster-wide grant
 * - `ConnectRole`, `ConnectRoleBinding` → Role and RoleBinding `<name>--connect`, after `grantConnect`
 *
 * Every prop is resolved and checked before the first object exists; the objects are then emitted from that
 * one resolved description, as plain manifests.
 */
export class GoRemoteEnvironment extends Construct {
  /** The image used when `image` is not set: the dev image released with this package version. */
  public static readonly DEFAULT_IMAGE: string = contract.DEFAULT_IMAGE;
  /** The SSH port of the container and the Service. */
  public static readonly SSH_PORT: number = contract.SSH_PORT;
  /** The port a headless delve conventionally listens on (what `ClientFiles` attaches VS Code to by default). */
  public static readonly DELVE_PORT: number = contract.DELVE_PORT;
  /** Where a webhook's serving certificate (`tls.crt`, `tls.key`, with cert-manager `ca.crt`) is mounted. */
  public static readonly WEBHOOK_CERT_DIR: string = contract.Paths.WEBHOOK_CERT_DIR;
  /** The variable holding `WEBHOOK_CERT_DIR` in the container, its programs and SSH sessions. */
  public static readonly WEBHOOK_CERT_DIR_ENV: string = contract.EnvVars.WEBHOOK_CERT_DIR;
  /** The port of the webhook Service, which the API server calls. */
  public static readonly WEBHOOK_SERVICE_PORT: number = contract.WEBHOOK_SERVICE_PORT;

  /** The base name of every object. */
  public readonly name: string;
  /** The namespace of the namespaced objects, when known at synthesis. */
  public readonly namespace?: string;
  /** The user SSH logs in as (`gopher`, or `root` with node access that runs as root). */
  public readonly sshUser: string;
  /** The SSH port (always 2222). */
  public readonly sshPort: number = contract.SSH_PORT;
  /** The platform. */
  public readonly platform: Platform;
  /** The node access profile. */
  public readonly nodeAccess: NodeAccess;
  /** How the Service is reached. */
  public readonly exposure: ServiceExposure;
  /** How the environment talks to the API. */
  public readonly apiAccess: ApiAccess;
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
  /** Whether the pod mounts a ServiceAccount token (its own, or an impersonated workload's). */
  public readonly serviceAccountTokenMounted: boolean;

  public readonly serviceAccount: ApiObject;
  public readonly role: ApiObject;
  public readonly roleBinding: ApiObject;
  /** The environment's own SCC (OpenShift, when no default SCC admits the pod). */
  public readonly scc?: ApiObject;
  /** The RoleBinding granting a default OpenShift SCC to the ServiceAccount (such as hostnetwork-v2), when one suffices. */
  public readonly sccRoleBinding?: ApiObject;
  public readonly configMap: ApiObject;
  public readonly workspace: ApiObject;
  public readonly deployment: ApiObject;
  public readonly service: ApiObject;
  /** The webhook's ClusterIP Service `<name>--webhook`, with `webhook`. */
  public readonly webhookService?: ApiObject;
  /** The webhook's cert-manager Certificate `<name>-webhook`, with `WebhookCertificate.certManager`. */
  public readonly webhookCertificate?: ApiObject;
  /** The Validating or Mutating WebhookConfiguration `go-remote.<namespace>.<name>`, with `webhook.admission`. */
  public readonly webhookConfiguration?: ApiObject;
  /** The environment's NetworkPolicy `<name>`, with `networkPolicy`. */
  public readonly networkPolicy?: ApiObject;
  /** The ClusterRole `go-remote.<namespace>.<name>`, after a cluster-wide grant. */
  public readonly clusterRole?: ApiObject;
  /** The ClusterRoleBinding `go-remote.<namespace>.<name>`, after a cluster-wide grant. */
  public readonly clusterRoleBinding?: ApiObject;

  private readonly resolved: ResolvedEnvironment;
  private readonly connectSubjects: object[] = [];
  private connectBinding?: ApiObject;

  constructor(scope: Construct, id: string, props: GoRemoteEnvironmentProps) {
    super(scope, id);
    // A fleet hands over the environments it resolved itself (without a construct); anyone else, props.
    let r: ResolvedEnvironment | undefined = (props as any)?.[RESOLVED];
    if (r === undefined) {
      const resolution = resolveEnvironment(props, {
        // '--' collapsed: it separates derived names (contract.NAME_SEPARATOR), which a base name may not contain.
        defaultName: props?.name === undefined ? Names.toDnsLabel(this, { maxLen: contract.NAME_MAX_LENGTH }).replace(/-{2,}/g, '-') : undefined,
        defaultNamespace: Chart.of(this).namespace,
      });
      if (resolution.problems) throw new GoRemoteValidationError(resolution.problems);
      r = resolution.environment;
    }
    addCollisionCheck(this);
    const objects = emitManifests(this, environmentManifests(r));
    const o = (constructId: string) => objects.get(constructId);

    this.name = r.name;
    this.namespace = r.namespace;
    this.sshUser = r.sshUser;
    this.platform = r.platform;
    this.nodeAccess = r.nodeAccess;
    this.exposure = r.exposure;
    this.apiAccess = r.apiAccess;
    this.checkoutPath = r.git?.checkout;
    this.programs = [...r.programs];
    this.requiredScc = r.requiredScc;
    this.podSecurityLevel = r.podSecurityLevel;
    this.hostCertificateAuthority = r.hostCertificateAuthority;
    this.idleStop = r.idleStop;
    this.kubeconfig = r.kubeconfig;
    this.serviceAccountTokenMounted = r.tokenMounted;

    this.serviceAccount = o('ServiceAccount')!;
    this.role = o('Role')!;
    this.roleBinding = o('RoleBinding')!;
    this.scc = o('Scc');
    this.sccRoleBinding = o('SccRoleBinding');
    this.configMap = o('Config')!;
    this.workspace = o('Workspace')!;
    this.deployment = o('Deployment')!;
    this.service = o('Service')!;
    this.webhookService = o('WebhookService');
    this.webhookCertificate = o('WebhookCertificate');
    this.webhookConfiguration = o('WebhookConfiguration');
    this.networkPolicy = o('NetworkPolicy');
    this.clusterRole = o('ClusterRole');
    this.clusterRoleBinding = o('ClusterRoleBinding');
    this.resolved = r;
  }

  /**
   * Lets people wake and reach this environment with their own kube credentials, as `cdk8s-go-remote connect`
   * does (`SshRoute.connect()`, the ssh config's ProxyCommand): a Role `<name>--connect` that may get this
   * Deployment and patch its `scale` subresource (both limited to its name), get and list pods, create
   * `pods/exec` and list events in the namespace, and a RoleBinding `<name>--connect` to the subjects. Kubernetes
   * cannot limit `pods/exec` to the pods of one Deployment (their names are generated): give each developer
   * their own namespace (a fleet's `NamespaceMode.PER_DEVELOPER`) when that matters. Calling it again adds
   * subjects to the same RoleBinding.
   *
   * @param subjects users, groups or ServiceAccounts (cdk8s-plus `User.fromName`, `Group.fromName`, ...)
   * @returns the RoleBinding
   */
  public grantConnect(...subjects: ISubject[]): ApiObject {
    if (subjects.length === 0) {
      throw new GoRemoteValidationError([{ path: 'grantConnect(subjects)', received: [], expected: 'at least one subject (a user, group or ServiceAccount)' }]);
    }
    if (!this.connectBinding) {
      const name = contract.ObjectNames.connect(this.name);
      const objects = emitManifests(this, connectManifests(this.resolved, name, this.connectSubjects));
      this.connectBinding = objects.get('ConnectRoleBinding')!;
    }
    for (const subject of subjects) {
      const c = subject.toSubjectConfiguration();
      // An empty apiGroup (a ServiceAccount's) is left out, as the API server stores it.
      this.connectSubjects.push({
        kind: c.kind,
        name: c.name,
        ...(c.apiGroup ? { apiGroup: c.apiGroup } : {}),
        ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
      });
    }
    return this.connectBinding;
  }
}

/**
 * Emits an environment resolved elsewhere (by a fleet) under `scope`, without resolving it again.
 * @internal
 */
export function emitResolvedEnvironment(scope: Construct, id: string, r: ResolvedEnvironment): GoRemoteEnvironment {
  return new GoRemoteEnvironment(scope, id, { [RESOLVED]: r } as unknown as GoRemoteEnvironmentProps);
}

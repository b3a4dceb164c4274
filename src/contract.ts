// Every literal that two parts of the system share: the dev image (images/go-remote), the `cdk8s-go-remote`
// command (src/cli.ts), the client files, the fleet and the environment. docs/image-contract.md documents the
// image's side of it. Change a value here and every part changes with it; nothing else spells these out.
//
// A leaf module: it imports only the package version and the peer dependencies' value types. Internal: the
// constants users need are static members of the public classes (GoRemoteEnvironment.SSH_PORT ...).
import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { IMAGE_REPOSITORY, PACKAGE_VERSION } from './version';

// ---- the image ----

/** The dev image released with this package version: `ghcr.io/cdk8s-go-remote/go-remote:<version>`. */
export const DEFAULT_IMAGE = `${IMAGE_REPOSITORY}:${PACKAGE_VERSION}`;

/** UID and GID of the image's user (`gopher`) on Kubernetes; also the pod's fsGroup. */
export const IMAGE_UID = 1000;

/** The login name SSH lets in: the image's user, or root with node access that runs as root. */
export const Users = { DEFAULT: 'gopher', ROOT: 'root' } as const;

/** Fixed paths inside the environment's container. */
export const Paths = {
  WORKSPACE: '/workspace',
  HOME: '/workspace/home',
  GOPATH: '/workspace/go',
  GOMODCACHE: '/workspace/go/pkg/mod',
  GOCACHE: '/workspace/.cache/go-build',
  /** Every mount of the environment's own configuration lives under it. */
  ETC_DIR: '/etc/go-remote',
  CONFIG_DIR: '/etc/go-remote/config',
  RUN_DIR: '/run/go-remote',
  HOST_KEYS_SECRET_DIR: '/etc/go-remote/host-keys',
  GIT_CREDENTIALS_DIR: '/etc/go-remote/git',
  KUBECONFIG_DIR: '/etc/go-remote/kubeconfig',
  KUBECONFIG: '/etc/go-remote/kubeconfig/config',
  WEBHOOK_CERT_DIR: '/etc/go-remote/webhook-tls',
  ENTRYPOINT: '/usr/local/bin/go-remote-entrypoint',
  IDLE_STOP_SCRIPT: '/usr/local/bin/go-remote-idle-stop',
  SSHD: '/usr/sbin/sshd',
  SUPERVISORD_CONF: '/etc/go-remote/config/supervisord.conf',
  SSHD_CONFIG: '/etc/go-remote/config/sshd_config',
  /** `*.conf` files the entrypoint writes here (host certificates) are included last by sshd_config. */
  SSHD_CONFIG_INCLUDE_DIR: '/run/go-remote/sshd_config.d',
  SUPERVISOR_SOCKET: '/run/go-remote/supervisor.sock',
  /** Host key types the image generates, in the order sshd offers them. */
  HOST_KEY_TYPES: ['ed25519', 'ecdsa', 'rsa'],
  /** PATH for SSH sessions: the Go toolchain, installed Go tools, then the system. */
  SESSION_PATH: '/usr/local/go/bin:/workspace/go/bin:/usr/local/bin:/usr/bin:/bin',
  /** Where `NodeAccess.hostProc()` mounts the node's `/proc`. */
  HOST_PROC: '/host/proc',
} as const;

/** Mount roots the environment uses itself: no other volume may be mounted at or under them. */
export const RESERVED_MOUNT_ROOTS: readonly string[] = [Paths.WORKSPACE, Paths.ETC_DIR, Paths.RUN_DIR];

/** Variables the construct sets on the containers (read by the entrypoint and the idle-stop script). */
export const EnvVars = {
  USER: 'GO_REMOTE_USER',
  HOME: 'GO_REMOTE_HOME',
  WORKSPACE: 'GO_REMOTE_WORKSPACE',
  CONFIG_DIR: 'GO_REMOTE_CONFIG_DIR',
  RUN_DIR: 'GO_REMOTE_RUN_DIR',
  HOST_KEYS_DIR: 'GO_REMOTE_HOST_KEYS_DIR',
  CHECKOUT: 'GO_REMOTE_CHECKOUT',
  GIT_URL: 'GO_REMOTE_GIT_URL',
  GIT_BRANCH: 'GO_REMOTE_GIT_BRANCH',
  GIT_COMMIT: 'GO_REMOTE_GIT_COMMIT',
  IDLE_STOP_SECONDS: 'GO_REMOTE_IDLE_STOP_SECONDS',
  IDLE_STOP_INTERVAL_SECONDS: 'GO_REMOTE_IDLE_STOP_INTERVAL_SECONDS',
  IDLE_STOP_DEPLOYMENT: 'GO_REMOTE_IDLE_STOP_DEPLOYMENT',
  WEBHOOK_CERT_DIR: 'GO_REMOTE_WEBHOOK_CERT_DIR',
  KUBECONFIG: 'KUBECONFIG',
} as const;

/** Variables `env` may not set: the environment's own (`GO_REMOTE_*`) and the Go layout on the workspace. */
export const RESERVED_ENV = /^(GO_REMOTE_.*|GOPATH|GOMODCACHE|GOCACHE|HOME)$/;

// ---- ports ----

/** The SSH port of the container and the Service. */
export const SSH_PORT = 2222;
/** The port a headless delve conventionally listens on (what `launch-json` attaches to by default). */
export const DELVE_PORT = 2345;
/** What the dev container runs to relay `kubectl exec -i` stdin/stdout to sshd (bash's /dev/tcp; no nc in the image). */
export const SSH_RELAY_SCRIPT = `exec 3<>/dev/tcp/127.0.0.1/${SSH_PORT}; cat <&3 & cat >&3`;
/** The port of the webhook Service, which the API server calls. */
export const WEBHOOK_SERVICE_PORT = 443;
/** Port names on the container and the Services. */
export const PortNames = { SSH: 'ssh', WEBHOOK: 'https' } as const;

// ---- containers and volumes ----

/** Container names: the CLI and the client files find the development container by its name. */
export const Containers = { DEV: 'dev', CLONE: 'clone' } as const;

/** Volume names of the pod; `env` volumes may not take them (nor `node-<n>`, the node paths). */
export const Volumes = {
  WORKSPACE: 'workspace',
  CONFIG: 'config',
  RUN: 'run',
  HOST_KEYS: 'host-keys',
  GIT_CREDENTIALS: 'git-credentials',
  KUBECONFIG: 'kubeconfig',
  WEBHOOK: 'webhook-tls',
} as const;
export const RESERVED_VOLUMES: ReadonlySet<string> = new Set(Object.values(Volumes));
/** The volume of the n-th node path. */
export function nodeVolume(index: number): string {
  return `node-${index}`;
}
export const NODE_VOLUME = /^node-\d+$/;

/** The size of the in-memory runtime volume (`/run/go-remote`). */
export const RUN_VOLUME_SIZE = '64Mi';

/** Files of the environment's ConfigMap. */
export const ConfigFiles = {
  AUTHORIZED_KEYS: 'authorized_keys',
  SSHD_CONFIG: 'sshd_config',
  SUPERVISORD_CONF: 'supervisord.conf',
  KNOWN_HOSTS: 'known_hosts',
} as const;

// ---- labels and annotations ----

export const Labels = {
  NAME: 'app.kubernetes.io/name',
  INSTANCE: 'app.kubernetes.io/instance',
  COMPONENT: 'app.kubernetes.io/component',
  MANAGED_BY: 'app.kubernetes.io/managed-by',
  /** On a fleet's namespace objects: the fleet's namespace prop. */
  FLEET: 'go-remote.cdk8s.io/fleet',
  /** Kubernetes sets it on every Namespace. */
  NAMESPACE_NAME: 'kubernetes.io/metadata.name',
  /** OpenShift's switch for its SCC-based Pod Security label synchronisation of a namespace. */
  OPENSHIFT_PSA_SYNC: 'security.openshift.io/scc.podSecurityLabelSync',
  /** Pod Security Admission, `<prefix><mode>`. */
  POD_SECURITY_PREFIX: 'pod-security.kubernetes.io/',
} as const;

/** `app.kubernetes.io/name` of every environment's pod: the fleet's network policies select pods by it. */
export const APP_NAME = 'go-remote';
/** `app.kubernetes.io/managed-by` of every object the library creates: the CLI finds environments by it. */
export const MANAGED_BY = 'cdk8s-go-remote';
/** `app.kubernetes.io/component` of an environment's objects. */
export const COMPONENT = 'development-environment';

/** The labels every pod of every environment carries, which the fleet's network policies select. */
export const POD_SELECTOR: { readonly [key: string]: string } = { [Labels.NAME]: APP_NAME };

/** The labels an environment's Deployment and Services select its pod by. */
export function environmentSelector(name: string): { [key: string]: string } {
  return { [Labels.NAME]: APP_NAME, [Labels.INSTANCE]: name };
}

/** The labels of every object of an environment: the selector's, then the component and who manages it. */
export function environmentLabels(name: string): { [key: string]: string } {
  return { [Labels.NAME]: APP_NAME, [Labels.INSTANCE]: name, [Labels.COMPONENT]: COMPONENT, [Labels.MANAGED_BY]: MANAGED_BY };
}

/** Label keys the environment's own selectors use: an impersonated workload's labels may not replace them. */
export const OWN_SELECTOR_KEYS: readonly string[] = [Labels.NAME, Labels.INSTANCE];

export const Annotations = {
  /** On the pod template: a change of keys or configuration restarts the pod. */
  CONFIG_HASH: 'go-remote.cdk8s.io/config-hash',
  /** On the Deployment: `hostCertificateAuthority`, for the `cdk8s-go-remote` command. */
  HOST_CA: 'go-remote.cdk8s.io/host-certificate-authority',
  /** On the pod template (OpenShift): the SCC the pod needs. */
  REQUIRED_SCC: 'openshift.io/required-scc',
  DESCRIPTION: 'kubernetes.io/description',
  OPENSHIFT_SERVING_CERT_SECRET: 'service.beta.openshift.io/serving-cert-secret-name',
  OPENSHIFT_INJECT_CA_BUNDLE: 'service.beta.openshift.io/inject-cabundle',
  CERT_MANAGER_INJECT_CA_FROM: 'cert-manager.io/inject-ca-from',
} as const;

/** Keep an object when it leaves Git: Argo CD neither prunes nor deletes it, Flux does not prune it. */
export const PRUNE_PROTECTION_ANNOTATIONS: { readonly [key: string]: string } = {
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
};

// ---- object names ----

/** The longest `name` an environment takes: its objects add suffixes such as `-workspace` and `-webhook-tls`. */
export const NAME_MAX_LENGTH = 40;

/**
 * The separator between a base name and a derived part in names that would otherwise collide with another base
 * name (an environment `x` with a webhook and an environment `x-webhook`). A name the library takes (an
 * environment's, a developer's, a fleet's namespace) may not contain it, so no name can forge a derived one.
 */
export const NAME_SEPARATOR = '--';

/** Why a name may not contain `NAME_SEPARATOR`, for the error messages. */
export const NAME_SEPARATOR_REASON = `without '${NAME_SEPARATOR}', which separates the library's derived names (such as <name>${NAME_SEPARATOR}webhook) from base names`;

/**
 * The names of an environment's objects, from its base name and namespace. Each name is unambiguous by
 * construction: names of the same kind either differ by a fixed suffix every base name gets (`-config`,
 * `-workspace`), carry `--` (which base names cannot contain) or, cluster-scoped, join DNS labels with `.`
 * (which a label cannot contain).
 */
export const ObjectNames = {
  config: (name: string) => `${name}-config`,
  workspace: (name: string) => `${name}-workspace`,
  /**
   * Cluster-scoped objects (ClusterRole and binding, SCC, webhook configuration) carry the namespace too, joined
   * with dots: `go-remote.<namespace>.<name>`; `-` would make namespace `team-a` + `dev` and `team` + `a-dev` one.
   */
  clusterScoped: (namespace: string, name: string) => `go-remote.${namespace}.${name}`,
  /** The RoleBinding to a default SCC: `<name>--scc-<scc>` (an environment `x-scc-hostnetwork-v2` cannot forge it). */
  sccRoleBinding: (name: string, scc: string) => `${name}${NAME_SEPARATOR}scc-${scc}`,
  /** The webhook Service `<name>--webhook` (an environment `x-webhook` cannot forge it). */
  webhookService: (name: string) => `${name}${NAME_SEPARATOR}webhook`,
  webhookSecret: (name: string) => `${name}-webhook-tls`,
  /** The Role and RoleBinding of `grantConnect`: `<name>--connect`. */
  connect: (name: string) => `${name}${NAME_SEPARATOR}connect`,
  webhookCertificate: (name: string) => `${name}-webhook`,
  webhookName: (namespace: string, name: string) => `${name}.${namespace}.go-remote.cdk8s.io`,
  /** A fleet's namespace of one developer (`NamespaceMode.PER_DEVELOPER`): `<fleet>--<developer>`. */
  developerNamespace: (fleetNamespace: string, developer: string) => `${fleetNamespace}${NAME_SEPARATOR}${developer}`,
  quota: (namespace: string) => `${namespace}-quota`,
  limits: (namespace: string) => `${namespace}-limits`,
  /**
   * The fleet's NetworkPolicies: `<namespace>--<role>`, which no environment (whose NetworkPolicy is `<name>`) can
   * take, and unique across the fleet (a file-per-resource layout never overwrites a file).
   */
  defaultDeny: (namespace: string) => `${namespace}${NAME_SEPARATOR}default-deny`,
  allowSshAndEgress: (namespace: string) => `${namespace}${NAME_SEPARATOR}allow-ssh-and-egress`,
} as const;

/** The ClusterRole OpenShift generates for each default SCC, which grants `use` of it. */
export function sccClusterRole(scc: string): string {
  return `system:openshift:scc:${scc}`;
}

// ---- resources ----

/** What the development container (and the clone init container) requests and is limited to by default. */
export const DEFAULT_RESOURCES = {
  cpuRequest: Cpu.millis(500),
  cpuLimit: Cpu.units(2),
  memoryRequest: Size.gibibytes(1),
  memoryLimit: Size.gibibytes(4),
} as const;

/** The workspace claim's size by default. */
export const DEFAULT_WORKSPACE_SIZE = Size.gibibytes(10);

/** A fleet's ResourceQuota per environment by default. */
export const DEFAULT_QUOTA = {
  cpuRequests: Cpu.units(1),
  cpuLimits: Cpu.units(4),
  memoryRequests: Size.gibibytes(2),
  memoryLimits: Size.gibibytes(8),
  storage: Size.gibibytes(20),
  persistentVolumeClaims: 2,
  pods: 2,
} as const;

/** A fleet's LimitRange defaults for containers that declare no resources. */
export const DEFAULT_CONTAINER_RESOURCES = {
  cpuRequest: Cpu.millis(100),
  cpuLimit: Cpu.units(1),
  memoryRequest: Size.mebibytes(128),
  memoryLimit: Size.mebibytes(512),
} as const;

// ---- idle stop ----

export const IdleStop = {
  /** The supervisord program that runs the image's script; a declared program may not take the name. */
  PROGRAM: 'idle-stop',
  /** How often the script looks for SSH sessions. */
  INTERVAL_SECONDS: 30,
  MIN_SECONDS: 60,
  MAX_SECONDS: 30 * 24 * 3600,
} as const;

/** Programs the environment runs itself (besides `idle-stop`): a declared program may not take these names. */
export const RESERVED_PROGRAM_NAMES: ReadonlySet<string> = new Set(['sshd', 'ssh', 'supervisord', 'supervisor']);

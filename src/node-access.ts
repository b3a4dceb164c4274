import { Paths } from './contract';
import { Problems } from './errors';
import { checkAbsolutePath, checkList, isEnumValue, normalizePath } from './validation';

/**
 * What kind of node path a host path mount expects.
 * @see https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
 */
export enum HostPathType {
  /** A directory that must exist. */
  DIRECTORY = 'Directory',
  /** A file that must exist. */
  FILE = 'File',
  /** A UNIX socket that must exist (a container runtime's socket). */
  SOCKET = 'Socket',
}

/**
 * A path of the node mounted into the environment.
 */
export interface HostPathMount {
  /** Absolute path on the node, such as `/proc` or `/var/run/crio/crio.sock`. */
  readonly path: string;
  /** Absolute path in the container, such as `/host/proc`. */
  readonly mountPath: string;
  /**
   * Whether the mount is read-only.
   * @default true
   */
  readonly readOnly?: boolean;
  /**
   * What must exist at `path`.
   * @default HostPathType.DIRECTORY
   */
  readonly type?: HostPathType;
}

/**
 * The resolved content of a node access profile.
 */
export interface NodeAccessSettings {
  /** The profile's name, as documented (`none`, `privileged`, or the names joined by `+`). */
  readonly name: string;
  /** Whether the container is privileged. */
  readonly privileged: boolean;
  /** Whether the container runs as root (UID 0). */
  readonly runAsRoot: boolean;
  /** Whether the pod shares the node's PID namespace. */
  readonly hostPid: boolean;
  /** Whether the pod uses the node's network namespace. */
  readonly hostNetwork: boolean;
  /** Linux capabilities added to the container (after dropping ALL). */
  readonly capabilities: string[];
  /** Node paths mounted into the container. */
  readonly hostPaths: HostPathMount[];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * A container runtime whose CRI socket an environment can mount, with the socket's path on the node.
 *
 * The socket is root on the node: whoever can talk to it can start a privileged container there.
 * @see https://kubernetes.io/docs/setup/production-environment/container-runtimes/
 */
export class ContainerRuntime {
  /** CRI-O (OpenShift, and Kubernetes distributions that use CRI-O): `/var/run/crio/crio.sock`. */
  public static readonly CRIO = new ContainerRuntime('cri-o', '/var/run/crio/crio.sock');
  /** containerd (most other Kubernetes distributions): `/run/containerd/containerd.sock`. */
  public static readonly CONTAINERD = new ContainerRuntime('containerd', '/run/containerd/containerd.sock');

  /** The runtime's name (`cri-o`, `containerd`), used in the profile's name. */
  public readonly name: string;
  /** The socket's absolute path on the node, mounted at the same path in the container. */
  public readonly socketPath: string;

  private constructor(name: string, socketPath: string) {
    this.name = name;
    this.socketPath = socketPath;
  }
}

/**
 * How much of the worker node the environment may touch. Nothing unless asked for; every grant is
 * scoped to the one environment's ServiceAccount (on OpenShift through the smallest SCC that admits the
 * pod: a default one when it suffices, else the environment's own).
 *
 * The named profiles follow `kubectl debug --profile` (general, netadmin, sysadmin), cut down for an
 * environment that lives for weeks rather than a debugging session. They compose with each other and with
 * explicit grants: `NodeAccess.hostProc().withCapabilities('SYS_PTRACE')`.
 *
 * | profile | Pod Security level | OpenShift SCC |
 * | --- | --- | --- |
 * | `none()` | restricted | restricted-v2 |
 * | `hostNetwork()` | privileged | hostnetwork-v2 |
 * | `ptrace()` | privileged | its own |
 * | `hostProc()` | privileged | its own |
 * | `containerRuntimeSocket()` | privileged | its own (privileged) |
 * | `privileged()` | privileged | its own (privileged) |
 *
 * @see https://kubernetes.io/docs/tasks/debug/debug-cluster/kubectl-node-debug/
 */
export class NodeAccess {
  /** Where `hostProc()` mounts the node's `/proc` in the container. */
  public static readonly HOST_PROC_MOUNT_PATH: string = Paths.HOST_PROC;

  /**
   * No node access (the default): a pod that passes the Pod Security Standard `restricted` and OpenShift's
   * `restricted-v2` SCC.
   */
  public static none(): NodeAccess {
    return new NodeAccess({
      name: 'none',
      privileged: false,
      runAsRoot: false,
      hostPid: false,
      hostNetwork: false,
      capabilities: [],
      hostPaths: [],
    });
  }

  /**
   * The node's processes, read-only: the node's PID namespace (`hostPID`) and the node's `/proc` mounted
   * read-only at `/host/proc` (`HOST_PROC_MOUNT_PATH`). Still non-root with every capability dropped, so
   * `/proc/<pid>/environ`, `fd` and `ns` of other users' processes stay closed, and on SELinux nodes
   * (OpenShift) the policy hides much of other domains' entries; use `privileged()` for those.
   * Pod Security level privileged; on OpenShift the environment's own SCC (host PID and a hostPath, nothing else).
   */
  public static hostProc(): NodeAccess {
    return NodeAccess.none().withHostProc();
  }

  /**
   * The node's network namespace (`hostNetwork`), like `kubectl debug --profile=netadmin` without its
   * NET_ADMIN and NET_RAW: sockets, routes and interfaces of the node are visible, and SSH (2222) and
   * program ports are bound on the node's addresses. Non-root, every capability dropped. Pod Security level
   * privileged; on OpenShift OpenShift's own `hostnetwork-v2` SCC, granted to the environment's
   * ServiceAccount by a RoleBinding to `system:openshift:scc:hostnetwork-v2`. Add
   * `.withCapabilities('NET_ADMIN')` to change the node's network (the environment's own SCC then).
   */
  public static hostNetwork(): NodeAccess {
    return NodeAccess.none().withHostNetwork();
  }

  /**
   * `SYS_PTRACE` and nothing else, for debuggers (delve) inside the environment. The pod stays non-root.
   *
   * What it changes, honestly: Kubernetes sets no ambient capabilities, so the capability itself is
   * effective in root processes only. For the non-root user it changes the runtime's RuntimeDefault seccomp
   * profile, which grants `kcmp`, `pidfd_getfd` and `process_madvise` only to containers holding
   * CAP_SYS_PTRACE, and, in older containerd releases, also `ptrace`, `process_vm_readv` and
   * `process_vm_writev`, which delve uses (current Docker-derived profiles allow those three to every
   * container on Linux 4.8 and later). `dlv attach` to another process of the same user also depends on the
   * node's `kernel.yama.ptrace_scope` (0 on RHEL CoreOS and Fedora; 1, Ubuntu's default, allows descendants
   * only, such as the programs `dlv debug`, `dlv exec` and `dlv test` start). All programs share the one
   * container, so no `shareProcessNamespace` is needed. Pod Security level privileged (SYS_PTRACE is not a
   * baseline capability); on OpenShift the environment's own SCC.
   */
  public static ptrace(): NodeAccess {
    return NodeAccess.none().withPtrace();
  }

  /**
   * The container runtime's CRI socket, read-write at its node path (for `crictl`, or an operator that
   * inspects containers). The socket is root on the node and the profile says so: a privileged container
   * running as root. It has to be: the socket is `root:root 0660`, and on SELinux nodes (OpenShift) a
   * confined container (`container_t`) is denied `connectto` on it, which only the unconfined `spc_t` type
   * a privileged container runs as escapes. Pod Security level privileged; on OpenShift the environment's
   * own SCC (privileged, any UID, any SELinux type, hostPath) rather than OpenShift's `privileged` SCC,
   * which would also allow host namespaces and every volume type.
   */
  public static containerRuntimeSocket(runtime: ContainerRuntime): NodeAccess {
    return NodeAccess.none().withContainerRuntimeSocket(runtime);
  }

  /**
   * A privileged container running as root, the original go-remote's only mode (`kubectl debug
   * --profile=sysadmin`): what operator developers need for netlink and `setns` into other pods' network
   * namespaces. SSH then logs in `root` (keys only). Combine with `withHostPid()`, `withHostNetwork()`,
   * `withHostPath()` and `withContainerRuntimeSocket()`.
   */
  public static privileged(): NodeAccess {
    return new NodeAccess({
      name: 'privileged',
      privileged: true,
      runAsRoot: true,
      hostPid: false,
      hostNetwork: false,
      capabilities: [],
      hostPaths: [],
    });
  }

  /** The resolved settings. */
  public readonly settings: NodeAccessSettings;

  private constructor(settings: NodeAccessSettings) {
    // Not frozen: jsii marks a struct that crosses to Python or Go with a property of its own.
    this.settings = settings;
  }

  /** Shares the node's PID namespace (`hostPID`): `ps` shows the node's processes. */
  public withHostPid(): NodeAccess {
    return this.with('host-pid', { hostPid: true });
  }

  /** Uses the node's network namespace (`hostNetwork`). Port 2222 and program ports are then bound on the node. */
  public withHostNetwork(): NodeAccess {
    return this.with('host-network', { hostNetwork: true });
  }

  /** Mounts a node path. */
  public withHostPath(mount: HostPathMount): NodeAccess {
    return this.with('host-path', { hostPaths: [...this.settings.hostPaths, mount] });
  }

  /** Shares the node's PID namespace and mounts the node's `/proc` read-only at `/host/proc` (see `hostProc()`). */
  public withHostProc(): NodeAccess {
    return this.with('host-proc', {
      hostPid: true,
      hostPaths: [...this.settings.hostPaths, { path: '/proc', mountPath: NodeAccess.HOST_PROC_MOUNT_PATH, readOnly: true, type: HostPathType.DIRECTORY }],
    });
  }

  /**
   * Mounts the runtime's CRI socket read-write at its node path, which makes the container privileged and
   * root (see `containerRuntimeSocket()`).
   */
  public withContainerRuntimeSocket(runtime: ContainerRuntime): NodeAccess {
    return this.with(`${runtime.name}-socket`, {
      privileged: true,
      runAsRoot: true,
      hostPaths: [
        ...this.settings.hostPaths,
        { path: runtime.socketPath, mountPath: runtime.socketPath, readOnly: false, type: HostPathType.SOCKET },
      ],
    });
  }

  /** Adds `SYS_PTRACE` (see `ptrace()`). */
  public withPtrace(): NodeAccess {
    return this.with('ptrace', { capabilities: unique([...this.settings.capabilities, 'SYS_PTRACE']) });
  }

  /** Adds Linux capabilities to the container, for example `SYS_PTRACE`. */
  public withCapabilities(...capabilities: string[]): NodeAccess {
    return this.with('capabilities', { capabilities: unique([...this.settings.capabilities, ...capabilities]) });
  }

  /** Whether this profile touches the node at all. */
  public get isNone(): boolean {
    const s = this.settings;
    return !s.privileged && !s.runAsRoot && !s.hostPid && !s.hostNetwork && s.capabilities.length === 0 && s.hostPaths.length === 0;
  }

  private with(part: string, change: Partial<NodeAccessSettings>): NodeAccess {
    const name = this.settings.name === 'none' ? part : `${this.settings.name}+${part}`;
    return new NodeAccess({ ...this.settings, ...change, name });
  }
}

const CAPABILITY = /^[A-Z][A-Z_]*$/;

/**
 * The settings of the `nodeAccess` prop, checked (capability names, node and mount paths, each mount path once;
 * problems recorded); undefined when it is not a NodeAccess.
 * @internal
 */
export function resolveNodeAccess(problems: Problems, prop: string, value: unknown): NodeAccessSettings | undefined {
  if (!(value instanceof NodeAccess)) {
    problems.add(prop, value, 'expected a NodeAccess (NodeAccess.none(), NodeAccess.privileged() ...)');
    return undefined;
  }
  const settings = value.settings;
  checkList<unknown>(problems, `${prop}.capabilities`, settings.capabilities, 'a list of capabilities').forEach((cap, i) => {
    if (typeof cap !== 'string' || !CAPABILITY.test(cap) || cap === 'ALL') {
      problems.add(`${prop}.capabilities[${i}]`, cap, 'expected a Linux capability name without the CAP_ prefix, such as \'SYS_PTRACE\'');
    }
  });
  const mountPaths = new Set<string>();
  checkList<HostPathMount>(problems, `${prop}.hostPaths`, settings.hostPaths, 'a list of HostPathMount').forEach((m, i) => {
    const at = `${prop}.hostPaths[${i}]`;
    checkAbsolutePath(problems, `${at}.path`, m?.path);
    if (checkAbsolutePath(problems, `${at}.mountPath`, m?.mountPath)) {
      if (mountPaths.has(normalizePath(m.mountPath))) problems.add(`${at}.mountPath`, m.mountPath, 'expected each mount path once');
      mountPaths.add(normalizePath(m.mountPath));
    }
    if (m?.type !== undefined && !isEnumValue(HostPathType, m.type)) {
      problems.add(`${at}.type`, m.type, 'expected a HostPathType');
    }
  });
  return settings;
}

import { Problems, checkAbsolutePath } from './validation';

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

const CAPABILITY = /^[A-Z][A-Z_]*$/;

/**
 * How much of the worker node the environment may touch. Nothing unless asked for; every grant is
 * scoped to the one environment's ServiceAccount (on OpenShift through its own SCC).
 *
 * Profiles compose: `NodeAccess.none().withHostPid().withHostPath({...})`.
 */
export class NodeAccess {
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
   * A privileged container running as root, the original go-remote's only mode: what operator developers
   * need to reach a container runtime socket or host namespaces. SSH then logs in `root` (keys only).
   * Combine with `withHostPid()`, `withHostNetwork()` and `withHostPath()`.
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

  /** Adds Linux capabilities to the container, for example `SYS_PTRACE`. */
  public withCapabilities(...capabilities: string[]): NodeAccess {
    return this.with('capabilities', { capabilities: [...this.settings.capabilities, ...capabilities] });
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

  /** @internal */
  public _validate(problems: Problems, prop: string): void {
    this.settings.capabilities.forEach((cap, i) => {
      if (!CAPABILITY.test(cap) || cap === 'ALL') {
        problems.add(`${prop}.capabilities[${i}]`, cap, 'expected a Linux capability name without the CAP_ prefix, such as \'SYS_PTRACE\'');
      }
    });
    const mountPaths = new Set<string>();
    this.settings.hostPaths.forEach((m, i) => {
      checkAbsolutePath(problems, `${prop}.hostPaths[${i}].path`, m.path);
      if (checkAbsolutePath(problems, `${prop}.hostPaths[${i}].mountPath`, m.mountPath)) {
        if (mountPaths.has(m.mountPath)) {
          problems.add(`${prop}.hostPaths[${i}].mountPath`, m.mountPath, 'expected each mount path once');
        }
        mountPaths.add(m.mountPath);
      }
      if (m.type !== undefined && !Object.values(HostPathType).includes(m.type)) {
        problems.add(`${prop}.hostPaths[${i}].type`, m.type, 'expected a HostPathType');
      }
    });
  }
}

import { Size } from 'cdk8s';
import { DEFAULT_WORKSPACE_SIZE, PRUNE_PROTECTION_ANNOTATIONS } from './contract';
import { Problems } from './errors';
import { Manifest } from './manifest';
import { resolveSize } from './quantity';
import { checkDnsSubdomain, isEnumValue } from './validation';

/**
 * How the access mode of the workspace volume is declared. A narrowing of cdk8s-plus's
 * `PersistentVolumeAccessMode` to the modes with a single writer.
 */
export enum WorkspaceAccessMode {
  /** Mounted read-write by one node (the default; the Deployment has one replica and uses `Recreate`). */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Mounted read-write by one pod only. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
}

/**
 * The persistent workspace: home directory, GOPATH, module and build caches, the clone and the SSH host keys.
 */
export interface WorkspaceOptions {
  /**
   * Requested size.
   * @default Size.gibibytes(10)
   */
  readonly size?: Size;
  /**
   * StorageClass to provision from.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Access mode.
   * @default WorkspaceAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: WorkspaceAccessMode;
}

/** The workspace claim, resolved. @internal */
export interface ResolvedWorkspace {
  readonly name: string;
  /** The requested storage, as a quantity. */
  readonly size: string;
  readonly storageClassName?: string;
  readonly accessMode: WorkspaceAccessMode;
}

/** @internal */
export function resolveWorkspace(problems: Problems, prop: string, name: string, value: unknown): ResolvedWorkspace | undefined {
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    problems.add(prop, value, 'expected WorkspaceOptions ({ size?, storageClassName?, accessMode? })');
    return undefined;
  }
  const options = (value ?? {}) as WorkspaceOptions;
  const size = resolveSize(problems, `${prop}.size`, options.size, DEFAULT_WORKSPACE_SIZE);
  if (options.storageClassName !== undefined) checkDnsSubdomain(problems, `${prop}.storageClassName`, options.storageClassName);
  const accessMode = options.accessMode ?? WorkspaceAccessMode.READ_WRITE_ONCE;
  if (!isEnumValue(WorkspaceAccessMode, accessMode)) {
    problems.add(`${prop}.accessMode`, accessMode, 'expected a WorkspaceAccessMode');
  }
  return size === undefined ? undefined : { name, size, storageClassName: options.storageClassName, accessMode };
}

/**
 * The workspace PersistentVolumeClaim, protected from GitOps pruning: data is never lost to a sync.
 * @internal
 */
export function workspaceManifest(w: ResolvedWorkspace, namespace: string | undefined, labels: { [key: string]: string }): Manifest {
  return {
    id: 'Workspace',
    manifest: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: w.name, namespace, labels, annotations: PRUNE_PROTECTION_ANNOTATIONS },
      spec: {
        accessModes: [w.accessMode],
        storageClassName: w.storageClassName,
        resources: { requests: { storage: w.size } },
      },
    },
  };
}

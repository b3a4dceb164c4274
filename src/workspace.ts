import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Problems, checkDnsSubdomain, checkQuantity } from './validation';

/**
 * How the access mode of the workspace volume is declared.
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
   * @default '10Gi'
   */
  readonly size?: string;
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

/**
 * Annotations that keep the workspace when its declaration leaves Git: Argo CD neither prunes nor deletes
 * it, Flux does not prune it. Data is never lost to a GitOps sync.
 */
export const WORKSPACE_PROTECTION_ANNOTATIONS: { [key: string]: string } = {
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
};

/** @internal */
export const DEFAULT_WORKSPACE_SIZE = '10Gi';

/** @internal */
export function validateWorkspace(problems: Problems, prop: string, options: WorkspaceOptions): void {
  if (options.size !== undefined) checkQuantity(problems, `${prop}.size`, options.size);
  if (options.storageClassName !== undefined) checkDnsSubdomain(problems, `${prop}.storageClassName`, options.storageClassName);
  if (options.accessMode !== undefined && !Object.values(WorkspaceAccessMode).includes(options.accessMode)) {
    problems.add(`${prop}.accessMode`, options.accessMode, 'expected a WorkspaceAccessMode');
  }
}

/** @internal */
export interface WorkspaceClaimProps {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  readonly options: WorkspaceOptions;
}

/**
 * The workspace PersistentVolumeClaim, with GitOps prune protection.
 * @internal
 */
export function createWorkspaceClaim(scope: Construct, id: string, props: WorkspaceClaimProps): k8s.KubePersistentVolumeClaim {
  return new k8s.KubePersistentVolumeClaim(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: props.labels,
      annotations: WORKSPACE_PROTECTION_ANNOTATIONS,
    },
    spec: {
      accessModes: [props.options.accessMode ?? WorkspaceAccessMode.READ_WRITE_ONCE],
      storageClassName: props.options.storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(props.options.size ?? DEFAULT_WORKSPACE_SIZE) } },
    },
  });
}

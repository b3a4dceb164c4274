import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { PRUNE_PROTECTION_ANNOTATIONS } from './contract';
import { Problems } from './errors';

/** The annotation Argo CD orders a sync by: lower waves are applied, and healthy, before higher ones. @internal */
const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** The Argo CD sync option without which `ignoreDifferences` only hides a difference that a sync still reverts. @internal */
const RESPECT_IGNORE_DIFFERENCES = 'RespectIgnoreDifferences=true';

/**
 * Options of `GitOps.addSyncWaves`.
 */
export interface SyncWaveOptions {
  /**
   * Waves by kind (`Deployment`, `SecurityContextConstraints` ...), replacing the default wave of those kinds
   * or adding kinds that have none.
   *
   * @default - `GitOps.DEFAULT_SYNC_WAVES` only
   */
  readonly waves?: { [kind: string]: number };
}

/**
 * One entry of an Argo CD Application's `spec.ignoreDifferences`, in the shape Argo CD reads.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/
 */
export interface ArgoCdIgnoreDifferences {
  /** API group of the objects (`apps`). */
  readonly group: string;
  /** Kind of the objects (`Deployment`). */
  readonly kind: string;
  /** JSON pointers of the fields whose differences are ignored (`/spec/replicas`). */
  readonly jsonPointers: string[];
}

/**
 * Helpers for delivering synthesized environments with Argo CD or Flux: sync waves, prune protection, the
 * `ignoreDifferences` entry that lets a Deployment be scaled down in the cluster, and a `kustomization.yaml`
 * listing an output directory. See docs/guides/gitops.md.
 */
export class GitOps {
  /** The annotation Argo CD orders a sync by (`argocd.argoproj.io/sync-wave`). */
  public static readonly SYNC_WAVE_ANNOTATION = SYNC_WAVE_ANNOTATION;

  /** The Argo CD sync option that makes a sync respect `ignoreDifferences` (`RespectIgnoreDifferences=true`). */
  public static readonly RESPECT_IGNORE_DIFFERENCES = RESPECT_IGNORE_DIFFERENCES;

  /**
   * The annotations that keep an object in the cluster when its declaration leaves Git (what `protectFromPruning`
   * adds; every workspace claim and fleet Namespace carries them).
   */
  public static readonly PRUNE_PROTECTION_ANNOTATIONS: { [key: string]: string } = { ...PRUNE_PROTECTION_ANNOTATIONS };

  /**
   * The wave of each kind `addSyncWaves` annotates. What others need comes first: namespaces and the
   * cluster-scoped SCCs (-2); identities, RBAC and the namespace's quota, limits and network policies (-1),
   * which must exist before any pod is admitted; configuration (0); then the workload (1).
   *
   * The workspace PersistentVolumeClaim is in the workload's wave, not in the configuration's: with a
   * StorageClass of `volumeBindingMode: WaitForFirstConsumer` (the default of most cloud providers) a claim
   * stays Pending, which Argo CD reports as Progressing, until a pod uses it; in an earlier wave than its
   * Deployment the sync would wait for it forever (argoproj/argo-cd#12840). Within one wave Argo CD still
   * applies the claim before the Deployment.
   */
  public static readonly DEFAULT_SYNC_WAVES: { [kind: string]: number } = {
    Namespace: -2,
    SecurityContextConstraints: -2,
    ClusterRole: -2,
    ClusterRoleBinding: -2,
    ServiceAccount: -1,
    Role: -1,
    RoleBinding: -1,
    ResourceQuota: -1,
    LimitRange: -1,
    NetworkPolicy: -1,
    ConfigMap: 0,
    Secret: 0,
    PersistentVolumeClaim: 1,
    Deployment: 1,
    Service: 1,
  };

  /**
   * Annotates every ApiObject under `scope` (the scope included, when it is one) with its kind's Argo CD sync
   * wave (`argocd.argoproj.io/sync-wave`). Objects of other kinds are left alone (Argo CD's wave 0).
   *
   * Call it once every object exists (just before `app.synth()`): objects added later are not annotated. It
   * sets the annotation on every object of a known kind; to give one object another wave, call
   * `obj.metadata.addAnnotation(GitOps.SYNC_WAVE_ANNOTATION, ...)` after it. Flux ignores the annotation (it applies
   * namespaces and CRDs first on its own).
   *
   * @returns the number of objects annotated
   */
  public static addSyncWaves(scope: IConstruct, options: SyncWaveOptions = {}): number {
    const waves = new Map<string, string>();
    for (const [kind, wave] of Object.entries({ ...GitOps.DEFAULT_SYNC_WAVES, ...options.waves })) {
      const problems = new Problems();
      if (!Number.isInteger(wave)) problems.add(`waves.${kind}`, wave, 'expected a whole number');
      problems.throwIfAny();
      waves.set(kind, String(wave));
    }
    let annotated = 0;
    for (const c of scope.node.findAll()) {
      if (!(c instanceof ApiObject)) continue;
      const wave = waves.get(c.kind);
      if (wave === undefined) continue;
      c.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, wave);
      annotated++;
    }
    return annotated;
  }

  /**
   * Keeps an object in the cluster when its declaration leaves Git: Argo CD neither prunes it nor deletes it
   * with its Application (`Prune=false,Delete=false`), Flux does not prune it. The workspace
   * PersistentVolumeClaims and the Namespaces of a fleet already carry these annotations.
   */
  public static protectFromPruning(obj: ApiObject): void {
    for (const [key, value] of Object.entries(PRUNE_PROTECTION_ANNOTATIONS)) obj.metadata.addAnnotation(key, value);
  }

  /**
   * The Argo CD `ignoreDifferences` entry for `/spec/replicas` of Deployments, so that an environment scaled
   * to zero in the cluster (to stop an idle one) is not shown as out of sync. Put it in the Application's
   * `spec.ignoreDifferences`, and add `GitOps.RESPECT_IGNORE_DIFFERENCES` to `spec.syncPolicy.syncOptions`, or the
   * next sync scales it back up.
   */
  public static ignoreReplicaDifferences(): ArgoCdIgnoreDifferences {
    return { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] };
  }

  /**
   * A `kustomization.yaml` listing every manifest (`.yaml`, `.yml`, `.json`) under `directory`, recursively,
   * as paths relative to it, sorted; hidden entries and kustomization files are skipped. For Flux, for
   * `kubectl apply -k`, and for a reviewer who wants to see what a directory holds.
   */
  public static kustomization(directory: string): string {
    const files = listManifests(directory);
    const header = '# Generated by cdk8s-go-remote (GitOps.writeKustomization): every manifest in this directory.\n';
    return header + Yaml.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files });
  }

  /**
   * Writes `GitOps.kustomization(directory)` to `<directory>/kustomization.yaml`.
   *
   * @returns the path written
   */
  public static writeKustomization(directory: string): string {
    const text = GitOps.kustomization(directory);
    const file = path.join(directory, 'kustomization.yaml');
    fs.writeFileSync(file, text);
    return file;
  }

  private constructor() {}
}

const MANIFEST = /\.(ya?ml|json)$/;
const KUSTOMIZATION = /^(kustomization\.ya?ml|Kustomization)$/;

function listManifests(directory: string): string[] {
  const problems = new Problems();
  let isDirectory = false;
  try {
    isDirectory = fs.statSync(directory).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) problems.add('directory', directory, 'expected an existing directory (synthesize the app into it first)');
  problems.throwIfAny();

  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && MANIFEST.test(entry.name) && !KUSTOMIZATION.test(entry.name)) found.push(rel);
    }
  };
  walk('');
  // Code-point order, the same on every machine and locale.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

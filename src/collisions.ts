import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

// One synthesis-time check over the whole App: no two objects of any chart may share (API group, kind,
// namespace, name). Kubernetes keeps one object per such key, so the later of two would silently replace the
// earlier in every GitOps tool (and in `kubectl apply`). Registered once per App by every environment and fleet;
// it checks every ApiObject of the App, the library's and the user's own.

/** Kinds of Kubernetes and OpenShift that have no namespace (an object marked by `markClusterScoped` is too). */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'RuntimeClass', 'IngressClass',
  'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService', 'CSIDriver', 'CSINode',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'SecurityContextConstraints', 'ClusterIssuer', 'VolumeSnapshotClass',
]);

const clusterScopedObjects = new WeakSet<ApiObject>();
const checkedRoots = new WeakSet<IConstruct>();

/** Records that an object is cluster-scoped (its namespace is removed at synthesis). @internal */
export function markClusterScoped(obj: ApiObject): void {
  clusterScopedObjects.add(obj);
}

/**
 * Adds the collision check to the root of `scope`'s tree (the App), once per App.
 * @internal
 */
export function addCollisionCheck(scope: IConstruct): void {
  const root = scope.node.root;
  if (checkedRoots.has(root)) return;
  checkedRoots.add(root);
  root.node.addValidation({ validate: () => findCollisions(root) });
}

/**
 * Every pair of ApiObjects under `root` with the same API group, kind, namespace and name, as messages naming
 * both construct paths (empty when there are none).
 * @internal
 */
export function findCollisions(root: IConstruct): string[] {
  const seen = new Map<string, ApiObject>();
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const obj = c as ApiObject;
    const slash = obj.apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
    const clusterScoped = clusterScopedObjects.has(obj) || CLUSTER_SCOPED_KINDS.has(obj.kind);
    const namespace = clusterScoped ? '' : obj.metadata.namespace ?? '';
    const name = obj.name;
    const key = `${group}\0${obj.kind}\0${namespace}\0${name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, obj);
      continue;
    }
    const what = `${obj.kind}${group ? ` (${group})` : ''} ${JSON.stringify(clusterScoped || namespace === '' ? name : `${namespace}/${name}`)}`;
    errors.push(`${what} is defined twice, by ${first.node.path} and by ${obj.node.path}: Kubernetes keeps one object per group, kind, namespace and name, so one would silently replace the other; rename one of them (or move it to another namespace)`);
  }
  return errors;
}

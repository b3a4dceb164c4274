import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { markClusterScoped } from './collisions';
import { Manifest } from './manifest';

/**
 * Marks an object as cluster-scoped: cdk8s copies the chart's namespace (even `''`) onto every object, which a
 * cluster-scoped one (SCC, ClusterRole, webhook configuration, Namespace) must not carry.
 * @internal
 */
export function clusterScoped(obj: ApiObject): void {
  markClusterScoped(obj);
  if (Chart.of(obj).namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
}

/** Emits manifests as ApiObjects under `scope`, in order; returns them by construct id. @internal */
export function emitManifests(scope: Construct, manifests: readonly Manifest[]): Map<string, ApiObject> {
  const objects = new Map<string, ApiObject>();
  for (const m of manifests) {
    const obj = new ApiObject(scope, m.id, m.manifest);
    if (m.clusterScoped) clusterScoped(obj);
    objects.set(m.id, obj);
  }
  return objects;
}

import { ApiObject, Chart, JsonPatch } from 'cdk8s';

/**
 * Marks an object as cluster-scoped: cdk8s copies the chart's namespace (even `''`) onto every object, which a
 * cluster-scoped one (SCC, ClusterRole, webhook configuration, Namespace) must not carry.
 * @internal
 */
export function clusterScoped(obj: ApiObject): void {
  if (Chart.of(obj).namespace !== undefined) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
}

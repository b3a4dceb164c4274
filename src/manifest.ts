/**
 * One Kubernetes object as plain JSON (the shape the API server takes, `apiVersion` and `kind` included), and the
 * construct id it is emitted under. Emitters are pure functions from a resolved description to these; constructs
 * only turn them into ApiObjects (src/api-objects.ts), which render them as they are: no typed L1 conversion at
 * synthesis.
 * @internal
 */
export interface Manifest {
  /** The construct id: public contract, like the object's name (GitOps tools track objects by both). */
  readonly id: string;
  readonly manifest: any;
  /** Cluster-scoped objects never carry a namespace, whatever the chart's. */
  readonly clusterScoped?: boolean;
}

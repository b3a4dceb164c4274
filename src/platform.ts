/**
 * The kind of cluster the environment runs on.
 */
export enum Platform {
  /**
   * Kubernetes: the pod runs as UID/GID 1000 with fsGroup 1000 so the workspace volume is writable.
   */
  KUBERNETES = 'kubernetes',
  /**
   * OpenShift: no UID, GID or fsGroup is pinned (the namespace's SecurityContextConstraints assign them);
   * the pod names the SCC it needs with `openshift.io/required-scc`, and node access gets its own SCC.
   */
  OPENSHIFT = 'openshift',
}

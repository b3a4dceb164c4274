import { Manifest } from './manifest';
import { ResolvedEnvironment } from './resolve';

// The environment's identity and permissions, as plain manifests: its ServiceAccount, the Role holding every rule
// it is granted (and the SCC's `use`, idle stop's), the bindings, and the ClusterRole of cluster-wide grants.

const RBAC = 'rbac.authorization.k8s.io';

type Metadata = { name: string; namespace?: string; labels: { [key: string]: string } };

/** A (Cluster)RoleBinding of a role to the environment's own ServiceAccount, and nothing else. */
function binding(id: string, kind: 'RoleBinding' | 'ClusterRoleBinding', metadata: Metadata, role: { kind: string; name: string }, r: ResolvedEnvironment): Manifest {
  return {
    id,
    clusterScoped: kind === 'ClusterRoleBinding',
    manifest: {
      apiVersion: `${RBAC}/v1`,
      kind,
      metadata,
      roleRef: { apiGroup: RBAC, kind: role.kind, name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: r.serviceAccountName, namespace: r.namespace }],
    },
  };
}

function meta(r: ResolvedEnvironment, name: string): Metadata {
  return { name, namespace: r.namespace, labels: r.labels as { [key: string]: string } };
}

/** The ServiceAccount `<name>`; its token is mounted only when the environment's API access asks for it. @internal */
export function serviceAccountManifest(r: ResolvedEnvironment): Manifest {
  return {
    id: 'ServiceAccount',
    manifest: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(r, r.serviceAccountName), automountServiceAccountToken: r.tokenMounted },
  };
}

/**
 * The Role `<name>` and its RoleBinding to the ServiceAccount. No rules at all rather than `rules: []`: the API
 * server drops an empty list, so `[]` would differ from the stored object at every GitOps re-apply.
 * @internal
 */
export function roleManifests(r: ResolvedEnvironment): Manifest[] {
  return [
    { id: 'Role', manifest: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: meta(r, r.name), rules: r.roleRules } },
    binding('RoleBinding', 'RoleBinding', meta(r, r.name), { kind: 'Role', name: r.name }, r),
  ];
}

/** On OpenShift, the RoleBinding granting a default SCC (such as hostnetwork-v2) to the ServiceAccount only. @internal */
export function sccRoleBindingManifest(r: ResolvedEnvironment): Manifest | undefined {
  const b = r.sccRoleBinding;
  return b && binding('SccRoleBinding', 'RoleBinding', meta(r, b.name), { kind: 'ClusterRole', name: b.clusterRole }, r);
}

/** After a cluster-wide grant: the ClusterRole `go-remote.<ns>.<name>` and its binding to the ServiceAccount. @internal */
export function clusterRoleManifests(r: ResolvedEnvironment): Manifest[] {
  const c = r.clusterRole;
  if (!c) return [];
  const metadata = { name: c.name, labels: r.labels as { [key: string]: string } };
  return [
    { id: 'ClusterRole', clusterScoped: true, manifest: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata, rules: c.rules } },
    binding('ClusterRoleBinding', 'ClusterRoleBinding', metadata, { kind: 'ClusterRole', name: c.name }, r),
  ];
}

/**
 * What `cdk8s-go-remote connect` does with a developer's credentials (src/connect.ts): read this Deployment and
 * scale it to 1 (its scale subresource), list the pods to find a Ready one, exec into it (`pods/exec` cannot be
 * limited by name: pod names are generated), and read events to say why a pod is not Ready.
 * @internal
 */
export const CONNECT_RULES = (name: string) => [
  { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [name], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [name], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
];

/** `grantConnect`: the Role `<name>--connect` and its RoleBinding to the given subjects (a list kept by the caller). @internal */
export function connectManifests(r: ResolvedEnvironment, name: string, subjects: object[]): Manifest[] {
  return [
    { id: 'ConnectRole', manifest: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: meta(r, name), rules: CONNECT_RULES(r.name) } },
    {
      id: 'ConnectRoleBinding',
      manifest: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: meta(r, name),
        roleRef: { apiGroup: RBAC, kind: 'Role', name },
        subjects,
      },
    },
  ];
}

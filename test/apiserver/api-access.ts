/**
 * Scenarios of the API-server tier for API access (src/api-access.ts, src/idle-stop.ts): an environment with
 * idle stop and grants of every kind, and one with a kubeconfig Secret, each with the SubjectAccessReviews
 * that must be answered as stated. Read by test/apiserver/scenarios.ts.
 */
import { App, Chart, Duration } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { ApiAccess, ApiVerb, GoRemoteEnvironment, GrantScope } from '../../src';
import { KEY } from '../util';

/** One SubjectAccessReview and its expected answer (the shape of expectations.json). */
export interface AccessExpectation {
  user: string;
  namespace: string;
  verb: string;
  group: string;
  resource: string;
  name?: string;
  subresource?: string;
  allowed: boolean;
}

const grantedAccess = new WeakMap<GoRemoteEnvironment, AccessExpectation[]>();

/** What the grants made in `apiAccessCharts` must allow, and what next to them must stay denied. */
export function expectedGrantedAccess(env: GoRemoteEnvironment): AccessExpectation[] {
  return grantedAccess.get(env) ?? [];
}

/** What idle stop allows: get and patch the scale of its own Deployment, nothing more. */
export function expectedIdleStopAccess(env: GoRemoteEnvironment): AccessExpectation[] {
  if (env.idleStop === undefined) return [];
  const ns = env.namespace!;
  const user = `system:serviceaccount:${ns}:${env.serviceAccount.name}`;
  const scale = { user, namespace: ns, group: 'apps', resource: 'deployments', subresource: 'scale' };
  return [
    { ...scale, verb: 'get', name: env.deployment.name, allowed: true },
    { ...scale, verb: 'patch', name: env.deployment.name, allowed: true },
    // Not a replacement of the scale, not another Deployment's scale, not the Deployment itself.
    { ...scale, verb: 'update', name: env.deployment.name, allowed: false },
    { ...scale, verb: 'patch', name: `not-${env.deployment.name}`, allowed: false },
    { ...scale, verb: 'patch', allowed: false },
    { user, namespace: ns, verb: 'patch', group: 'apps', resource: 'deployments', name: env.deployment.name, allowed: false },
    { user, namespace: 'default', verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', name: env.deployment.name, allowed: false },
  ];
}

/** Charts for the API-server tier: `scenario-api-access`. */
export function apiAccessCharts(app: App): { [name: string]: Chart } {
  const ns = 'scenario-api-access';
  const chart = new Chart(app, ns, { namespace: ns });

  const apiAccess = ApiAccess.serviceAccountToken({ idleStop: Duration.minutes(30) })
    .grantRead(ApiResource.SERVICES, ApiResource.custom({ apiGroup: '', resourceType: 'pods/log' }))
    .grant({ resources: [ApiResource.CONFIG_MAPS], verbs: [ApiVerb.GET, ApiVerb.UPDATE], resourceNames: ['widget-config'] })
    .grantClusterRead(ApiResource.NODES, ApiResource.custom({ apiGroup: 'apiextensions.k8s.io', resourceType: 'customresourcedefinitions' }))
    .grant({ resources: [ApiResource.LEASES], verbs: [ApiVerb.GET, ApiVerb.CREATE, ApiVerb.UPDATE], scope: GrantScope.CLUSTER });
  const dev = new GoRemoteEnvironment(chart, 'dev', { name: 'dev', authorizedKeys: [KEY], apiAccess });
  const user = `system:serviceaccount:${ns}:dev`;
  grantedAccess.set(dev, [
    // Namespaced reads, in its namespace only, and no writes; pods/log is not pods (expectedAccess: get pods denied).
    { user, namespace: ns, verb: 'get', group: '', resource: 'services', allowed: true },
    { user, namespace: ns, verb: 'watch', group: '', resource: 'services', allowed: true },
    { user, namespace: ns, verb: 'get', group: '', resource: 'pods', subresource: 'log', allowed: true },
    { user, namespace: ns, verb: 'delete', group: '', resource: 'services', allowed: false },
    { user, namespace: 'default', verb: 'get', group: '', resource: 'services', allowed: false },
    // By name: that ConfigMap, those verbs.
    { user, namespace: ns, verb: 'update', group: '', resource: 'configmaps', name: 'widget-config', allowed: true },
    { user, namespace: ns, verb: 'update', group: '', resource: 'configmaps', name: 'other-config', allowed: false },
    { user, namespace: ns, verb: 'list', group: '', resource: 'configmaps', allowed: false },
    // Cluster-wide: nodes and CRDs read, leases in any namespace, and nothing else.
    { user, namespace: '', verb: 'list', group: '', resource: 'nodes', allowed: true },
    { user, namespace: '', verb: 'get', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', name: 'widgets.example.com', allowed: true },
    { user, namespace: '', verb: 'delete', group: '', resource: 'nodes', allowed: false },
    { user, namespace: 'kube-system', verb: 'update', group: 'coordination.k8s.io', resource: 'leases', name: 'widget-leader', allowed: true },
    { user, namespace: 'kube-system', verb: 'delete', group: 'coordination.k8s.io', resource: 'leases', name: 'widget-leader', allowed: false },
    // One rule per API group: 'nodes' in the apiextensions group was never declared.
    { user, namespace: '', verb: 'get', group: 'apiextensions.k8s.io', resource: 'nodes', allowed: false },
  ]);

  // The original tool's way: a kubeconfig Secret, no token, and the ServiceAccount may do nothing.
  new GoRemoteEnvironment(chart, 'kubeconfig', { name: 'kubeconfig', authorizedKeys: [KEY], apiAccess: ApiAccess.kubeconfig({ secretName: 'dev-kubeconfig' }) });

  return { [ns]: chart };
}

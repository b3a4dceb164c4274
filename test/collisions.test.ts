import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { ApiAccess, GoRemoteEnvironment, GoRemoteFleet, NamespaceMode, NodeAccess, Platform } from '../src';
import { KEY } from './util';
import { findCollisions } from '../src/collisions';

// Issue 14, section 2: names cannot collide by construction, and one check over the whole App refuses any
// duplicate (API group, kind, namespace, name), naming both construct paths.

const key = (m: any) => `${m.apiVersion} ${m.kind} ${m.metadata.namespace ?? '-'}/${m.metadata.name}`;
/** Every manifest of every chart of the app (each chart's toJson also runs the App's validations). */
const synthAll = (app: App) => app.charts.flatMap(c => Testing.synth(c));
const unique = (manifests: any[]) => expect(new Set(manifests.map(key)).size).toBe(manifests.length);

describe('names unambiguous by construction', () => {
  test('cluster-scoped: namespace team-a + dev and namespace team + a-dev get distinct ClusterRoles, bindings, SCCs and webhook configurations', () => {
    const app = Testing.app();
    for (const [namespace, name] of [['team-a', 'dev'], ['team', 'a-dev']]) {
      const chart = new Chart(app, namespace, { namespace });
      new GoRemoteEnvironment(chart, 'env', {
        authorizedKeys: [KEY],
        name,
        platform: Platform.OPENSHIFT,
        nodeAccess: NodeAccess.privileged(),
        apiAccess: ApiAccess.serviceAccountToken().grantClusterRead(ApiResource.NODES),
      });
    }
    const manifests = synthAll(app);
    const clusterScoped = manifests.filter(m => ['ClusterRole', 'ClusterRoleBinding', 'SecurityContextConstraints'].includes(m.kind));
    expect(clusterScoped.map(m => m.metadata.name).sort()).toEqual([
      'go-remote.team-a.dev', 'go-remote.team-a.dev', 'go-remote.team-a.dev', 'go-remote.team.a-dev', 'go-remote.team.a-dev', 'go-remote.team.a-dev',
    ]);
    unique(manifests);
  });

  test('OpenShift: environment x with host networking and environment x-scc-hostnetwork-v2 in one namespace', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'team', { namespace: 'team' });
    for (const name of ['x', 'x-scc-hostnetwork-v2']) {
      new GoRemoteEnvironment(chart, name, { authorizedKeys: [KEY], name, platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.hostNetwork() });
    }
    const bindings = Testing.synth(chart).filter(m => m.kind === 'RoleBinding').map(m => m.metadata.name).sort();
    expect(bindings).toEqual(['x', 'x--scc-hostnetwork-v2', 'x-scc-hostnetwork-v2', 'x-scc-hostnetwork-v2--scc-hostnetwork-v2']);
  });

  test('a shared-namespace fleet: a developer named team-default-deny does not replace the fleet\'s default deny', () => {
    const chart = new Chart(Testing.app(), 'team');
    new GoRemoteFleet(chart, 'fleet', {
      namespace: 'team',
      namespaceMode: NamespaceMode.SHARED,
      developers: ['team-default-deny', 'team-allow-ssh-and-egress'].map(name => ({ name, authorizedKeys: [KEY] })),
    });
    const manifests = Testing.synth(chart);
    expect(manifests.filter(m => m.kind === 'NetworkPolicy').map(m => m.metadata.name)).toEqual(['team--default-deny', 'team--allow-ssh-and-egress']);
    unique(manifests);
  });

  test('fleets team (developer a-b) and team-a (developer b) own distinct namespaces', () => {
    const app = Testing.app();
    const namespaces = [['team', 'a-b'], ['team-a', 'b']].map(([namespace, developer]) => {
      const fleet = new GoRemoteFleet(new Chart(app, namespace), 'fleet', { namespace, developers: [{ name: developer, authorizedKeys: [KEY] }] });
      return fleet.namespaces.map(n => n.name);
    });
    expect(namespaces).toEqual([['team--a-b'], ['team-a--b']]);
    unique(synthAll(app));
  });

  test('no name the library takes may contain the separator --', () => {
    expect(() => new GoRemoteEnvironment(new Chart(Testing.app(), 'c', { namespace: 'dev' }), 'env', { authorizedKeys: [KEY], name: 'x--webhook' }))
      .toThrow(/'name' is "x--webhook"; expected a name without '--'/);
    const fleet = (props: any) => () => new GoRemoteFleet(new Chart(Testing.app(), 'c'), 'fleet', { namespace: 'team', developers: [], ...props });
    expect(fleet({ developers: [{ name: 'a--b', authorizedKeys: [KEY] }] })).toThrow(/'developers\[0\].name' is "a--b"; expected a name without '--'/);
    expect(fleet({ namespace: 'team--a' })).toThrow(/'namespace' is "team--a"; expected a namespace without '--'/);
  });

  test('a name derived from the construct path never holds --', () => {
    const env = new GoRemoteEnvironment(new Chart(Testing.app(), 'c', { namespace: 'dev' }), 'a--b', { authorizedKeys: [KEY] });
    expect(env.name).not.toContain('--');
  });
});

describe('one check over the whole App', () => {
  test('GIVEN the same environment in two charts of one namespace THEN synthesis refuses it, naming both construct paths', () => {
    const app = Testing.app();
    for (const id of ['first', 'second']) new GoRemoteEnvironment(new Chart(app, id, { namespace: 'dev' }), 'env', { authorizedKeys: [KEY], name: 'alice' });
    expect(() => app.synthYaml()).toThrow(/Deployment \(apps\) "dev\/alice" is defined twice, by first\/env\/Deployment and by second\/env\/Deployment/);
    expect(() => Testing.synth(app.charts[0])).toThrow(/ServiceAccount "dev\/alice" is defined twice, by first\/env\/ServiceAccount and by second\/env\/ServiceAccount/);
  });

  test('GIVEN cluster-scoped objects in charts of different namespaces THEN they collide (a namespace does not separate them)', () => {
    const app = Testing.app();
    for (const ns of ['a', 'b']) {
      new ApiObject(new Chart(app, ns, { namespace: ns }), 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'shared' } });
    }
    expect(findCollisions(app)).toEqual([expect.stringMatching(/^ClusterRole \(rbac.authorization.k8s.io\) "shared" is defined twice, by a\/role and by b\/role/)]);
  });

  test('GIVEN a user\'s own object with an environment\'s kind, namespace and name THEN refused; another group or namespace is fine', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'dev' });
    new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY], name: 'alice' });
    new ApiObject(chart, 'other-ns', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'alice', namespace: 'prod' } });
    new ApiObject(chart, 'other-group', { apiVersion: 'example.com/v1', kind: 'Service', metadata: { name: 'alice' } });
    expect(findCollisions(app)).toEqual([]);
    new ApiObject(chart, 'mine', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alice-config' } });
    expect(findCollisions(app)).toEqual([expect.stringMatching(/^ConfigMap "dev\/alice-config" is defined twice, by c\/env\/Config and by c\/mine/)]);
    expect(() => app.synthYaml()).toThrow(/ConfigMap "dev\/alice-config" is defined twice/);
  });
});

import { Chart, Testing } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { ApiAccess, GoRemoteEnvironment, NodeAccess, Platform } from '../src';
import { KEY } from './util';

describe('cluster-scoped objects', () => {
  test('GIVEN a chart whose namespace is "" THEN no cluster-scoped object carries a namespace field', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: '' });
    new GoRemoteEnvironment(chart, 'alice', {
      name: 'alice',
      namespace: 'dev',
      authorizedKeys: [KEY],
      platform: Platform.OPENSHIFT,
      nodeAccess: NodeAccess.privileged(),
      apiAccess: ApiAccess.serviceAccountToken().grantClusterRead(ApiResource.NODES),
    });
    const manifests = Testing.synth(chart);
    const clusterScoped = manifests.filter(m => ['ClusterRole', 'ClusterRoleBinding', 'SecurityContextConstraints'].includes(m.kind));
    expect(clusterScoped.map(m => m.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'SecurityContextConstraints']);
    for (const m of clusterScoped) expect(m.metadata).not.toHaveProperty('namespace');
    expect(manifests.find(m => m.kind === 'Deployment').metadata.namespace).toBe('dev');
  });
});

import { Testing } from 'cdk8s';
import { Group, ServiceAccount, User } from 'cdk8s-plus-27';
import { CONNECT_RULES } from '../src/rbac';
import { strictSchemas } from './support/schemas';
import { synth } from './util';

// grantConnect: the RBAC that `cdk8s-go-remote connect` needs (src/connect.ts), bound to the given people.

describe('grantConnect', () => {
  test('GIVEN a user THEN a Role <name>--connect with exactly what connect does, bound to that user', () => {
    const { env, chart } = synth({ name: 'alice' });
    env.grantConnect(User.fromName(chart, 'Alice', 'alice@example.com'));
    const manifests = Testing.synth(chart);
    const role = manifests.find(m => m.kind === 'Role' && m.metadata.name === 'alice--connect');
    expect(role.metadata.namespace).toBe('dev');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['alice'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['alice'], verbs: ['get', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      { apiGroups: [''], resources: ['events'], verbs: ['list'] },
    ]);
    const binding = manifests.find(m => m.kind === 'RoleBinding' && m.metadata.name === 'alice--connect');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'alice--connect' });
    expect(binding.subjects).toEqual([{ kind: 'User', name: 'alice@example.com', apiGroup: 'rbac.authorization.k8s.io' }]);
    const deployment = manifests.find(m => m.kind === 'Deployment');
    expect(binding.metadata.labels).toEqual(deployment.metadata.labels);
    expect(role.metadata.labels).toEqual(deployment.metadata.labels);
    expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
  });

  test('GIVEN two calls THEN one Role and one RoleBinding holding every subject', () => {
    const { env, chart } = synth({ name: 'alice' });
    env.grantConnect(Group.fromName(chart, 'Team', 'team-a'));
    const returned = env.grantConnect(ServiceAccount.fromServiceAccountName(chart, 'Bot', 'ci-bot', { namespaceName: 'ci' }));
    const manifests = Testing.synth(chart);
    expect(manifests.filter(m => m.metadata.name === 'alice--connect').map(m => m.kind)).toEqual(['Role', 'RoleBinding']);
    const binding = manifests.find(m => m.kind === 'RoleBinding' && m.metadata.name === 'alice--connect');
    expect(returned.name).toBe('alice--connect');
    expect(binding.subjects).toEqual([
      { kind: 'Group', name: 'team-a', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci-bot', namespace: 'ci' },
    ]);
  });

  test('GIVEN no subject THEN refused, naming the call', () => {
    const { env } = synth({ name: 'alice' });
    expect(() => env.grantConnect()).toThrow(/grantConnect\(subjects\).*at least one subject/);
  });

  test('GIVEN no grantConnect THEN no connect Role (nobody gets more than declared)', () => {
    const { manifests } = synth({ name: 'alice' });
    expect(manifests.filter(m => m.metadata.name === 'alice--connect')).toEqual([]);
  });

  test('the rules name the environment\'s Deployment only', () => {
    for (const rule of CONNECT_RULES('bob').filter(r => r.apiGroups[0] === 'apps')) expect(rule.resourceNames).toEqual(['bob']);
  });
});

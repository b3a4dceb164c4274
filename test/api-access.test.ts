import { Chart, Duration, Testing } from 'cdk8s';
import { ApiResource, ApiVerb, GoRemoteEnvironment, GrantScope, ValidationErrors } from '../src';
import { apiAccessCharts } from './apiserver/api-access';
import { strictSchemas } from './support/schemas';
import { KEY, all, devContainer, one, podSpec, synth } from './util';

/** GIVEN an environment, WHEN `act` grants on it after construction, THEN the synthesized manifests. */
function granted(act: (env: GoRemoteEnvironment) => void, props: Parameters<typeof synth>[0] = {}, namespace = 'dev') {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: namespace || undefined });
  const env = new GoRemoteEnvironment(chart, 'env', { name: 'alice', authorizedKeys: [KEY], ...props });
  act(env);
  return { env, manifests: Testing.synth(chart) };
}

const READ = ['get', 'list', 'watch'];
const READ_WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

describe('API access', () => {
  describe('the ServiceAccount token', () => {
    test('GIVEN no grant, no idle stop THEN the token is not mounted (ServiceAccount and pod)', () => {
      const { manifests, env } = synth();
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(podSpec(manifests).automountServiceAccountToken).toBe(false);
      expect(env.serviceAccountTokenMounted).toBe(false);
    });

    test('GIVEN a grant made after construction THEN the token is mounted', () => {
      const { manifests, env } = granted(e => e.grantRead(ApiResource.PODS));
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(true);
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(env.serviceAccountTokenMounted).toBe(true);
    });

    test('GIVEN idleStop THEN the token is mounted', () => {
      const { manifests } = synth({ idleStop: Duration.minutes(30) });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(true);
    });

    test('GIVEN serviceAccountToken: true and nothing else THEN the token is mounted (the Role grants nothing)', () => {
      const { manifests } = synth({ serviceAccountToken: true });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(one(manifests, 'Role').rules).toBeUndefined();
    });

    test('GIVEN a kubeconfig THEN the token is not mounted', () => {
      const { manifests } = synth({ kubeconfig: { secretName: 'my-kubeconfig' } });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(false);
    });

    test('GIVEN a kubeconfig and serviceAccountToken: true THEN both are mounted, and grants are accepted', () => {
      const { manifests } = granted(e => e.grantRead(ApiResource.PODS), { kubeconfig: { secretName: 'k' }, serviceAccountToken: true });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(devContainer(manifests).env).toContainEqual({ name: 'KUBECONFIG', value: '/etc/go-remote/kubeconfig/config' });
    });

    test('GIVEN a kubeconfig and idleStop THEN the token is mounted for idle stop', () => {
      const { manifests } = synth({ kubeconfig: { secretName: 'k' }, idleStop: Duration.hours(1) });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
    });
  });

  describe('kubeconfig', () => {
    test('GIVEN a kubeconfig Secret THEN its key "config" is mounted read-only in a directory and KUBECONFIG names it', () => {
      const { manifests } = synth({ kubeconfig: { secretName: 'my-kubeconfig' } });
      const spec = podSpec(manifests);
      expect(spec.volumes).toContainEqual({
        name: 'kubeconfig',
        secret: { secretName: 'my-kubeconfig', items: [{ key: 'config', path: 'config' }], defaultMode: 0o400, optional: false },
      });
      expect(devContainer(manifests).volumeMounts).toContainEqual({ name: 'kubeconfig', mountPath: '/etc/go-remote/kubeconfig', readOnly: true });
      expect(devContainer(manifests).env).toContainEqual({ name: 'KUBECONFIG', value: '/etc/go-remote/kubeconfig/config' });
      // The clone init container gets no credentials it does not need.
      expect(JSON.stringify(manifests)).not.toMatch(/subPath.*kubeconfig/);
    });

    test('GIVEN a key THEN that key is mounted as the file config', () => {
      const { manifests } = synth({ kubeconfig: { secretName: 'my-kubeconfig', key: 'admin.conf' } });
      expect(podSpec(manifests).volumes.find((v: any) => v.name === 'kubeconfig').secret.items).toEqual([{ key: 'admin.conf', path: 'config' }]);
    });

    test('GIVEN no kubeconfig THEN no KUBECONFIG and no kubeconfig volume', () => {
      const { manifests } = synth();
      expect(devContainer(manifests).env.map((e: any) => e.name)).not.toContain('KUBECONFIG');
      expect(podSpec(manifests).volumes.map((v: any) => v.name)).not.toContain('kubeconfig');
    });

    test('a secretName that is not a DNS subdomain is refused', () => {
      expect(() => synth({ kubeconfig: { secretName: 'My_Secret' } })).toThrow(/'kubeconfig.secretName' is "My_Secret"; expected a DNS-1123 subdomain/);
    });

    test('a key with a slash is refused', () => {
      expect(() => synth({ kubeconfig: { secretName: 'k', key: '../config' } })).toThrow(/'kubeconfig.key' is "..\/config"; expected a Secret key/);
    });

    test('the key ".." is refused', () => {
      expect(() => synth({ kubeconfig: { secretName: 'k', key: '..' } })).toThrow(/'kubeconfig.key' is "\.\."; expected a Secret key/);
    });

    test('env.KUBECONFIG beside kubeconfig is refused', () => {
      expect(() => synth({ kubeconfig: { secretName: 'k' }, env: { KUBECONFIG: '/x' } })).toThrow(/'env.KUBECONFIG' is "\/x"; is set by 'kubeconfig'/);
    });

    test('a user volume named kubeconfig is refused', () => {
      expect(() => synth({ volumes: [{ volume: { name: 'kubeconfig', emptyDir: {} }, mountPath: '/k' }] })).toThrow(/'volumes\[0\].volume.name' is "kubeconfig"; is used by the environment itself/);
    });
  });

  describe('namespaced grants', () => {
    test('GIVEN no grant THEN the Role has no rules key at all', () => {
      const { manifests } = synth();
      expect('rules' in one(manifests, 'Role')).toBe(false);
    });

    test('grantRead gives get, list, watch, one rule per API group', () => {
      const { manifests } = granted(e => e.grantRead(ApiResource.PODS, ApiResource.POD_LOGS, ApiResource.DEPLOYMENTS));
      expect(one(manifests, 'Role').rules).toEqual([
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: READ },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: READ },
      ]);
      expect(all(manifests, 'ClusterRole')).toEqual([]);
    });

    test('grantReadWrite gives reads and single-object writes, not deletecollection', () => {
      const { manifests } = granted(e => e.grantReadWrite(ApiResource.CONFIG_MAPS));
      expect(one(manifests, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: READ_WRITE }]);
    });

    test('grant with resourceNames and verbs in any order gives exactly those, verbs in canonical order', () => {
      const { manifests } = granted(e => e.grant({
        resources: [ApiResource.custom('widgets.example.com', 'widgets'), ApiResource.custom('widgets.example.com', 'widgets/status')],
        verbs: [ApiVerb.PATCH, ApiVerb.GET, ApiVerb.GET],
        resourceNames: ['w1', 'w2', 'w1'],
      }));
      expect(one(manifests, 'Role').rules).toEqual([
        { apiGroups: ['widgets.example.com'], resources: ['widgets', 'widgets/status'], resourceNames: ['w1', 'w2'], verbs: ['get', 'patch'] },
      ]);
    });

    test('the same grant twice gives its rules once; grants keep their order', () => {
      const { manifests } = granted(e => {
        e.grantRead(ApiResource.SERVICES);
        e.grantRead(ApiResource.PODS);
        e.grantRead(ApiResource.SERVICES);
      });
      expect(one(manifests, 'Role').rules.map((r: any) => r.resources[0])).toEqual(['services', 'pods']);
    });

    test('grants come after the idle-stop rule', () => {
      const { manifests } = granted(e => e.grantRead(ApiResource.PODS), { idleStop: Duration.minutes(10) });
      expect(one(manifests, 'Role').rules.map((r: any) => r.resources)).toEqual([['deployments/scale'], ['pods']]);
    });

    test('the YAML is byte-identical for the same grants', () => {
      const render = () => {
        const app = Testing.app();
        const chart = new Chart(app, 'c', { namespace: 'n' });
        const env = new GoRemoteEnvironment(chart, 'e', { authorizedKeys: [KEY] });
        env.grantRead(ApiResource.PODS);
        env.grantClusterRead(ApiResource.NODES);
        return app.synthYaml();
      };
      expect(render()).toBe(render());
    });
  });

  describe('cluster-wide grants', () => {
    test('GIVEN a cluster grant THEN a ClusterRole and ClusterRoleBinding go-remote-<ns>-<name>, pinned ids, no namespace', () => {
      const { manifests, env } = granted(e => e.grantClusterRead(ApiResource.NODES, ApiResource.PODS));
      const role = one(manifests, 'ClusterRole');
      const binding = one(manifests, 'ClusterRoleBinding');
      expect(role.metadata.name).toBe('go-remote-dev-alice');
      expect(binding.metadata.name).toBe('go-remote-dev-alice');
      expect(role.metadata.namespace).toBeUndefined();
      expect(binding.metadata.namespace).toBeUndefined();
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: READ }]);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'go-remote-dev-alice' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'alice', namespace: 'dev' }]);
      expect(env.node.children.map(c => c.node.id).slice(-2)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      expect(env.clusterRole?.name).toBe('go-remote-dev-alice');
      expect(env.clusterRoleBinding?.name).toBe('go-remote-dev-alice');
      // The namespaced Role is untouched.
      expect('rules' in one(manifests, 'Role')).toBe(false);
    });

    test('GIVEN the namespace prop and a chart without namespace THEN the names use the prop', () => {
      const { manifests } = granted(e => e.grantClusterReadWrite(ApiResource.LEASES), { namespace: 'team' }, '');
      expect(one(manifests, 'ClusterRole').metadata).toMatchObject({ name: 'go-remote-team-alice' });
      expect(one(manifests, 'ClusterRole').rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ_WRITE }]);
      expect(one(manifests, 'ClusterRoleBinding').subjects[0].namespace).toBe('team');
    });

    test('several cluster grants share one ClusterRole', () => {
      const { manifests } = granted(e => {
        e.grantClusterRead(ApiResource.NODES);
        e.grant({ resources: [ApiResource.NAMESPACES], verbs: [ApiVerb.GET], scope: GrantScope.CLUSTER });
      });
      expect(one(manifests, 'ClusterRole').rules).toEqual([
        { apiGroups: [''], resources: ['nodes'], verbs: READ },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
      ]);
    });

    test('GIVEN no namespace THEN a cluster grant is refused', () => {
      expect(() => granted(e => e.grantClusterRead(ApiResource.NODES), {}, '')).toThrow(/'namespace' is undefined; expected a namespace: a cluster-wide grant/);
    });
  });

  describe('validation', () => {
    const refuse = (act: (env: GoRemoteEnvironment) => void, message: RegExp, props = {}) => {
      let error: unknown;
      try {
        granted(act, props);
      } catch (e) {
        error = e;
      }
      expect(ValidationErrors.isValidationError(error)).toBe(true);
      expect(String(error)).toMatch(message);
    };

    test('no grant at all', () => refuse(e => e.grant(undefined as any), /'grant' is undefined; expected an ApiGrant/));
    test('no resources', () => refuse(e => e.grantRead(), /'grant.resources' is \[\]; expected at least one ApiResource/));
    test('no verbs', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [] }), /'grant.verbs' is \[\]; expected at least one ApiVerb/));
    test('a wildcard verb', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: ['*' as ApiVerb] }), /'grant.verbs\[0\]' is "\*"; expected an ApiVerb .* never granted/));
    test('the escalate verb', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: ['escalate' as ApiVerb] }), /'grant.verbs\[0\]' is "escalate"/));
    test('a wildcard resource', () => refuse(e => e.grantRead(ApiResource.custom('', '*')), /'grant.resources\[0\].resource' is "\*"; expected a resource without '\*'/));
    test('a wildcard API group', () => refuse(e => e.grantRead(ApiResource.custom('*', 'pods')), /'grant.resources\[0\].apiGroup' is "\*"; expected an API group without '\*'/));
    test('a bad resource name', () => refuse(e => e.grantRead(ApiResource.custom('', 'Pods')), /'grant.resources\[0\].resource' is "Pods"; expected a plural, lower-case resource name/));
    test('a bad API group', () => refuse(e => e.grantRead(ApiResource.custom('Example_Group', 'widgets')), /'grant.resources\[0\].apiGroup' is "Example_Group"; expected a DNS-1123 subdomain/));
    test('not an ApiResource', () => refuse(e => e.grantRead({ apiGroup: '', resource: 'pods' } as any), /'grant.resources\[0\]' is .*expected an ApiResource/));
    test('a cluster-scoped resource in the namespace', () => refuse(e => e.grantRead(ApiResource.NODES), /'grant.resources\[0\]' is "nodes"; is cluster-scoped.*GrantScope.CLUSTER/));
    test('an unknown scope', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], scope: 'Everywhere' as GrantScope }), /'grant.scope' is "Everywhere"/));
    test('empty resourceNames', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: [] }), /'grant.resourceNames' is \[\]; expected at least one name/));
    test('a resource name with a slash', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: ['a/b'] }), /'grant.resourceNames\[0\]' is "a\/b"; expected an object name/));
    test('a wildcard resource name', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: ['*'] }), /'grant.resourceNames\[0\]' is "\*"/));
    test('create with resourceNames', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.CREATE], resourceNames: ['p'] }), /'grant.verbs' is \["create"\]; includes 'create', which a rule with resourceNames never allows/));
    test('deletecollection with resourceNames', () => refuse(e => e.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.DELETE_COLLECTION], resourceNames: ['p'] }), /includes 'deletecollection'/));
    test('a grant with serviceAccountToken: false', () => refuse(e => e.grantRead(ApiResource.PODS), /'serviceAccountToken' is false; but a grant needs the ServiceAccount token/, { serviceAccountToken: false }));
    test('a grant beside a kubeconfig without serviceAccountToken: true', () => refuse(e => e.grantRead(ApiResource.PODS), /'kubeconfig' is "k"; is mounted as KUBECONFIG, so the ServiceAccount's grants would go unused/, { kubeconfig: { secretName: 'k' } }));

    test('every problem of a grant is reported at once', () => {
      let error: unknown;
      try {
        granted(e => e.grant({ resources: [ApiResource.custom('*', '*')], verbs: ['*' as ApiVerb] }));
      } catch (e) {
        error = e;
      }
      expect(ValidationErrors.problemsOf(error)).toHaveLength(3);
      expect(ValidationErrors.problemsOf(error)).toEqual([
        expect.stringMatching(/^'grant.verbs\[0\]' is "\*"; expected an ApiVerb/),
        expect.stringMatching(/^'grant.resources\[0\].apiGroup' is "\*"; expected an API group without '\*'/),
        expect.stringMatching(/^'grant.resources\[0\].resource' is "\*"; expected a resource without '\*'/),
      ]);
    });

    test('a refused grant leaves no rule behind', () => {
      const { manifests } = granted(e => {
        expect(() => e.grantRead(ApiResource.PODS, ApiResource.NODES)).toThrow();
      });
      expect('rules' in one(manifests, 'Role')).toBe(false);
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    });
  });

  test('the API-server tier\'s api-access scenario (grants of every kind, idle stop, kubeconfig) validates against the Kubernetes 1.27 schema', () => {
    const charts = apiAccessCharts(Testing.app());
    const manifests = Object.values(charts).flatMap(c => Testing.synth(c));
    expect(manifests.map(m => m.kind)).toEqual(expect.arrayContaining(['ClusterRole', 'ClusterRoleBinding', 'Role']));
    expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
  });

  describe('ApiResource', () => {
    test('the constants name their group and resource', () => {
      expect([ApiResource.DEPLOYMENTS.apiGroup, ApiResource.DEPLOYMENTS.resource]).toEqual(['apps', 'deployments']);
      expect(ApiResource.DEPLOYMENTS.toString()).toBe('deployments.apps');
      expect(ApiResource.PODS.toString()).toBe('pods');
      expect(ApiResource.NODES.clusterScoped).toBe(true);
      expect(ApiResource.PODS.clusterScoped).toBe(false);
      expect(ApiResource.custom('example.com', 'widgets').clusterScoped).toBeUndefined();
    });
  });
});

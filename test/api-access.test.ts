import { Chart, Duration, Testing } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { ApiAccess, ApiAccessKind, ApiVerb, GoRemoteEnvironment, GrantScope, ServiceAccountTokenAccess, ValidationErrors } from '../src';
import { isClusterScoped, resourceId } from '../src/api-access';
import { apiAccessCharts } from './apiserver/api-access';
import { strictSchemas } from './support/schemas';
import { KEY, all, devContainer, one, podSpec, synth } from './util';

const POD_LOGS = ApiResource.custom({ apiGroup: '', resourceType: 'pods/log' });
const custom = (apiGroup: string, resourceType: string) => ApiResource.custom({ apiGroup, resourceType });

/** GIVEN the ServiceAccount token access, WHEN `act` grants on it, THEN the environment given it, synthesized. */
function granted(
  act: (access: ServiceAccountTokenAccess) => ServiceAccountTokenAccess, props: Parameters<typeof synth>[0] = {}, namespace = 'dev',
  access = ApiAccess.serviceAccountToken(),
) {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: namespace || undefined });
  const env = new GoRemoteEnvironment(chart, 'env', { name: 'alice', authorizedKeys: [KEY], ...props, apiAccess: act(access) });
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

    test('GIVEN a grant THEN the token is mounted', () => {
      const { manifests, env } = granted(a => a.grantRead(ApiResource.PODS));
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(true);
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(env.serviceAccountTokenMounted).toBe(true);
    });

    test('GIVEN idleStop THEN the token is mounted', () => {
      const { manifests } = synth({ apiAccess: ApiAccess.serviceAccountToken({ idleStop: Duration.minutes(30) }) });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(true);
    });

    test('GIVEN ApiAccess.serviceAccountToken() and nothing else THEN the token is mounted (the Role grants nothing)', () => {
      const { manifests } = synth({ apiAccess: ApiAccess.serviceAccountToken() });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(one(manifests, 'Role').rules).toBeUndefined();
    });

    test('GIVEN a kubeconfig THEN the token is not mounted', () => {
      const { manifests } = synth({ apiAccess: ApiAccess.kubeconfig({ secretName: 'my-kubeconfig' }) });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(false);
    });

    test('GIVEN the ServiceAccount token with a kubeconfig THEN both are mounted, and grants are accepted', () => {
      const { manifests } = granted(a => a.grantRead(ApiResource.PODS), {}, 'dev', ApiAccess.serviceAccountToken({ kubeconfig: { secretName: 'k' } }));
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
      expect(devContainer(manifests).env).toContainEqual({ name: 'KUBECONFIG', value: '/etc/go-remote/kubeconfig/config' });
    });

    test('GIVEN a kubeconfig and idleStop THEN the token is mounted for idle stop', () => {
      const { manifests } = synth({ apiAccess: ApiAccess.serviceAccountToken({ kubeconfig: { secretName: 'k' }, idleStop: Duration.hours(1) }) });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
    });
  });

  describe('kubeconfig', () => {
    test('GIVEN a kubeconfig Secret THEN its key "config" is mounted read-only in a directory and KUBECONFIG names it', () => {
      const { manifests } = synth({ apiAccess: ApiAccess.kubeconfig({ secretName: 'my-kubeconfig' }) });
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
      const { manifests } = synth({ apiAccess: ApiAccess.kubeconfig({ secretName: 'my-kubeconfig', key: 'admin.conf' }) });
      expect(podSpec(manifests).volumes.find((v: any) => v.name === 'kubeconfig').secret.items).toEqual([{ key: 'admin.conf', path: 'config' }]);
    });

    test('GIVEN no kubeconfig THEN no KUBECONFIG and no kubeconfig volume', () => {
      const { manifests } = synth();
      expect(devContainer(manifests).env.map((e: any) => e.name)).not.toContain('KUBECONFIG');
      expect(podSpec(manifests).volumes.map((v: any) => v.name)).not.toContain('kubeconfig');
    });

    test('a secretName that is not a DNS subdomain is refused', () => {
      expect(() => ApiAccess.kubeconfig({ secretName: 'My_Secret' })).toThrow(/'kubeconfig.secretName' is "My_Secret"; expected a DNS-1123 subdomain/);
    });

    test('a key with a slash is refused', () => {
      expect(() => ApiAccess.kubeconfig({ secretName: 'k', key: '../config' })).toThrow(/'kubeconfig.key' is "..\/config"; expected a Secret key/);
    });

    test('the key ".." is refused', () => {
      expect(() => ApiAccess.serviceAccountToken({ kubeconfig: { secretName: 'k', key: '..' } })).toThrow(/'kubeconfig.key' is "\.\."; expected a Secret key/);
    });

    test('env.KUBECONFIG beside kubeconfig is refused', () => {
      expect(() => synth({ apiAccess: ApiAccess.kubeconfig({ secretName: 'k' }), env: { KUBECONFIG: '/x' } })).toThrow(/'env.KUBECONFIG' is "\/x"; is set by 'kubeconfig'/);
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
      const { manifests } = granted(a => a.grantRead(ApiResource.PODS, POD_LOGS, ApiResource.DEPLOYMENTS));
      expect(one(manifests, 'Role').rules).toEqual([
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: READ },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: READ },
      ]);
      expect(all(manifests, 'ClusterRole')).toEqual([]);
    });

    test('grantReadWrite gives reads and single-object writes, not deletecollection', () => {
      const { manifests } = granted(a => a.grantReadWrite(ApiResource.CONFIG_MAPS));
      expect(one(manifests, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: READ_WRITE }]);
    });

    test('grant with resourceNames and verbs in any order gives exactly those, verbs in canonical order', () => {
      const { manifests } = granted(a => a.grant({
        resources: [custom('widgets.example.com', 'widgets'), custom('widgets.example.com', 'widgets/status')],
        verbs: [ApiVerb.PATCH, ApiVerb.GET, ApiVerb.GET],
        resourceNames: ['w1', 'w2', 'w1'],
      }));
      expect(one(manifests, 'Role').rules).toEqual([
        { apiGroups: ['widgets.example.com'], resources: ['widgets', 'widgets/status'], resourceNames: ['w1', 'w2'], verbs: ['get', 'patch'] },
      ]);
    });

    test('the same grant twice gives its rules once; grants keep their order', () => {
      const { manifests } = granted(a => a
        .grantRead(ApiResource.SERVICES)
        .grantRead(ApiResource.PODS)
        .grantRead(ApiResource.SERVICES));
      expect(one(manifests, 'Role').rules.map((r: any) => r.resources[0])).toEqual(['services', 'pods']);
    });

    test('grants come after the idle-stop rule', () => {
      const { manifests } = granted(a => a.grantRead(ApiResource.PODS), {}, 'dev', ApiAccess.serviceAccountToken({ idleStop: Duration.minutes(10) }));
      expect(one(manifests, 'Role').rules.map((r: any) => r.resources)).toEqual([['deployments/scale'], ['pods']]);
    });

    test('the YAML is byte-identical for the same grants', () => {
      const render = () => {
        const app = Testing.app();
        const chart = new Chart(app, 'c', { namespace: 'n' });
        new GoRemoteEnvironment(chart, 'e', {
          authorizedKeys: [KEY],
          apiAccess: ApiAccess.serviceAccountToken().grantRead(ApiResource.PODS).grantClusterRead(ApiResource.NODES),
        });
        return app.synthYaml();
      };
      expect(render()).toBe(render());
    });
  });

  describe('cluster-wide grants', () => {
    test('GIVEN a cluster grant THEN a ClusterRole and ClusterRoleBinding go-remote.<ns>.<name>, pinned ids, no namespace', () => {
      const { manifests, env } = granted(a => a.grantClusterRead(ApiResource.NODES, ApiResource.PODS));
      const role = one(manifests, 'ClusterRole');
      const binding = one(manifests, 'ClusterRoleBinding');
      expect(role.metadata.name).toBe('go-remote.dev.alice');
      expect(binding.metadata.name).toBe('go-remote.dev.alice');
      expect(role.metadata.namespace).toBeUndefined();
      expect(binding.metadata.namespace).toBeUndefined();
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: READ }]);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'go-remote.dev.alice' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'alice', namespace: 'dev' }]);
      expect(env.node.children.map(c => c.node.id).slice(-2)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
      expect(env.clusterRole?.name).toBe('go-remote.dev.alice');
      expect(env.clusterRoleBinding?.name).toBe('go-remote.dev.alice');
      // The namespaced Role is untouched.
      expect('rules' in one(manifests, 'Role')).toBe(false);
    });

    test('GIVEN the namespace prop and a chart without namespace THEN the names use the prop', () => {
      const { manifests } = granted(a => a.grantClusterReadWrite(ApiResource.LEASES), { namespace: 'team' }, '');
      expect(one(manifests, 'ClusterRole').metadata).toMatchObject({ name: 'go-remote.team.alice' });
      expect(one(manifests, 'ClusterRole').rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ_WRITE }]);
      expect(one(manifests, 'ClusterRoleBinding').subjects[0].namespace).toBe('team');
    });

    test('several cluster grants share one ClusterRole', () => {
      const { manifests } = granted(a => a
        .grantClusterRead(ApiResource.NODES)
        .grant({ resources: [ApiResource.NAMESPACES], verbs: [ApiVerb.GET], scope: GrantScope.CLUSTER }));
      expect(one(manifests, 'ClusterRole').rules).toEqual([
        { apiGroups: [''], resources: ['nodes'], verbs: READ },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
      ]);
    });

    test('GIVEN no namespace THEN a cluster grant is refused', () => {
      expect(() => granted(a => a.grantClusterRead(ApiResource.NODES), {}, '')).toThrow(/'namespace' is undefined; expected a namespace: a cluster-wide grant/);
    });
  });

  describe('validation', () => {
    const refuse = (act: (access: ServiceAccountTokenAccess) => ServiceAccountTokenAccess, message: RegExp) => {
      let error: unknown;
      try {
        granted(act);
      } catch (e) {
        error = e;
      }
      expect(ValidationErrors.isValidationError(error)).toBe(true);
      expect(String(error)).toMatch(message);
    };

    test('no grant at all', () => refuse(a => a.grant(undefined as any), /'grant' is undefined; expected an ApiGrant/));
    test('no resources', () => refuse(a => a.grantRead(), /'grant.resources' is \[\]; expected at least one ApiResource/));
    test('no verbs', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [] }), /'grant.verbs' is \[\]; expected at least one ApiVerb/));
    test('a wildcard verb', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: ['*' as ApiVerb] }), /'grant.verbs\[0\]' is "\*"; expected an ApiVerb .* never granted/));
    test('the escalate verb', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: ['escalate' as ApiVerb] }), /'grant.verbs\[0\]' is "escalate"/));
    test('a wildcard resource', () => refuse(a => a.grantRead(custom('', '*')), /'grant.resources\[0\].resourceType' is "\*"; expected a resource without '\*'/));
    test('a wildcard API group', () => refuse(a => a.grantRead(custom('*', 'pods')), /'grant.resources\[0\].apiGroup' is "\*"; expected an API group without '\*'/));
    test('a bad resource name', () => refuse(a => a.grantRead(custom('', 'Pods')), /'grant.resources\[0\].resourceType' is "Pods"; expected a plural, lower-case resource name/));
    test('a bad API group', () => refuse(a => a.grantRead(custom('Example_Group', 'widgets')), /'grant.resources\[0\].apiGroup' is "Example_Group"; expected a DNS-1123 subdomain/));
    test('not an ApiResource', () => refuse(a => a.grantRead({ apiGroup: '', resource: 'pods' } as any), /'grant.resources\[0\]' is .*expected an ApiResource/));
    test('a cluster-scoped resource in the namespace', () => refuse(a => a.grantRead(ApiResource.NODES), /'grant.resources\[0\]' is "nodes"; is cluster-scoped.*GrantScope.CLUSTER/));
    test('an unknown scope', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], scope: 'Everywhere' as GrantScope }), /'grant.scope' is "Everywhere"/));
    test('empty resourceNames', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: [] }), /'grant.resourceNames' is \[\]; expected at least one name/));
    test('a resource name with a slash', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: ['a/b'] }), /'grant.resourceNames\[0\]' is "a\/b"; expected an object name/));
    test('a wildcard resource name', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.GET], resourceNames: ['*'] }), /'grant.resourceNames\[0\]' is "\*"/));
    test('create with resourceNames', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.CREATE], resourceNames: ['p'] }), /'grant.verbs' is \["create"\]; includes 'create', which a rule with resourceNames never allows/));
    test('deletecollection with resourceNames', () => refuse(a => a.grant({ resources: [ApiResource.PODS], verbs: [ApiVerb.DELETE_COLLECTION], resourceNames: ['p'] }), /includes 'deletecollection'/));
    test('a grant without the ServiceAccount token cannot be written: only ApiAccess.serviceAccountToken() has grant methods', () => {
      // @ts-expect-error no token, no grant
      expect(() => ApiAccess.none().grantRead(ApiResource.PODS)).toThrow(TypeError);
      // @ts-expect-error a kubeconfig alone: its user is granted elsewhere
      expect(() => ApiAccess.kubeconfig({ secretName: 'k' }).grantRead(ApiResource.PODS)).toThrow(TypeError);
      // @ts-expect-error the workload's ServiceAccount: the grant would go to one the pod does not run as
      expect(() => ApiAccess.impersonatedServiceAccount('checkout').grantRead(ApiResource.PODS)).toThrow(TypeError);
    });
    test('untyped JavaScript: the props of 0.x (serviceAccountToken, kubeconfig, idleStop) are refused, naming what replaced them', () => {
      expect(() => synth({ serviceAccountToken: false } as any)).toThrow(/'serviceAccountToken' is false; is not a prop since 1.0; use apiAccess: ApiAccess.serviceAccountToken\(\)/);
      expect(() => synth({ kubeconfig: { secretName: 'k' } } as any)).toThrow(/'kubeconfig' is \{"secretName":"k"\}; is not a prop since 1.0; use apiAccess: ApiAccess.kubeconfig/);
      expect(() => synth({ idleStop: Duration.minutes(5) } as any)).toThrow(/'idleStop' is .*; is not a prop since 1.0; use apiAccess: ApiAccess.serviceAccountToken\(\{ idleStop \}\)/);
    });
    test('untyped JavaScript: an apiAccess that is not an ApiAccess is refused', () => {
      expect(() => synth({ apiAccess: { kind: ApiAccessKind.SERVICE_ACCOUNT_TOKEN, grants: [] } as any })).toThrow(/'apiAccess' is \{"kind":"service-account-token","grants":\[\]\}; expected an ApiAccess/);
    });

    test('every problem of a grant is reported at once', () => {
      let error: unknown;
      try {
        granted(a => a.grant({ resources: [custom('*', '*')], verbs: ['*' as ApiVerb] }));
      } catch (e) {
        error = e;
      }
      expect(ValidationErrors.problemsOf(error)).toHaveLength(3);
      expect(ValidationErrors.problemsOf(error)).toEqual([
        expect.stringMatching(/^'grant.verbs\[0\]' is "\*"; expected an ApiVerb/),
        expect.stringMatching(/^'grant.resources\[0\].apiGroup' is "\*"; expected an API group without '\*'/),
        expect.stringMatching(/^'grant.resources\[0\].resourceType' is "\*"; expected a resource without '\*'/),
      ]);
    });

    test('a refused grant leaves no rule behind', () => {
      const { manifests, env } = granted(a => {
        expect(() => a.grantRead(ApiResource.PODS, ApiResource.NODES)).toThrow();
        return a;
      });
      expect('rules' in one(manifests, 'Role')).toBe(false);
      expect(env.apiAccess.grants).toEqual([]);
    });
  });

  test('the API-server tier\'s api-access scenario (grants of every kind, idle stop, kubeconfig) validates against the Kubernetes 1.27 schema', () => {
    const charts = apiAccessCharts(Testing.app());
    const manifests = Object.values(charts).flatMap(c => Testing.synth(c));
    expect(manifests.map(m => m.kind)).toEqual(expect.arrayContaining(['ClusterRole', 'ClusterRoleBinding', 'Role']));
    expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
  });

  describe('ApiResource (cdk8s-plus-27\'s)', () => {
    test('the constants name their group and resource; the built-in cluster-scoped ones are known', () => {
      expect([ApiResource.DEPLOYMENTS.apiGroup, ApiResource.DEPLOYMENTS.resourceType]).toEqual(['apps', 'deployments']);
      expect(resourceId(ApiResource.DEPLOYMENTS)).toBe('deployments.apps');
      expect(resourceId(ApiResource.PODS)).toBe('pods');
      expect(isClusterScoped(ApiResource.NODES)).toBe(true);
      expect(isClusterScoped(ApiResource.PODS)).toBe(false);
      expect(isClusterScoped(custom('example.com', 'widgets'))).toBe(false);
      expect(isClusterScoped(custom('', 'nodes/proxy'))).toBe(true);
    });
  });

  describe('ApiAccess', () => {
    test('each kind says what the pod mounts', () => {
      expect([ApiAccess.none(), ApiAccess.serviceAccountToken(), ApiAccess.kubeconfig({ secretName: 'k' }), ApiAccess.impersonatedServiceAccount('w'),
        ApiAccess.impersonatedServiceAccount('w', { mountToken: true })].map(a => [a.kind, a.tokenMounted])).toEqual([
        ['none', false], ['service-account-token', true], ['kubeconfig', false], ['impersonated-service-account', false], ['impersonated-service-account', true],
      ]);
    });
    test('a grant returns a new access; the one granted on is unchanged', () => {
      const base = ApiAccess.serviceAccountToken();
      const more = base.grantRead(ApiResource.PODS);
      expect(base.grants).toEqual([]);
      expect(more.grants).toHaveLength(1);
    });
    test('idleStop is checked where it is given', () => {
      expect(() => ApiAccess.serviceAccountToken({ idleStop: Duration.seconds(30) })).toThrow(/'idleStop' is "30 seconds"/);
    });
  });
});

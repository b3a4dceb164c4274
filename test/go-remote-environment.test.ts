import { readFileSync } from 'fs';
import { join } from 'path';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import { ApiResource, Cpu, ImagePullPolicy } from 'cdk8s-plus-27';
import { ApiAccess, GoRemoteEnvironment, NodeAccess, Platform, ServiceExposure, ValidationErrors } from '../src';
import { KEY, all, devContainer, one, podSpec, synth } from './util';

const DEFAULT_IMAGE = GoRemoteEnvironment.DEFAULT_IMAGE;

describe('GoRemoteEnvironment', () => {
  describe('what it creates', () => {
    test('GIVEN only keys THEN exactly the documented objects, with pinned construct ids and names', () => {
      const { manifests, env } = synth({}, { id: 'alice' });
      expect(manifests.map(m => `${m.kind}/${m.metadata.name}`)).toEqual([
        'ServiceAccount/test-alice-c8492648',
        'Role/test-alice-c8492648',
        'RoleBinding/test-alice-c8492648',
        'ConfigMap/test-alice-c8492648-config',
        'PersistentVolumeClaim/test-alice-c8492648-workspace',
        'Deployment/test-alice-c8492648',
        'Service/test-alice-c8492648',
      ]);
      expect(env.node.children.map(c => c.node.id)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'Config', 'Workspace', 'Deployment', 'Service']);
      expect(manifests.every(m => m.metadata.namespace === 'dev')).toBe(true);
    });

    test('GIVEN name THEN every object is named from it', () => {
      const { manifests } = synth({ name: 'alice' });
      expect(manifests.map(m => m.metadata.name)).toEqual(['alice', 'alice', 'alice', 'alice-config', 'alice-workspace', 'alice', 'alice']);
    });

    test('GIVEN namespace THEN it overrides the chart namespace', () => {
      const { manifests } = synth({ namespace: 'team-a' });
      expect(new Set(manifests.map(m => m.metadata.namespace))).toEqual(new Set(['team-a']));
    });

    test('GIVEN two environments in one namespace THEN no name, selector or label collides', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'team', { namespace: 'team' });
      const a = new GoRemoteEnvironment(chart, 'alice', { authorizedKeys: [KEY] });
      const b = new GoRemoteEnvironment(chart, 'bob', { authorizedKeys: [KEY] });
      const manifests = Testing.synth(chart);
      const ids = manifests.map(m => `${m.kind}/${m.metadata.name}`);
      expect(new Set(ids).size).toBe(ids.length);
      const [da, db] = all(manifests, 'Deployment');
      expect(da.spec.selector.matchLabels).not.toEqual(db.spec.selector.matchLabels);
      expect(a.name).not.toBe(b.name);
    });

    test('the same input gives byte-identical YAML', () => {
      const render = () => {
        const app = new App({ outdir: '/nonexistent' });
        const chart = new Chart(app, 'c', { namespace: 'n' });
        new GoRemoteEnvironment(chart, 'e', { authorizedKeys: [KEY], git: { url: 'https://github.com/a/b' }, programs: [{ name: 'p', command: 'x', port: 1 }] });
        return app.synthYaml();
      };
      expect(render()).toBe(render());
    });

    test('the Deployment runs one replica with Recreate (the workspace has one writer)', () => {
      const { manifests } = synth();
      const d = one(manifests, 'Deployment');
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    });

    test('a change of keys changes the pod template, so the pod restarts and reads them', () => {
      const a = one(synth().manifests, 'Deployment').spec.template.metadata.annotations['go-remote.cdk8s.io/config-hash'];
      const b = one(synth({ authorizedKeys: [KEY, KEY.replace('alice@laptop', 'x').replace('AAAAICUb', 'AAAAICUc')] }).manifests, 'Deployment').spec.template.metadata.annotations['go-remote.cdk8s.io/config-hash'];
      expect(a).toMatch(/^[0-9a-f]{16}$/);
      expect(a).not.toBe(b);
    });

    test('the RoleBinding binds the Role to this environment\'s ServiceAccount only', () => {
      const { manifests } = synth();
      const rb = one(manifests, 'RoleBinding');
      expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: one(manifests, 'Role').metadata.name });
      expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: one(manifests, 'ServiceAccount').metadata.name, namespace: 'dev' }]);
    });
  });

  describe('secure defaults', () => {
    const { manifests } = synth();
    const pod = podSpec(manifests);
    const dev = devContainer(manifests);

    test('non-root, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault', () => {
      expect(pod.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(dev.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: false,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
    });

    test('no host namespaces, no hostPath, no ServiceAccount token, no service links', () => {
      expect(pod.hostPID).toBeUndefined();
      expect(pod.hostNetwork).toBeUndefined();
      expect(pod.hostIPC).toBeUndefined();
      expect(pod.volumes.filter((v: any) => v.hostPath)).toEqual([]);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(one(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(pod.enableServiceLinks).toBe(false);
    });

    test('the Role grants nothing by default', () => {
      expect(one(manifests, 'Role').rules).toBeUndefined();
    });

    test('a readiness probe that does not open an unauthenticated SSH connection', () => {
      expect(dev.readinessProbe.exec.command).toEqual(['supervisorctl', '-c', '/etc/go-remote/config/supervisord.conf', 'status', 'sshd']);
      expect(dev.readinessProbe.tcpSocket).toBeUndefined();
    });

    test('no secret material in the manifests', () => {
      const text = JSON.stringify(manifests);
      expect(text).not.toMatch(/PRIVATE KEY/);
      expect(all(manifests, 'Secret')).toEqual([]);
    });
  });

  describe('documented defaults', () => {
    const { manifests, env } = synth();
    const dev = devContainer(manifests);
    test('image: DEFAULT_IMAGE, the dev image released with this package version', () => {
      expect(dev.image).toBe(DEFAULT_IMAGE);
      const version = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version;
      expect(DEFAULT_IMAGE).toBe(`ghcr.io/cdk8s-go-remote/go-remote:${version}`);
    });
    test('imagePullPolicy: IfNotPresent', () => expect(dev.imagePullPolicy).toBe('IfNotPresent'));
    test('platform: Kubernetes', () => expect(env.platform).toBe(Platform.KUBERNETES));
    test('nodeAccess: none', () => expect(env.nodeAccess.settings.name).toBe('none'));
    test('resources: requests 500m/1Gi, limits 2/4Gi', () => expect(dev.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } }));
    test('serviceType: LoadBalancer with port 2222 named ssh', () => {
      const svc = one(manifests, 'Service');
      expect(svc.spec.type).toBe('LoadBalancer');
      expect(svc.spec.ports).toEqual([{ name: 'ssh', port: 2222, targetPort: 2222, protocol: 'TCP' }]);
      expect(svc.spec.loadBalancerSourceRanges).toBeUndefined();
    });
    test('name: derived from the construct path', () => expect(env.name).toBe('test-env-c8a11933'));
    test('namespace: the chart\'s', () => expect(env.namespace).toBe('dev'));
    test('programs: sshd only', () => expect(env.programs).toEqual([]));
    test('env: only the Go and contract variables', () => expect(dev.env.map((e: any) => e.name)).toEqual([
      'GO_REMOTE_USER', 'GO_REMOTE_HOME', 'GO_REMOTE_WORKSPACE', 'GO_REMOTE_CONFIG_DIR', 'GO_REMOTE_RUN_DIR', 'GO_REMOTE_HOST_KEYS_DIR', 'HOME', 'GOPATH', 'GOMODCACHE', 'GOCACHE',
    ]));
    test('volumes: workspace, config, run only', () => expect(podSpec(manifests).volumes.map((v: any) => v.name)).toEqual(['workspace', 'config', 'run']));
    test('nodeSelector, nodeName, tolerations, affinity: none', () => {
      const pod = podSpec(manifests);
      expect([pod.nodeSelector, pod.nodeName, pod.tolerations, pod.affinity]).toEqual([undefined, undefined, undefined, undefined]);
    });
    test('hostKeysSecret: none (keys generated on the workspace)', () => expect(dev.volumeMounts.map((m: any) => m.name)).not.toContain('host-keys'));
    test('serviceAccountToken: false', () => expect(podSpec(manifests).automountServiceAccountToken).toBe(false));
    test('sshUser: gopher', () => expect(env.sshUser).toBe('gopher'));
  });

  describe('props reach the objects', () => {
    test('image, pull policy, resources, env, volumes, node pinning, host keys, token', () => {
      const { manifests } = synth({
        image: 'r.example.com/go:1',
        imagePullPolicy: ImagePullPolicy.ALWAYS,
        resources: { cpuRequest: Cpu.units(1), cpuLimit: Cpu.units(3), memoryRequest: Size.gibibytes(2), memoryLimit: Size.gibibytes(6) },
        env: { FOO: 'bar' },
        volumes: [{ volume: { name: 'certs', secret: { secretName: 'c' } }, mountPath: '/certs', readOnly: true }],
        nodeSelector: { 'kubernetes.io/hostname': 'w1' },
        nodeName: 'w1',
        tolerations: [{ key: 'k', operator: 'Exists' }],
        hostKeysSecret: 'my-host-keys',
        apiAccess: ApiAccess.serviceAccountToken(),
      });
      const dev = devContainer(manifests);
      const pod = podSpec(manifests);
      expect(dev.image).toBe('r.example.com/go:1');
      expect(dev.imagePullPolicy).toBe('Always');
      expect(dev.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '3', memory: '6Gi' } });
      expect(dev.env).toContainEqual({ name: 'FOO', value: 'bar' });
      expect(dev.volumeMounts).toContainEqual({ name: 'certs', mountPath: '/certs', readOnly: true });
      expect(pod.volumes).toContainEqual({ name: 'certs', secret: { secretName: 'c' } });
      expect(pod.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'w1' });
      expect(pod.nodeName).toBe('w1');
      expect(pod.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
      expect(dev.volumeMounts).toContainEqual({ name: 'host-keys', mountPath: '/etc/go-remote/host-keys', readOnly: true });
      expect(pod.volumes).toContainEqual({ name: 'host-keys', secret: { secretName: 'my-host-keys', defaultMode: 0o400, optional: false } });
      expect(pod.automountServiceAccountToken).toBe(true);
    });

    test('sourceRanges become loadBalancerSourceRanges', () => {
      const { manifests } = synth({ exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }) });
      expect(one(manifests, 'Service').spec.loadBalancerSourceRanges).toEqual(['203.0.113.0/24']);
    });

    test('ServiceExposure.clusterIp()', () => {
      expect(one(synth({ exposure: ServiceExposure.clusterIp() }).manifests, 'Service').spec.type).toBe('ClusterIP');
    });
  });

  describe('values that cross to Python and Go', () => {
    test('the structs public members return can be marked by jsii (not frozen)', () => {
      const { env } = synth({
        nodeAccess: NodeAccess.privileged().withHostPath({ path: '/proc', mountPath: '/host/proc' }),
        apiAccess: ApiAccess.serviceAccountToken({ kubeconfig: { secretName: 'k' } }).grantRead(ApiResource.PODS),
        programs: [{ name: 'web', command: 'x', port: 80 }],
      });
      const structs = [env.nodeAccess.settings, env.nodeAccess.settings.hostPaths[0], env.kubeconfig, env.apiAccess.kubeconfigSecret,
        ...env.apiAccess.grants, env.programs[0], NodeAccess.none().settings];
      for (const s of structs) expect(Object.isExtensible(s)).toBe(true);
    });
  });

  describe('Pod Security level', () => {
    test('extra volumes count by their Kubernetes type: downwardAPI is restricted, nfs is not', () => {
      const volume = (v: any) => synth({ volumes: [{ volume: { name: 'v', ...v }, mountPath: '/v' }] }).env.podSecurityLevel;
      expect(volume({ downwardApi: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } })).toBe('restricted');
      expect(volume({ secret: { secretName: 's' } })).toBe('restricted');
      expect(volume({ nfs: { server: 'nfs.example.com', path: '/exports' } })).toBe('baseline');
    });
  });

  describe('OpenShift', () => {
    test('GIVEN no node access THEN no pinned UID, GID or fsGroup, and restricted-v2 is required', () => {
      const { manifests, env } = synth({ platform: Platform.OPENSHIFT });
      const pod = podSpec(manifests);
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
      expect(one(manifests, 'Deployment').spec.template.metadata.annotations['openshift.io/required-scc']).toBe('restricted-v2');
      expect(all(manifests, 'SecurityContextConstraints')).toEqual([]);
      expect(env.requiredScc).toBe('restricted-v2');
    });

    test('GIVEN node access THEN its own SCC, used by this ServiceAccount only through the Role', () => {
      const { manifests, env } = synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() });
      const scc = one(manifests, 'SecurityContextConstraints');
      expect(scc.metadata.name).toBe(`go-remote.dev.${env.name}`);
      expect(scc.metadata.namespace).toBeUndefined();
      expect(scc.users).toEqual([]);
      expect(scc.groups).toEqual([]);
      expect(one(manifests, 'Role').rules).toEqual([{
        apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: [scc.metadata.name], verbs: ['use'],
      }]);
      expect(one(manifests, 'Deployment').spec.template.metadata.annotations['openshift.io/required-scc']).toBe(scc.metadata.name);
      expect(env.scc?.name).toBe(scc.metadata.name);
    });
  });

  describe('rules', () => {
    const IMPERSONATED = { podLabels: { role: 'payments-client' }, workloadSelectors: [{ app: 'checkout' }] };
    test('an impersonated ServiceAccount and idleStop cannot be written together (its rule is in the environment\'s own Role)', () => {
      // idleStop is an option of the environment's own ServiceAccount token only.
      // @ts-expect-error impersonatedServiceAccount takes no idleStop
      ApiAccess.impersonatedServiceAccount('checkout', { idleStop: Duration.minutes(30) });
      // Untyped JavaScript: the 0.x prop is refused.
      expect(() => synth({ impersonation: IMPERSONATED, apiAccess: ApiAccess.impersonatedServiceAccount('checkout'), idleStop: Duration.minutes(30) } as any))
        .toThrow(/'idleStop' is .*; is not a prop since 1.0; use apiAccess: ApiAccess.serviceAccountToken\(\{ idleStop \}\)/);
    });
    test('an impersonated ServiceAccount: no grants (they would go to the environment\'s own ServiceAccount); the token stays unmounted', () => {
      const access = ApiAccess.impersonatedServiceAccount('checkout');
      // @ts-expect-error only the environment's own token access takes grants
      expect(() => access.grantRead()).toThrow(TypeError);
      const { manifests } = synth({ impersonation: IMPERSONATED, apiAccess: access });
      expect(podSpec(manifests).automountServiceAccountToken).toBe(false);
      expect(podSpec(manifests).serviceAccountName).toBe('checkout');
    });
    test('name: a DNS-1035 label of at most 40 characters', () => {
      expect(() => synth({ name: 'Alice' })).toThrow(/'name' is "Alice"; expected a DNS-1035 label: at most 40/);
      expect(() => synth({ name: '1alice' })).toThrow(/'name' is "1alice"; expected a DNS-1035 label/);
      expect(() => synth({ name: 'a'.repeat(41) })).toThrow(/'name' is "a{41}"; expected a DNS-1035 label: at most 40/);
    });
    test('name: a derived name that is not a DNS-1035 label is reported', () => {
      const app = Testing.app();
      const chart = new Chart(app, '9lives');
      expect(() => new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY] })).toThrow(/'name' is "9lives-env-c8[0-9a-f]+"; expected a DNS-1035 label/);
    });
    test('namespace: a DNS-1123 label', () => {
      expect(() => synth({ namespace: 'Team_A' })).toThrow(/'namespace' is "Team_A"; expected a DNS-1123 label/);
    });
    test('namespace: required for an OpenShift SCC', () => {
      expect(() => synth({ platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged() }, { namespace: '' })).toThrow(/'namespace' is undefined; expected a namespace: node access on OpenShift gets its own cluster-scoped SCC/);
    });
    test('platform: a Platform', () => {
      expect(() => synth({ platform: 'nomad' as Platform })).toThrow(/'platform' is "nomad"; expected Platform.KUBERNETES or Platform.OPENSHIFT/);
    });
    test('image: a reference without spaces', () => {
      expect(() => synth({ image: 'my image' })).toThrow(/'image' is "my image"; expected an image reference/);
    });
    test('imagePullPolicy: an ImagePullPolicy', () => {
      expect(() => synth({ imagePullPolicy: 'Sometimes' as ImagePullPolicy })).toThrow(/'imagePullPolicy' is "Sometimes"; expected an ImagePullPolicy/);
    });
    test('resources: Kubernetes quantities', () => {
      expect(() => synth({ resources: { memoryLimit: '4 GB' as any } })).toThrow(/'resources.memoryLimit' is "4 GB"; expected a non-negative Kubernetes quantity/);
      expect(() => synth({ resources: { cpuRequest: Cpu.units(-1) } })).toThrow(/'resources.cpuRequest' is "-1"/);
    });
    test('exposure: a ServiceExposure', () => {
      expect(() => synth({ exposure: 'ExternalName' as any })).toThrow(/'exposure' is "ExternalName"; expected a ServiceExposure/);
    });
    test('sourceRanges: CIDRs, checked with Node\'s net module', () => {
      expect(() => ServiceExposure.loadBalancer({ sourceRanges: ['10.0.0.0/33'] })).toThrow(/'sourceRanges\[0\]' is "10.0.0.0\/33"; expected an IPv4 or IPv6 CIDR/);
      expect(() => ServiceExposure.loadBalancer({ sourceRanges: ['everyone'] })).toThrow(/'sourceRanges\[0\]' is "everyone"/);
      for (const bad of [':::/64', 'fffff::/64', '1:2:3:4:5:6:7:8:9/64', '010.0.0.0/8', '10.0.0.0/08', 'fe80::1%eth0/64', '::/129', '10.0.0.0']) {
        expect(() => ServiceExposure.loadBalancer({ sourceRanges: [bad] })).toThrow(/expected an IPv4 or IPv6 CIDR/);
      }
      expect(ServiceExposure.loadBalancer({ sourceRanges: ['::/0', '2001:db8::/32', '::ffff:192.0.2.0/120', '0.0.0.0/0'] }).sourceRanges).toHaveLength(4);
    });
    test('sourceRanges: only with a load balancer, which alone can be given them', () => {
      // @ts-expect-error a ClusterIP Service has no source ranges
      expect(ServiceExposure.clusterIp({ sourceRanges: ['10.0.0.0/8'] }).sourceRanges).toBeUndefined();
      expect(ServiceExposure.nodePort().sourceRanges).toBeUndefined();
      // Untyped JavaScript: the 0.x props are refused.
      expect(() => synth({ serviceType: 'ClusterIP', sourceRanges: ['10.0.0.0/8'] } as any)).toThrow(/'serviceType' is "ClusterIP"; is not a prop since 1.0; use exposure:/);
      expect(() => synth({ serviceType: 'ClusterIP', sourceRanges: ['10.0.0.0/8'] } as any)).toThrow(/'sourceRanges' is \["10.0.0.0\/8"\]; is not a prop since 1.0; use exposure: ServiceExposure.loadBalancer\(\{ sourceRanges \}\)/);
    });
    test('untyped JavaScript: a value of the wrong type is a problem, never a TypeError', () => {
      const problems = (props: any) => {
        try {
          synth(props);
        } catch (e) {
          return ValidationErrors.problemsOf(e);
        }
        return [];
      };
      expect(problems({ authorizedKeys: KEY, programs: {}, env: 'A=b', tolerations: 'all', affinity: 5, resources: '2 CPUs', workspace: 'big', git: 'https://x' })).toEqual([
        expect.stringMatching(/^'authorizedKeys' is ".*"; expected at least one OpenSSH public key/),
        expect.stringMatching(/^'programs' is \{\}; expected a list of Program/),
        expect.stringMatching(/^'git' is "https:\/\/x"; expected a GitRepository/),
        expect.stringMatching(/^'workspace' is "big"; expected WorkspaceOptions/),
        expect.stringMatching(/^'resources' is "2 CPUs"; expected EnvironmentResources/),
        expect.stringMatching(/^'env' is "A=b"; expected a map of environment variables/),
        expect.stringMatching(/^'tolerations' is "all"; expected a list of tolerations/),
        expect.stringMatching(/^'affinity' is 5; expected an affinity/),
      ]);
    });
    test('a prop that does not exist is refused (a misspelt prop would otherwise be ignored)', () => {
      expect(() => synth({ authorisedKeys: [KEY] } as any)).toThrow(/'authorisedKeys' is .*; is not a prop of GoRemoteEnvironment; expected one of authorizedKeys, name/);
    });
    test('env: variable names', () => {
      expect(() => synth({ env: { 'MY-VAR': 'x' } })).toThrow(/'env' is "MY-VAR"; expected an environment variable name/);
    });
    test('env: the environment\'s own variables are reserved', () => {
      expect(() => synth({ env: { GOPATH: '/go' } })).toThrow(/'env' is "GOPATH"; is set by the environment itself/);
    });
    test('volumes: names are DNS labels and not the environment\'s own', () => {
      expect(() => synth({ volumes: [{ volume: { name: 'workspace', emptyDir: {} }, mountPath: '/x' }] })).toThrow(/'volumes\[0\].volume.name' is "workspace"; is used by the environment itself/);
      expect(() => synth({ volumes: [{ volume: { name: 'My_Vol', emptyDir: {} }, mountPath: '/x' }] })).toThrow(/'volumes\[0\].volume.name' is "My_Vol"; expected a DNS-1123 label/);
      expect(() => synth({ volumes: [{ volume: { name: 'a', emptyDir: {} }, mountPath: '/x' }, { volume: { name: 'a', emptyDir: {} }, mountPath: '/y' }] })).toThrow(/'volumes\[1\].volume.name' is "a"; expected a unique volume name/);
    });
    test('volumes: no hostPath (node access is declared through nodeAccess)', () => {
      expect(() => synth({ volumes: [{ volume: { name: 'root', hostPath: { path: '/' } }, mountPath: '/host' }] })).toThrow(/'volumes\[0\].volume.hostPath' is "\/"; is refused: declare node paths with nodeAccess/);
    });
    test('volumes: mount paths outside the environment\'s own', () => {
      expect(() => synth({ volumes: [{ volume: { name: 'a', emptyDir: {} }, mountPath: '/workspace/cache' }] })).toThrow(/'volumes\[0\].mountPath' is "\/workspace\/cache"; expected a path outside \/workspace/);
      expect(() => synth({ volumes: [{ volume: { name: 'a', emptyDir: {} }, mountPath: 'relative' }] })).toThrow(/'volumes\[0\].mountPath' is "relative"; expected an absolute path/);
    });

    test('rule: a node path is not mounted over the environment\'s own mounts', () => {
      expect(() => synth({ nodeAccess: NodeAccess.none().withHostPath({ path: '/proc', mountPath: '/etc/go-remote/proc' }) }))
        .toThrow(/'nodeAccess.hostPaths\[0\].mountPath' is "\/etc\/go-remote\/proc"; expected a path outside \/workspace, \/etc\/go-remote, \/run\/go-remote/);
    });
    test('rule: an extra volume is not mounted where a node path is', () => {
      expect(() => synth({
        nodeAccess: NodeAccess.hostProc(),
        volumes: [{ volume: { name: 'a', emptyDir: {} }, mountPath: '/host/proc' }],
      })).toThrow(/'volumes\[0\].mountPath' is "\/host\/proc"; expected a mount path of its own: a node path or another volume is mounted there/);
      expect(() => synth({
        volumes: [{ volume: { name: 'a', emptyDir: {} }, mountPath: '/x' }, { volume: { name: 'b', emptyDir: {} }, mountPath: '/x' }],
      })).toThrow(/'volumes\[1\].mountPath' is "\/x"; expected a mount path of its own/);
    });
    test('nodeSelector: label keys and values', () => {
      expect(() => synth({ nodeSelector: { 'bad key!': 'x' } })).toThrow(/'nodeSelector' is "bad key!"; expected a label key/);
      expect(() => synth({ nodeSelector: { role: 'not valid' } })).toThrow(/'nodeSelector.role' is "not valid"; expected a label value/);
    });
    test('nodeName: a DNS subdomain', () => {
      expect(() => synth({ nodeName: 'Node_1' })).toThrow(/'nodeName' is "Node_1"; expected a DNS-1123 subdomain/);
    });
    test('hostKeysSecret: a DNS subdomain', () => {
      expect(() => synth({ hostKeysSecret: 'keys/../x' })).toThrow(/'hostKeysSecret' is "keys\/..\/x"; expected a DNS-1123 subdomain/);
    });
    test('GIVEN bad input THEN nothing is emitted half-way and the error is recognisable', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'c', { namespace: 'n' });
      let error: unknown;
      try {
        new GoRemoteEnvironment(chart, 'e', { authorizedKeys: [], programs: [{ name: 'x', command: 'y', port: 2222 }] });
      } catch (e) {
        error = e;
      }
      expect(ValidationErrors.isValidationError(error)).toBe(true);
      expect(ValidationErrors.problemsOf(error)).toHaveLength(2);
      expect(ValidationErrors.isValidationError(new Error('x'))).toBe(false);
      expect(Testing.synth(chart)).toEqual([]);
    });
  });
});

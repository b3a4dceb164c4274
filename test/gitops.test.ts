import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiObject, App, Chart, Testing, YamlOutputType } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import * as argocdExample from '../examples/fleet-argocd';
import * as fluxExample from '../examples/fleet-flux';
import { GitOps, GoRemoteEnvironment, GoRemoteFleet, NamespaceMode, NodeAccess, Platform, ValidationErrors } from '../src';
import { strictSchemas } from './support/schemas';
import { KEY } from './util';

const { RESPECT_IGNORE_DIFFERENCES, SYNC_WAVE_ANNOTATION } = GitOps;

const developers = [{ name: 'alice', authorizedKeys: [KEY] }, { name: 'bob', authorizedKeys: [KEY], nodeAccess: NodeAccess.privileged() }];

function openShiftFleetChart(): Chart {
  const chart = new Chart(Testing.app(), 'team');
  new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', platform: Platform.OPENSHIFT, developers });
  return chart;
}

function wave(m: any): number | undefined {
  const value = m.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  return value === undefined ? undefined : Number(value);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'go-remote-gitops-'));
}

/** Every file under a directory, relative, sorted. */
function filesUnder(dir: string, relative = ''): string[] {
  return readdirSync(join(dir, relative), { withFileTypes: true }).flatMap(e => {
    const rel = relative ? `${relative}/${e.name}` : e.name;
    return e.isDirectory() ? filesUnder(dir, rel) : [rel];
  }).sort();
}

describe('GitOps.addSyncWaves', () => {
  test('GIVEN a fleet THEN namespaces and SCCs are wave -2, identities, RBAC and namespace guard rails -1, configuration 0, workload and workspace 1', () => {
    const chart = openShiftFleetChart();
    GitOps.addSyncWaves(chart);
    const manifests = Testing.synth(chart);
    const byKind = new Map<string, Set<number | undefined>>();
    for (const m of manifests) byKind.set(m.kind, (byKind.get(m.kind) ?? new Set()).add(wave(m)));
    expect(Object.fromEntries([...byKind].map(([k, v]) => [k, [...v]]))).toEqual({
      Namespace: [-2],
      SecurityContextConstraints: [-2],
      ServiceAccount: [-1],
      Role: [-1],
      RoleBinding: [-1],
      ResourceQuota: [-1],
      LimitRange: [-1],
      NetworkPolicy: [-1],
      ConfigMap: [0],
      PersistentVolumeClaim: [1],
      Deployment: [1],
      Service: [1],
    });
  });

  test('the workspace claim is in its Deployment\'s wave, so a WaitForFirstConsumer claim cannot block the sync (argoproj/argo-cd#12840)', () => {
    expect(GitOps.DEFAULT_SYNC_WAVES.PersistentVolumeClaim).toBe(GitOps.DEFAULT_SYNC_WAVES.Deployment);
    const w = GitOps.DEFAULT_SYNC_WAVES;
    expect(w.Namespace).toBeLessThan(w.ServiceAccount);
    expect(w.ServiceAccount).toBeLessThan(w.ConfigMap);
    expect(w.ConfigMap).toBeLessThan(w.Deployment);
    expect(w.Deployment).toBe(w.Service);
  });

  test('the annotation is added beside the prune protection, not instead of it', () => {
    const chart = openShiftFleetChart();
    GitOps.addSyncWaves(chart);
    const manifests = Testing.synth(chart);
    const pvc = manifests.find(m => m.kind === 'PersistentVolumeClaim');
    expect(pvc.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      'argocd.argoproj.io/sync-wave': '1',
    });
  });

  test('it returns how many objects it annotated, and leaves other kinds alone', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'n' });
    new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY] });
    new ApiObject(chart, 'job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } });
    expect(GitOps.addSyncWaves(chart)).toBe(7);
    expect(wave(Testing.synth(chart).find(m => m.kind === 'Job'))).toBeUndefined();
  });

  test('GIVEN waves THEN they replace the default of a kind or add a kind', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'n' });
    new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY] });
    new ApiObject(chart, 'job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } });
    GitOps.addSyncWaves(chart, { waves: { Service: 2, Job: 3 } });
    const manifests = Testing.synth(chart);
    expect(wave(manifests.find(m => m.kind === 'Service'))).toBe(2);
    expect(wave(manifests.find(m => m.kind === 'Job'))).toBe(3);
    expect(wave(manifests.find(m => m.kind === 'Deployment'))).toBe(1);
  });

  test('GIVEN a wave that is not a whole number THEN it throws naming the kind', () => {
    const chart = new Chart(Testing.app(), 'c');
    expect(() => GitOps.addSyncWaves(chart, { waves: { Job: 1.5 } })).toThrow(/'waves.Job' is 1.5; expected a whole number/);
  });

  test('a wave set on one object after addSyncWaves wins', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'n' });
    const env = new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY] });
    GitOps.addSyncWaves(chart);
    env.service.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, '5');
    expect(wave(Testing.synth(chart).find(m => m.kind === 'Service'))).toBe(5);
  });
});

describe('prune protection and replicas', () => {
  test('protectFromPruning adds the Argo CD and Flux annotations', () => {
    const chart = new Chart(Testing.app(), 'c');
    const obj = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { a: 'b' } } });
    GitOps.protectFromPruning(obj);
    expect(Testing.synth(chart)[0].metadata.annotations).toEqual({
      'a': 'b',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });

  test('ignoreReplicaDifferences is the Argo CD ignoreDifferences entry for Deployments\' /spec/replicas', () => {
    expect(GitOps.ignoreReplicaDifferences()).toEqual({ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] });
    expect(RESPECT_IGNORE_DIFFERENCES).toBe('RespectIgnoreDifferences=true');
    expect(GitOps.RESPECT_IGNORE_DIFFERENCES).toBe(RESPECT_IGNORE_DIFFERENCES);
    expect(GitOps.SYNC_WAVE_ANNOTATION).toBe('argocd.argoproj.io/sync-wave');
  });
});

describe('GitOps.kustomization', () => {
  test('GIVEN a fleet written file per resource THEN no file overwrites another, and the kustomization lists every file, sorted', () => {
    const dir = tempDir();
    try {
      const app = new App({ outdir: dir, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
      const chart = new Chart(app, 'team');
      new GoRemoteFleet(chart, 'fleet', { namespace: 'team-a', developers });
      new GoRemoteFleet(chart, 'shared', { namespace: 'team-b', namespaceMode: NamespaceMode.SHARED, developers: [{ name: 'carol', authorizedKeys: [KEY] }] });
      const objects = Testing.synth(chart).length;
      app.synth();
      const files = filesUnder(dir);
      expect(files).toHaveLength(objects);
      const k = parse(GitOps.kustomization(dir));
      expect(k).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files });
      expect(k.resources).toContain('Namespace.team-a--alice.k8s.yaml');
      expect([...k.resources].sort()).toEqual(k.resources);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('it recurses into folders (FOLDER_PER_CHART_FILE_PER_RESOURCE), skips hidden entries, other files and kustomization files', () => {
    const dir = tempDir();
    try {
      const app = new App({ outdir: dir, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
      new GoRemoteFleet(new Chart(app, 'team-a'), 'fleet', { namespace: 'team-a', developers: [developers[0]] });
      new GoRemoteFleet(new Chart(app, 'team-b'), 'fleet', { namespace: 'team-b', developers: [developers[0]] });
      app.synth();
      mkdirSync(join(dir, '.git'));
      writeFileSync(join(dir, '.git', 'x.yaml'), '');
      writeFileSync(join(dir, 'README.md'), '');
      writeFileSync(join(dir, 'team-a', 'kustomization.yaml'), '');
      const resources: string[] = parse(GitOps.kustomization(dir)).resources;
      expect(resources).toHaveLength(24); // 2 fleets × (5 namespace objects + 7 environment objects)
      expect(resources[0]).toBe('team-a/ConfigMap.alice-config.k8s.yaml');
      expect(resources).toContain('team-b/Namespace.team-b--alice.k8s.yaml');
      expect(resources.some(r => r.includes('.git') || r.endsWith('README.md') || r.endsWith('kustomization.yaml'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writeKustomization writes kustomization.yaml, and writing it again changes nothing', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'b.yaml'), 'kind: B\n');
      writeFileSync(join(dir, 'a.json'), '{}');
      const file = GitOps.writeKustomization(dir);
      expect(file).toBe(join(dir, 'kustomization.yaml'));
      const first = readFileSync(file, 'utf8');
      expect(first.startsWith('# Generated by cdk8s-go-remote')).toBe(true);
      expect(parse(first).resources).toEqual(['a.json', 'b.yaml']);
      GitOps.writeKustomization(dir);
      expect(readFileSync(file, 'utf8')).toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN a directory that does not exist THEN it throws naming the prop and the value', () => {
    let error: unknown;
    try {
      GitOps.kustomization('/nonexistent/dist');
    } catch (e) {
      error = e;
    }
    expect(ValidationErrors.problemsOf(error)).toEqual(['\'directory\' is "/nonexistent/dist"; expected an existing directory (synthesize the app into it first)']);
  });
});

describe('examples', () => {
  const yaml = (make: (app: App) => void) => {
    const app = new App({ outdir: '/nonexistent' });
    make(app);
    return app.synthYaml();
  };

  test.each([
    ['fleet-argocd payments', (s: App) => new argocdExample.PaymentsTeamChart(s, 'payments')],
    ['fleet-argocd search', (s: App) => new argocdExample.SearchTeamChart(s, 'search')],
    ['fleet-flux platform', (s: App) => new fluxExample.PlatformTeamChart(s, 'platform')],
  ])('%s: synthesizes twice byte-identically; every object validates against the Kubernetes schema; every object has its wave', (_name, make) => {
    const first = yaml(make);
    expect(yaml(make)).toBe(first);
    const manifests = Testing.synth(make(Testing.app()));
    expect(manifests.filter(m => m.kind === 'Deployment').length).toBe(2);
    expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
    expect(manifests.filter(m => wave(m) === undefined)).toEqual([]);
  });

  test('fleet-argocd: the bootstrap Application syncs the committed argocd/ folder; the ApplicationSet makes an Application per team folder', () => {
    const dir = tempDir();
    try {
      argocdExample.synthesize(dir);
      expect(readdirSync(join(dir, 'teams'))).toEqual(['payments', 'search']);
      const docs = (sub: string) => filesUnder(join(dir, sub)).flatMap(f => parseAllDocuments(readFileSync(join(dir, sub, f), 'utf8')).map(d => d.toJS()));
      const [bootstrap] = docs('bootstrap');
      expect(bootstrap).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'dev-environments', namespace: 'argocd' } });
      expect(bootstrap.spec.source).toEqual({
        repoURL: argocdExample.REPO_URL, targetRevision: 'main', path: `${argocdExample.ROOT}/argocd`, directory: { recurse: false },
      });
      const [set] = docs('argocd');
      expect(set).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'dev-environments', namespace: 'argocd' } });
      expect(set.spec.generators).toEqual([{ git: { repoURL: argocdExample.REPO_URL, revision: 'main', directories: [{ path: `${argocdExample.ROOT}/teams/*` }] } }]);
      expect(set.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
      const template = set.spec.template;
      expect(template.metadata.name).toBe('dev-{{.path.basename}}');
      expect(template.spec.source).toEqual({ repoURL: argocdExample.REPO_URL, targetRevision: 'main', path: '{{.path.path}}', directory: { recurse: true } });
      expect(template.spec.ignoreDifferences).toEqual([GitOps.ignoreReplicaDifferences()]);
      expect(template.spec.syncPolicy).toEqual({ automated: { prune: true, selfHeal: true }, syncOptions: ['RespectIgnoreDifferences=true'] });
      expect(template.spec.destination).toEqual({ server: 'https://kubernetes.default.svc' });
      // The team folders hold one object per file, each naming its own namespace (none is left to Argo CD).
      const payments = docs('teams/payments');
      expect(payments).toHaveLength(filesUnder(join(dir, 'teams', 'payments')).length);
      expect(payments.filter(m => m.kind !== 'Namespace').every(m => /^payments--(alice|bob)$/.test(m.metadata.namespace))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fleet-argocd: the payments fleet limits SSH to the office and gives bob more CPU within the quota', () => {
    const manifests = Testing.synth(new argocdExample.PaymentsTeamChart(Testing.app(), 'payments'));
    const ssh = manifests.find(m => m.metadata.name === 'payments--alice--allow-ssh-and-egress');
    expect(ssh.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '203.0.113.0/24' } }]);
    const bob = manifests.find(m => m.kind === 'Deployment' && m.metadata.name === 'bob');
    expect(bob.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '4', memory: '8Gi' });
  });

  test('fleet-flux: a GitRepository and a Kustomization per team over the committed folder, which holds a kustomization.yaml listing every file', () => {
    const dir = tempDir();
    try {
      fluxExample.synthesize(dir);
      const flux = filesUnder(join(dir, 'flux-system')).map(f => parse(readFileSync(join(dir, 'flux-system', f), 'utf8')));
      const repo = flux.find(m => m.kind === 'GitRepository');
      expect(repo).toEqual({
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'dev-environments', namespace: 'flux-system' },
        spec: { url: fluxExample.REPO_URL, ref: { branch: 'main' }, interval: '1m' },
      });
      const k = flux.find(m => m.kind === 'Kustomization');
      expect(k).toMatchObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', metadata: { name: 'dev-platform', namespace: 'flux-system' } });
      expect(k.spec).toMatchObject({ sourceRef: { kind: 'GitRepository', name: 'dev-environments' }, path: `./${fluxExample.ROOT}/teams/platform`, prune: true });
      const teamDir = join(dir, 'teams', 'platform');
      const kustomization = parse(readFileSync(join(teamDir, 'kustomization.yaml'), 'utf8'));
      expect(kustomization.resources).toEqual(filesUnder(teamDir).filter(f => f !== 'kustomization.yaml'));
      expect(kustomization.resources).toContain('SecurityContextConstraints.go-remote.platform--frank.frank.k8s.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fleet-flux: only the operator developer\'s namespace is privileged, and egress is DNS and the git host', () => {
    const manifests = Testing.synth(new fluxExample.PlatformTeamChart(Testing.app(), 'platform'));
    const level = (ns: string) => manifests.find(m => m.kind === 'Namespace' && m.metadata.name === ns).metadata.labels['pod-security.kubernetes.io/enforce'];
    expect([level('platform--erin'), level('platform--frank')]).toEqual(['restricted', 'privileged']);
    const egress = manifests.find(m => m.metadata.name === 'platform--erin--allow-ssh-and-egress').spec.egress;
    expect(egress[1]).toEqual({ to: [{ ipBlock: { cidr: '140.82.112.0/20' } }, { ipBlock: { cidr: '192.30.252.0/22' } }] });
  });
});

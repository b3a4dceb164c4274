// Property-based test (issue 14, section 6): random environments and fleets, typed and untyped values, valid-ish
// and hostile strings. Each either throws the typed validation error naming a prop (its message on one line, every
// unsafe character escaped), or synthesizes objects that pass the strict schema and whose supervisord.conf
// supervisor 4.2.5 itself reads back exactly (one Python process for all of them). Never a TypeError.
import { App, Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { AutoRestart, GoRemoteEnvironment, GoRemoteFleet, NamespaceMode, NodeAccess, Platform, ServiceExposure } from '../src';
import { ConfigFiles } from '../src/contract';
import { GoRemoteValidationError } from '../src/errors';
import { resolveFleet } from '../src/fleet-resolve';
import { resolveEnvironment } from '../src/resolve';
import { hasControlCharacter } from '../src/validation';
import { strictSchemas } from './support/schemas';
import { parseManyWithSupervisor } from './support/supervisord';
import { KEY } from './util';

const SEED = 20261129;
const ENVIRONMENTS = 8000;
const FLEETS = 2000;

// ---- values ----
const HOSTILE_UNITS = ['a', 'b', 'z', '0', '-', '_', '.', '/', ' ', '%', ';', '#', '"', '\'', '\\', '$', '&', '|', '*', '?', '~', '=',
  ',', ':', '(', '{', '\n', '\r', '\t', '\u000b', '\u001c', '\u001f', '\u007f', '\u0085', '\u0090', '\u00a0', '\u2028', '\u202e',
  '\u2066', '\u200b', '\ufeff', '\u3000', '\ud800', '\udc00', 'é', '😀', '\u0000'];
const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS), maxLength: 12 });
const untyped = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.double(), fc.constant({}), fc.constant([]),
  fc.constant(['x']), fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }));
/** A value where a string belongs: mostly one of `valid`, else hostile or of another type. */
function text(...valid: string[]): fc.Arbitrary<any> {
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: untyped });
}
/** A map key: mostly one of `valid`, else hostile. */
function key(...valid: string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 2, arbitrary: hostile });
}
/** An optional prop: mostly absent. */
function maybe<T>(arb: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}
function listOf(arb: fc.Arbitrary<any>, maxLength = 3): fc.Arbitrary<any> {
  return fc.oneof({ weight: 8, arbitrary: fc.array(arb, { maxLength }) }, { weight: 1, arbitrary: untyped });
}
function mapOf(keys: fc.Arbitrary<string>, value: fc.Arbitrary<any>): fc.Arbitrary<any> {
  return fc.oneof({ weight: 8, arbitrary: fc.dictionary(keys, value, { maxKeys: 3 }) }, { weight: 1, arbitrary: untyped });
}

const path = text('/workspace/src', '/data', '/opt/x', '//workspace', '/run//go-remote', '/./etc/go-remote/config', '/a/../b', 'rel', '/');
const command = text('sleep infinity', 'go run ./cmd/server', 'dlv debug --headless --listen=127.0.0.1:2345 --api-version=2 ./cmd/x',
  'bash -c \'make && ./bin\'', 'server --name "two words"', 'make && run', 'run > log', 'echo $HOME', 'x\u0085;y', 'a ;b', '100%');
const envValue = text('0', '1', 'it\'s, with commas = and spaces', '', '100%', 'a"b', 'x y', '\'q\'', 'café');
const envName = key('A', 'GOFLAGS', 'CGO_ENABLED', 'HOME', 'X_1', '1X', 'A-B');
const program = fc.record({
  name: text('app', 'delve', 'web-1', 'sshd', 'Bad', 'a--b', 'toolongname-abcdef'),
  command,
  port: maybe(fc.oneof(fc.constantFrom(2345, 8080, 2222, 0, 70000, 1.5), untyped)),
  expose: maybe(fc.oneof(fc.boolean(), untyped)),
  directory: maybe(path),
  environment: maybe(mapOf(envName, envValue)),
  autostart: maybe(fc.oneof(fc.boolean(), untyped)),
  autorestart: maybe(fc.oneof(fc.constantFrom(...Object.values(AutoRestart)), hostile)),
  startSeconds: maybe(fc.oneof(fc.nat(100), untyped)),
}, { requiredKeys: ['name', 'command'] });
const volume = fc.record({
  volume: fc.oneof(
    fc.record({ name: text('extra', 'data', 'workspace', 'X'), emptyDir: fc.constant({}) }),
    fc.record({ name: text('certs'), secret: fc.record({ secretName: text('my-secret', 'Bad_Name') }) }),
    untyped),
  mountPath: path,
  subPath: maybe(text('sub', 'a/b', '../x', '/abs', 'a/../../b')),
  readOnly: maybe(fc.oneof(fc.boolean(), untyped)),
}, { requiredKeys: ['volume', 'mountPath'] });
const toleration = fc.oneof(
  fc.record({
    key: maybe(text('gpu', 'node-role.kubernetes.io/control-plane', 'bad key'), 1),
    operator: maybe(text('Exists', 'Equal', 'Near'), 1),
    value: maybe(text('true', 'x'), 1),
    effect: maybe(text('NoSchedule', 'NoExecute', 'Never'), 1),
    tolerationSeconds: maybe(fc.oneof(fc.integer({ min: -5, max: 100 }), untyped)),
  }),
  untyped);
const affinity = fc.oneof(
  fc.record({
    nodeAffinity: fc.record({
      requiredDuringSchedulingIgnoredDuringExecution: fc.record({
        nodeSelectorTerms: listOf(fc.record({
          matchExpressions: listOf(fc.record({ key: text('kubernetes.io/arch'), operator: text('In', 'Exists', 'Gt', 'Near'), values: maybe(listOf(text('amd64', '3'))) })),
        })),
      }),
    }),
  }),
  fc.record({
    podAntiAffinity: fc.record({
      preferredDuringSchedulingIgnoredDuringExecution: listOf(fc.record({
        weight: fc.oneof(fc.integer({ min: 0, max: 101 }), untyped),
        podAffinityTerm: fc.record({ topologyKey: text('kubernetes.io/hostname'), labelSelector: maybe(fc.record({ matchLabels: mapOf(key('app'), text('x', 'bad value')) })) }),
      })),
    }),
  }),
  untyped);
const git = fc.record({
  url: text('https://github.com/acme/widget.git', 'https://github.com/acme/%zz.git', 'https://github.com/a/b%E2%82', 'git@github.com:acme/widget.git', 'http://x/y', 'https://h/a b'),
  ref: maybe(text('main', 'v1.0', '-x', 'a..b')),
  checkoutPath: maybe(text('github.com/acme/widget', '../x', 'a//b')),
  knownHosts: maybe(listOf(text('github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'))),
}, { requiredKeys: ['url'] });

/** EnvironmentOptions: what an environment and a fleet's defaults or developer share. */
const optionRecord = {
  image: maybe(text('registry.example.com/team/go-remote:1.0', 'img with space')),
  imagePullPolicy: maybe(text('Always', 'IfNotPresent', 'Sometimes')),
  git: maybe(fc.oneof(git, untyped)),
  programs: maybe(listOf(program), 1),
  nodeAccess: maybe(fc.oneof(fc.constant(NodeAccess.none()), fc.constant(NodeAccess.none().withHostPath({ path: '/var/log', mountPath: '/host/log' })), untyped)),
  exposure: maybe(fc.oneof(fc.constant(ServiceExposure.clusterIp()), fc.constant(ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] })), untyped)),
  env: maybe(mapOf(envName, envValue)),
  volumes: maybe(listOf(volume)),
  nodeSelector: maybe(mapOf(key('disk', 'kubernetes.io/arch', 'bad key'), text('ssd', 'bad value'))),
  nodeName: maybe(text('node-1', 'Bad_Node')),
  tolerations: maybe(listOf(toleration)),
  affinity: maybe(affinity),
  hostKeysSecret: maybe(text('host-keys', 'Bad')),
  resources: maybe(untyped, 8),
  workspace: maybe(untyped, 8),
  webhook: maybe(untyped, 8),
  networkPolicy: maybe(untyped, 8),
  impersonation: maybe(untyped, 8),
  apiAccess: maybe(untyped, 8),
};
const keys = fc.oneof({ weight: 8, arbitrary: fc.constant([KEY]) }, { weight: 1, arbitrary: listOf(text(KEY, `${KEY.slice(0, 60)}`, '-----BEGIN OPENSSH PRIVATE KEY-----\nabc')) });
const environmentProps = fc.record({
  ...optionRecord,
  authorizedKeys: keys,
  name: maybe(text('dev', 'alice', 'Bad', 'a'.repeat(41)), 1),
  namespace: maybe(text('team', 'Bad')),
  platform: maybe(text(Platform.KUBERNETES, Platform.OPENSHIFT, 'windows')),
}, { requiredKeys: [] });
// A developer sets few options (most come from the fleet's defaults), so that a useful share of fleets is accepted.
const developer = fc.record({
  name: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('alice', 'bob', 'carol') }, { weight: 1, arbitrary: text('Bad') }),
  authorizedKeys: fc.oneof({ weight: 12, arbitrary: fc.constant([KEY]) }, { weight: 1, arbitrary: keys }),
  programs: maybe(listOf(program, 2), 4),
  env: maybe(mapOf(envName, envValue), 4),
  image: maybe(text('registry.example.com/team/go-remote:1.0'), 8),
  tolerations: maybe(listOf(toleration), 8),
  volumes: maybe(listOf(volume), 8),
}, { requiredKeys: ['name', 'authorizedKeys'] });
const fleetProps = fc.record({
  namespace: fc.oneof({ weight: 12, arbitrary: fc.constant('team') }, { weight: 1, arbitrary: text('Bad', 'kube-system') }),
  developers: fc.oneof(
    { weight: 12, arbitrary: fc.uniqueArray(developer, { maxLength: 3, selector: d => d.name }) },
    { weight: 1, arbitrary: listOf(fc.oneof(developer, untyped)) }),
  namespaceMode: maybe(text(NamespaceMode.PER_DEVELOPER, NamespaceMode.SHARED, 'both')),
  platform: maybe(text(Platform.KUBERNETES, Platform.OPENSHIFT)),
  defaults: maybe(fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        programs: maybe(listOf(program, 2), 2),
        env: maybe(mapOf(envName, envValue), 2),
        nodeSelector: maybe(mapOf(key('disk'), text('ssd')), 4),
      }, { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: fc.record(optionRecord, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.record({ authorizedKeys: fc.constant([KEY]) }) },
    { weight: 1, arbitrary: untyped }), 1),
  sshSourceCidrs: maybe(listOf(text('203.0.113.0/24', '10.0.0.0/33'))),
}, { requiredKeys: ['namespace', 'developers'] });

// ---- the property ----
interface ReadBack { readonly conf: string; readonly programs: any[]; readonly where: string }
const app = new App({ outdir: '/tmp/go-remote-property-unused' });
let charts = 0;

/** Builds one case; returns the supervisord files to read back, or [] when the props were refused. */
function check(kind: 'environment' | 'fleet', props: any): ReadBack[] {
  // The constructors throw exactly the problems of the resolve step (before any child exists): resolving first
  // keeps the refused cases cheap; any exception other than the typed error fails the property.
  const resolution = kind === 'environment' ? resolveEnvironment(props, { defaultName: 'env', defaultNamespace: 'dev' }) : resolveFleet(props);
  if (resolution.problems) {
    const e = new GoRemoteValidationError(resolution.problems);
    expect(e.details.length).toBeGreaterThan(0);
    for (const d of e.details) expect(d.path).toMatch(/^[A-Za-z]/);
    expect(hasControlCharacter(e.message.replace(/\n- /g, ' '))).toBe(false); // one line per problem, nothing hidden
    return [];
  }
  const chart = new Chart(app, `c${charts++}`, { namespace: 'dev' });
  let manifests: any[];
  try {
    if (kind === 'environment') new GoRemoteEnvironment(chart, 'env', props);
    else new GoRemoteFleet(chart, 'fleet', props);
    manifests = chart.toJson();
  } finally {
    app.node.tryRemoveChild(chart.node.id);
  }
  const problems = manifests.flatMap(m => strictSchemas().problems(m));
  expect(problems).toEqual([]);
  return manifests.filter(m => m.kind === 'ConfigMap' && m.data?.[ConfigFiles.SUPERVISORD_CONF] !== undefined).map(m => ({
    conf: m.data[ConfigFiles.SUPERVISORD_CONF],
    programs: programsOf(kind, props, m.metadata.name),
    where: `${kind} ${JSON.stringify(props)}`,
  }));
}

/** The programs declared for the environment of a ConfigMap (`<name>-config`). */
function programsOf(kind: string, props: any, configMap: string): any[] {
  if (kind === 'environment') return props.programs ?? [];
  const dev = props.developers.find((d: any) => `${d.name}-config` === configMap);
  return dev?.programs ?? props.defaults?.programs ?? [];
}

describe('property: every input is refused with a named prop, or gives valid manifests that supervisor reads back', () => {
  test(`${ENVIRONMENTS} environments and ${FLEETS} fleets (seed ${SEED})`, () => {
    const readBacks: ReadBack[] = [];
    const accepted = { environment: 0, fleet: 0 };
    for (const [kind, arb, numRuns] of [['environment', environmentProps, ENVIRONMENTS], ['fleet', fleetProps, FLEETS]] as const) {
      const started = Date.now();
      const result = fc.check(fc.property(arb, (props: any) => {
        const found = check(kind, props);
        if (found.length > 0) accepted[kind]++;
        readBacks.push(...found);
      }), { seed: SEED, numRuns });
      console.log(`${numRuns} ${kind} cases in ${Date.now() - started} ms, ${accepted[kind]} accepted`);
      if (result.failed) {
        throw new Error(`property failed for a ${kind} (seed ${SEED}, fast-check path ${result.counterexamplePath}): ${fc.stringify(result.counterexample)}\n${String(result.errorInstance)}`);
      }
    }
    // Not a timing assertion: a floor on how many cases reached supervisor, so that the generators stay useful.
    expect(accepted.environment).toBeGreaterThan(100);
    expect(accepted.fleet).toBeGreaterThan(100);
    const parseStarted = Date.now();
    const parsed = parseManyWithSupervisor(readBacks.map(r => r.conf));
    console.log(`supervisor read ${parsed.length} configurations in ${Date.now() - parseStarted} ms`);
    parsed.forEach((result, i) => {
      const { programs, where } = readBacks[i];
      if ('error' in result) throw new Error(`supervisor refused the configuration of ${where} (seed ${SEED}): ${result.error}`);
      for (const p of programs) {
        const read = result.programs.find(r => r.name === p.name);
        const context = `program ${JSON.stringify(p)} of ${where} (seed ${SEED})`;
        expect({ context, command: read?.command }).toEqual({ context, command: p.command });
        if (p.directory !== undefined) expect({ context, directory: read?.directory }).toEqual({ context, directory: p.directory });
        expect({ context, environment: read?.environment ?? {} }).toEqual({ context, environment: p.environment ?? {} });
        expect({ context, autostart: read?.autostart }).toEqual({ context, autostart: p.autostart ?? true });
        expect({ context, startsecs: read?.startsecs }).toEqual({ context, startsecs: p.startSeconds ?? 1 });
      }
    });
  });
});

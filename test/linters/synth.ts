/**
 * Writes what the linter tier lints, one directory per chart: every example (examples/index.ts), every
 * accepted input (test/scenarios.ts), and one environment per node access profile (every static factory of
 * NodeAccess, found by reflection so that a new profile is linted without editing this file) and per
 * setting that changes an exemption. Each chart is written twice:
 *   <out>/exempt/<chart>/manifests.yaml  as synthesized, with the exemption annotations
 *   <out>/bare/<chart>/manifests.yaml    the same objects without them (what the linters raise unexempted)
 * and <out>/charts.json lists the charts with the node access profile of each environment.
 *
 *   npx ts-node --project test/tsconfig.json test/linters/synth.ts <out>
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { ImagePullPolicy } from 'cdk8s-plus-27';
import { stringify } from 'yaml';
import * as lib from '../../src';
import { ApiAccess, GoRemoteEnvironment, GoRemoteEnvironmentProps, HostPathType, NodeAccess, Platform } from '../../src';
import { KUBE_SCORE_IGNORE_ANNOTATION, KUBE_SCORE_REASON_PREFIX } from '../../src/lint-exemptions';
import { exampleCharts, scenarioCharts } from '../scenarios';
import { KEY } from '../util';

const DIGEST = 'ghcr.io/cdk8s-go-remote/go-remote@sha256:' + 'b'.repeat(64);

/** Whether an annotation key is one of the linters' exemptions (or their reasons). */
export function isLintAnnotation(key: string): boolean {
  return key === KUBE_SCORE_IGNORE_ANNOTATION || key.startsWith(KUBE_SCORE_REASON_PREFIX) || key.includes('checkov.io/skip');
}

/** Every node access profile a static factory of NodeAccess returns, by the profile's name. */
export function nodeAccessProfiles(): { [name: string]: NodeAccess } {
  const profiles: { [name: string]: NodeAccess } = {};
  const factories = NodeAccess as unknown as { [name: string]: unknown };
  for (const key of Object.getOwnPropertyNames(NodeAccess).sort()) {
    const factory = factories[key];
    if (typeof factory !== 'function') continue;
    const args: unknown[][] = factory.length === 0 ? [[]] : runtimeArguments(factory.length);
    for (const a of args) {
      const access = factory.apply(NodeAccess, a);
      if (access instanceof NodeAccess) profiles[access.settings.name] = access;
    }
  }
  return profiles;
}

/** Each ContainerRuntime (when the library has the class) for a one-argument factory such as containerRuntimeSocket. */
function runtimeArguments(arity: number): unknown[][] {
  const runtime = (lib as unknown as { [name: string]: unknown }).ContainerRuntime as { [name: string]: unknown } | undefined;
  if (arity !== 1 || runtime === undefined) return [];
  return Object.getOwnPropertyNames(runtime).sort().map(k => runtime[k]).filter(v => v instanceof (runtime as any)).map(v => [v]);
}

/** Settings that change an exemption beyond the profiles and the accepted inputs. */
const FEATURES: { [name: string]: Partial<GoRemoteEnvironmentProps> } = {
  'image-digest': { image: DIGEST },
  'image-digest-always': { image: DIGEST, imagePullPolicy: ImagePullPolicy.ALWAYS },
  'image-tag-always': { imagePullPolicy: ImagePullPolicy.ALWAYS },
  'privileged-host-network-openshift': { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.privileged().withHostNetwork() },
  'docker-socket': {
    nodeAccess: NodeAccess.privileged().withHostPath({ path: '/var/run/docker.sock', mountPath: '/var/run/docker.sock', type: HostPathType.SOCKET, readOnly: false }),
  },
  'sys-admin': { nodeAccess: NodeAccess.none().withCapabilities('SYS_ADMIN', 'NET_ADMIN') },
  'token-mounted': { apiAccess: ApiAccess.serviceAccountToken() },
};

function write(dir: string, docs: any[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifests.yaml'), docs.map(d => stringify(d)).join('---\n'));
}

function withoutExemptions(doc: any): any {
  const annotations = doc?.metadata?.annotations;
  if (!annotations) return doc;
  const kept = Object.fromEntries(Object.entries(annotations).filter(([k]) => !isLintAnnotation(k)));
  const metadata = { ...doc.metadata, annotations: kept };
  if (Object.keys(kept).length === 0) delete metadata.annotations;
  return { ...doc, metadata };
}

export function writeCharts(out: string): string[] {
  rmSync(out, { recursive: true, force: true });
  const app: App = Testing.app();
  const charts: { [name: string]: Chart } = { ...exampleCharts(app), ...scenarioCharts(app) };
  const add = (name: string, props: Partial<GoRemoteEnvironmentProps>) => {
    const chart = new Chart(app, name, { namespace: name });
    new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY], ...props });
    charts[name] = chart;
  };
  for (const [name, access] of Object.entries(nodeAccessProfiles())) {
    const id = `profile-${name.replace(/[^a-z0-9]+/g, '-')}`;
    add(id, { nodeAccess: access });
    add(`${id}-openshift`, { nodeAccess: access, platform: Platform.OPENSHIFT });
  }
  for (const [name, props] of Object.entries(FEATURES)) add(`feature-${name}`, props);

  const index: { [chart: string]: { profiles: string[] } } = {};
  for (const [name, chart] of Object.entries(charts)) {
    const docs = Testing.synth(chart);
    write(join(out, 'exempt', name), docs);
    write(join(out, 'bare', name), docs.map(withoutExemptions));
    const envs = chart.node.findAll().filter((c): c is GoRemoteEnvironment => c instanceof GoRemoteEnvironment);
    index[name] = { profiles: [...new Set(envs.map(e => e.nodeAccess.settings.name))].sort() };
  }
  writeFileSync(join(out, 'charts.json'), JSON.stringify(index, null, 2) + '\n');
  return Object.keys(charts);
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: synth.ts <output directory>');
  const names = writeCharts(out);
  console.log(`test/linters/synth.ts: wrote ${names.length} charts to ${out}`);
}

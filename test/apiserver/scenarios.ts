/**
 * Writes every example and every accepted input (test/scenarios.ts) as a scenario directory for the
 * API-server tier: <out>/<scenario>/manifests.yaml plus expectations.json, the SubjectAccessReviews the tier
 * must see answered as stated. Run: npx ts-node --project test/tsconfig.json test/apiserver/scenarios.ts <out>
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { GoRemoteEnvironment } from '../../src';
import { exampleCharts, scenarioCharts } from '../scenarios';
import { AccessExpectation as Access, apiAccessCharts, expectedGrantedAccess, expectedIdleStopAccess } from './api-access';
import { deliveryCharts } from './delivery';

/** What README promises about an environment's ServiceAccount, as SubjectAccessReviews. */
export function expectedAccess(env: GoRemoteEnvironment): Access[] {
  const ns = env.namespace!;
  const user = `system:serviceaccount:${ns}:${env.serviceAccount.name}`;
  const access: Access[] = [
    // The Role grants nothing beyond the SCC: no reads, no writes, no exec, no secrets.
    { user, namespace: ns, verb: 'get', group: '', resource: 'pods', allowed: false },
    { user, namespace: ns, verb: 'create', group: '', resource: 'pods', subresource: 'exec', allowed: false },
    { user, namespace: ns, verb: 'get', group: '', resource: 'secrets', allowed: false },
    { user, namespace: ns, verb: 'update', group: 'apps', resource: 'deployments', name: env.deployment.name, allowed: false },
    { user, namespace: ns, verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: 'privileged', allowed: false },
  ];
  // Idle stop: get and patch of its own Deployment's scale only; grants: what they declare, nothing wider.
  access.push(...expectedIdleStopAccess(env), ...expectedGrantedAccess(env));
  if (env.scc) {
    access.push(
      { user, namespace: ns, verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: env.scc.name, allowed: true },
      // The grant is namespaced: it holds in the environment's namespace only.
      { user, namespace: 'default', verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: env.scc.name, allowed: false },
      // And only for this SCC.
      { user, namespace: ns, verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: 'anyuid', allowed: false },
    );
  }
  if (env.sccRoleBinding && env.requiredScc) {
    // A default SCC (such as hostnetwork-v2) through its ClusterRole system:openshift:scc:<name>, bound in the
    // environment's namespace only, to its ServiceAccount only, for that SCC only.
    access.push(
      { user, namespace: ns, verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: env.requiredScc, allowed: true },
      { user, namespace: 'default', verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: env.requiredScc, allowed: false },
      { user, namespace: ns, verb: 'use', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: 'hostaccess', allowed: false },
    );
  }
  return access;
}

export function writeScenarios(out: string): string[] {
  rmSync(out, { recursive: true, force: true });
  const app = Testing.app();
  const charts = { ...exampleCharts(app), ...scenarioCharts(app), ...deliveryCharts(app), ...apiAccessCharts(app) };
  for (const [name, chart] of Object.entries(charts)) {
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    const docs = Testing.synth(chart);
    writeFileSync(join(dir, 'manifests.yaml'), docs.map(d => stringify(d)).join('---\n'));
    const envs = chart.node.findAll().filter((c): c is GoRemoteEnvironment => c instanceof GoRemoteEnvironment);
    writeFileSync(join(dir, 'expectations.json'), JSON.stringify({ access: envs.flatMap(expectedAccess) }, null, 2) + '\n');
  }
  return Object.keys(charts);
}

if (require.main === module) {
  const out = process.argv[2] ?? '.cache/apiserver/scenarios';
  const names = writeScenarios(out);
  console.log(`wrote ${names.length} scenarios to ${out}: ${names.join(', ')}`);
}

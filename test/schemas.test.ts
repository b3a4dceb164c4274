import { Testing } from 'cdk8s';
import { exampleCharts, scenarioCharts } from './scenarios';
import { strictSchemas } from './support/schemas';
import { synth } from './util';

describe('every synthesized object validates against the Kubernetes 1.27 OpenAPI schema and the SCC CRD, unknown fields rejected', () => {
  const app = Testing.app();
  const charts = { ...exampleCharts(app), ...scenarioCharts(app) };

  test.each(Object.keys(charts))('%s', (name) => {
    const manifests = Testing.synth(charts[name]);
    expect(manifests.length).toBeGreaterThan(5);
    const problems = manifests.flatMap(m => strictSchemas().problems(m));
    expect(problems).toEqual([]);
  });

  test('the validator is strict: an unknown field, a wrong type and a missing required field all fail', () => {
    const { manifests } = synth();
    const deployment = JSON.parse(JSON.stringify(manifests.find(m => m.kind === 'Deployment')));
    deployment.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalaton = false;
    deployment.spec.replicas = 'one';
    delete deployment.spec.selector;
    const problems = strictSchemas().problems(deployment);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/securityContext must NOT have additional properties 'allowPrivilegeEscalaton'/),
      expect.stringMatching(/\/spec\/replicas must be integer/),
      expect.stringMatching(/\/spec must have required property 'selector'/),
    ]));
  });

  test('the SCC validator is strict too', () => {
    const app2 = Testing.app();
    const scc = Testing.synth(scenarioCharts(app2)['scenario-openshift-privileged']).find(m => m.kind === 'SecurityContextConstraints');
    expect(strictSchemas().problems(scc)).toEqual([]);
    const broken = { ...scc, allowHostPID: 'yes', allowedCapabilites: [] };
    delete broken.volumes;
    expect(strictSchemas().problems(broken)).toEqual(expect.arrayContaining([
      expect.stringMatching(/must NOT have additional properties 'allowedCapabilites'/),
      expect.stringMatching(/\/allowHostPID must be boolean/),
      expect.stringMatching(/must have required property 'volumes'/),
    ]));
  });
});

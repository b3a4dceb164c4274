import { readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { exampleCharts, scenarioCharts } from './scenarios';
import { CERTIFICATE_CRD, KUBERNETES_SWAGGER, readVendored, SCC_CRD, strictSchemas, VENDORED_SHA256 } from './support/schemas';
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

  test('the cert-manager Certificate validator is strict too, and reads the version the API-server tier pins', () => {
    const app3 = Testing.app();
    const certificate = Testing.synth(exampleCharts(app3)['example-delve-webhook']).find(m => m.kind === 'Certificate');
    expect(strictSchemas().problems(certificate)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(certificate));
    broken.spec.dnsName = broken.spec.dnsNames;
    broken.spec.duration = 90;
    delete broken.spec.issuerRef;
    expect(strictSchemas().problems(broken)).toEqual(expect.arrayContaining([
      expect.stringMatching(/\/spec must NOT have additional properties 'dnsName'/),
      expect.stringMatching(/\/spec\/duration must be string/),
      expect.stringMatching(/\/spec must have required property 'issuerRef'/),
    ]));
    // test/apiserver/crds.sh installs the same module's CRD (hash-pinned) before the API-server scenarios.
    expect(readFileSync(join(__dirname, 'apiserver', 'crds.sh'), 'utf8')).toContain('"github.com/cert-manager/cert-manager@v1.19.4 h1:');
    expect(readFileSync(join(__dirname, '..', 'schemas', 'cert-manager', 'SOURCE.md'), 'utf8')).toContain('`v1.19.4`');
  });

  test.each([KUBERNETES_SWAGGER, SCC_CRD, CERTIFICATE_CRD])('the vendored %s is the pinned upstream document, and its SOURCE.md says so', (file) => {
    expect(() => readVendored(file)).not.toThrow();
    const source = readFileSync(join(file, '..', 'SOURCE.md'), 'utf8');
    expect(source).toContain(VENDORED_SHA256[file]);
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

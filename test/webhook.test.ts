import { App, Chart, Duration, Testing } from 'cdk8s';
import {
  AdmissionOperation, AdmissionRuleScope, ApiAccess, AdmissionWebhookOptions, AdmissionWebhookType, CertManagerIssuerKind, GoRemoteEnvironment,
  GoRemoteEnvironmentProps, NetworkPeer, Platform, Program, WebhookCertificate, WebhookFailurePolicy,
} from '../src';
import { strictSchemas } from './support/schemas';
import { KEY, all, devContainer, one, podSpec, synth } from './util';

const WEBHOOK_CERT_DIR = GoRemoteEnvironment.WEBHOOK_CERT_DIR;
const WEBHOOK_PROGRAM: Program = { name: 'webhook', command: 'sleep infinity', port: 9443, expose: false };
const POD_RULE = { operations: [AdmissionOperation.CREATE], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] };
const LABELS = {
  'app.kubernetes.io/name': 'go-remote',
  'app.kubernetes.io/instance': 'alice',
  'app.kubernetes.io/component': 'development-environment',
  'app.kubernetes.io/managed-by': 'cdk8s-go-remote',
};

/** GIVEN an environment `alice` in namespace `dev` with a webhook served by program `webhook` on 9443. */
function withWebhook(webhook: Partial<GoRemoteEnvironmentProps['webhook']> = {}, props: Partial<GoRemoteEnvironmentProps> = {}) {
  return synth({
    name: 'alice',
    programs: [WEBHOOK_PROGRAM],
    webhook: { program: 'webhook', certificate: WebhookCertificate.certManager('selfsigned'), ...webhook },
    ...props,
  });
}

function admission(a: Partial<AdmissionWebhookOptions> = {}): AdmissionWebhookOptions {
  return { path: '/validate', rules: [POD_RULE], ...a };
}

describe('webhook: Service, serving certificate, mount', () => {
  test('without a webhook there is no webhook Service, Certificate, configuration, volume or variable', () => {
    const { manifests, env } = synth({ name: 'alice' });
    expect(all(manifests, 'Service').map(s => s.metadata.name)).toEqual(['alice']);
    expect(all(manifests, 'Certificate')).toEqual([]);
    expect(all(manifests, 'ValidatingWebhookConfiguration')).toEqual([]);
    expect(podSpec(manifests).volumes.map((v: any) => v.name)).not.toContain('webhook-tls');
    expect(devContainer(manifests).env.map((e: any) => e.name)).not.toContain('GO_REMOTE_WEBHOOK_CERT_DIR');
    expect(env.webhookService).toBeUndefined();
  });

  test('a ClusterIP Service <name>--webhook sends 443 to the program\'s port, selecting the environment\'s pod', () => {
    const { manifests, env } = withWebhook();
    const service = all(manifests, 'Service').find(s => s.metadata.name === 'alice--webhook');
    expect(service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'alice--webhook', namespace: 'dev', labels: LABELS },
      spec: {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/name': 'go-remote', 'app.kubernetes.io/instance': 'alice' },
        ports: [{ name: 'https', port: 443, targetPort: 9443, protocol: 'TCP' }],
      },
    });
    expect(env.webhookService?.name).toBe('alice--webhook');
    // expose: false keeps the program's port off the load-balanced Service.
    expect(one(manifests.filter(m => m.metadata.name === 'alice'), 'Service').spec.ports.map((p: any) => p.name)).toEqual(['ssh']);
  });

  test('cert-manager: a Certificate for <svc>.<ns>.svc and .svc.cluster.local from the named Issuer, into Secret <name>-webhook-tls', () => {
    const { manifests, env } = withWebhook();
    expect(one(manifests, 'Certificate')).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'alice-webhook', namespace: 'dev', labels: LABELS },
      spec: {
        secretName: 'alice-webhook-tls',
        secretTemplate: { labels: LABELS },
        dnsNames: ['alice--webhook.dev.svc', 'alice--webhook.dev.svc.cluster.local'],
        usages: ['server auth', 'digital signature'],
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: 'selfsigned' },
      },
    });
    expect(env.webhookCertificate?.name).toBe('alice-webhook');
  });

  test('cert-manager: a ClusterIssuer when asked', () => {
    const { manifests } = withWebhook({ certificate: WebhookCertificate.certManager('letsencrypt-internal', CertManagerIssuerKind.CLUSTER_ISSUER) });
    expect(one(manifests, 'Certificate').spec.issuerRef).toEqual({ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-internal' });
  });

  test('the Secret is mounted read-only at WEBHOOK_CERT_DIR, optional so that SSH starts before it is issued, and the path is exported', () => {
    const { manifests } = withWebhook();
    expect(WEBHOOK_CERT_DIR).toBe('/etc/go-remote/webhook-tls');
    expect(podSpec(manifests).volumes).toContainEqual({ name: 'webhook-tls', secret: { secretName: 'alice-webhook-tls', defaultMode: 0o440, optional: true } });
    expect(devContainer(manifests).volumeMounts).toContainEqual({ name: 'webhook-tls', mountPath: '/etc/go-remote/webhook-tls', readOnly: true });
    expect(devContainer(manifests).env).toContainEqual({ name: 'GO_REMOTE_WEBHOOK_CERT_DIR', value: '/etc/go-remote/webhook-tls' });
  });

  test('the user\'s env comes after GO_REMOTE_WEBHOOK_CERT_DIR, so that it may refer to it as $(GO_REMOTE_WEBHOOK_CERT_DIR)', () => {
    const { manifests } = withWebhook({}, { env: { TLS_DIR: '$(GO_REMOTE_WEBHOOK_CERT_DIR)' } });
    const names = devContainer(manifests).env.map((e: any) => e.name);
    expect(names.indexOf('TLS_DIR')).toBeGreaterThan(names.indexOf('GO_REMOTE_WEBHOOK_CERT_DIR'));
    expect(names.indexOf('GO_REMOTE_WEBHOOK_CERT_DIR')).toBeGreaterThanOrEqual(0);
  });

  test('no secret material: no Secret object, no PEM block anywhere in the YAML', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'dev' });
    new GoRemoteEnvironment(chart, 'e', {
      authorizedKeys: [KEY],
      name: 'alice',
      programs: [WEBHOOK_PROGRAM],
      webhook: { program: 'webhook', certificate: WebhookCertificate.certManager('selfsigned'), admission: admission() },
    });
    const yaml = app.synthYaml();
    expect(yaml).not.toMatch(/kind: Secret\b/);
    expect(yaml).not.toMatch(/BEGIN|PRIVATE KEY|caBundle/);
  });

  test('OpenShift service CA: the serving-cert annotation on the Service, the same Secret and mount, no Certificate', () => {
    const openShift = { platform: Platform.OPENSHIFT };
    const { manifests } = withWebhook({ certificate: WebhookCertificate.openShiftServiceCa(), admission: admission() }, openShift);
    const service = all(manifests, 'Service').find(s => s.metadata.name === 'alice--webhook');
    expect(service.metadata.annotations).toEqual({ 'service.beta.openshift.io/serving-cert-secret-name': 'alice-webhook-tls' });
    expect(all(manifests, 'Certificate')).toEqual([]);
    expect(podSpec(manifests).volumes).toContainEqual({
      name: 'webhook-tls', secret: { secretName: 'alice-webhook-tls', defaultMode: 0o440, optional: true },
    });
    expect(one(manifests, 'ValidatingWebhookConfiguration').metadata.annotations).toEqual({ 'service.beta.openshift.io/inject-cabundle': 'true' });
  });
});

describe('webhook: admission configuration', () => {
  test('no configuration unless admission is given', () => {
    const { manifests, env } = withWebhook();
    expect(all(manifests, 'ValidatingWebhookConfiguration')).toEqual([]);
    expect(all(manifests, 'MutatingWebhookConfiguration')).toEqual([]);
    expect(env.webhookConfiguration).toBeUndefined();
  });

  test('a ValidatingWebhookConfiguration go-remote.<ns>.<name>, cluster-scoped, pointing at the webhook Service on 443, CA injected from the Certificate', () => {
    const { manifests, env } = withWebhook({ admission: admission() });
    expect(one(manifests, 'ValidatingWebhookConfiguration')).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: {
        name: 'go-remote.dev.alice',
        labels: LABELS,
        annotations: { 'cert-manager.io/inject-ca-from': 'dev/alice-webhook' },
      },
      webhooks: [{
        name: 'alice.dev.go-remote.cdk8s.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 10,
        clientConfig: { service: { name: 'alice--webhook', namespace: 'dev', path: '/validate', port: 443 } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', 'dev'] }] },
      }],
    });
    expect(env.webhookConfiguration?.name).toBe('go-remote.dev.alice');
  });

  test('failurePolicy defaults to Ignore (a debugger stopped at a breakpoint must not block the cluster); Fail when asked', () => {
    expect(one(withWebhook({ admission: admission() }).manifests, 'ValidatingWebhookConfiguration').webhooks[0].failurePolicy).toBe('Ignore');
    expect(one(withWebhook({ admission: admission({ failurePolicy: WebhookFailurePolicy.FAIL }) }).manifests, 'ValidatingWebhookConfiguration').webhooks[0].failurePolicy).toBe('Fail');
  });

  test('a MutatingWebhookConfiguration when asked, with the same webhook', () => {
    const { manifests } = withWebhook({ admission: admission({ type: AdmissionWebhookType.MUTATING, path: '/mutate' }) });
    expect(all(manifests, 'ValidatingWebhookConfiguration')).toEqual([]);
    const m = one(manifests, 'MutatingWebhookConfiguration');
    expect(m.metadata.name).toBe('go-remote.dev.alice');
    expect(m.webhooks[0].clientConfig.service.path).toBe('/mutate');
  });

  test('the user\'s selectors, scope, timeout and webhook name are kept; the environment\'s namespace is always excluded', () => {
    const { manifests } = withWebhook({
      admission: admission({
        rules: [{ ...POD_RULE, scope: AdmissionRuleScope.NAMESPACED }],
        namespaceSelector: { matchLabels: { 'webhook-dev': 'enabled' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        objectSelector: { matchLabels: { app: 'shop' } },
        timeoutSeconds: 30,
        webhookName: 'validate.pods.example.com',
      }),
    });
    const w = one(manifests, 'ValidatingWebhookConfiguration').webhooks[0];
    expect(w.rules[0].scope).toBe('Namespaced');
    expect(w.namespaceSelector).toEqual({
      matchLabels: { 'webhook-dev': 'enabled' },
      matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', 'dev'] }],
    });
    expect(w.objectSelector).toEqual({ matchLabels: { app: 'shop' } });
    expect(w.timeoutSeconds).toBe(30);
    expect(w.name).toBe('validate.pods.example.com');
  });

  test('two environments of the same name in two namespaces get distinct cluster-scoped configurations', () => {
    const app: App = Testing.app();
    const names = ['team-a', 'team-b'].map(ns => {
      const chart = new Chart(app, ns, { namespace: ns });
      new GoRemoteEnvironment(chart, 'env', {
        authorizedKeys: [KEY],
        name: 'alice',
        programs: [WEBHOOK_PROGRAM],
        webhook: { program: 'webhook', certificate: WebhookCertificate.certManager('selfsigned'), admission: admission() },
      });
      return one(Testing.synth(chart), 'ValidatingWebhookConfiguration').metadata.name;
    });
    expect(names).toEqual(['go-remote.team-a.alice', 'go-remote.team-b.alice']);
  });

  test('every object validates against the Kubernetes 1.27 schema and cert-manager\'s Certificate CRD', () => {
    for (const type of [AdmissionWebhookType.VALIDATING, AdmissionWebhookType.MUTATING]) {
      const { manifests } = withWebhook({
        admission: admission({ type, namespaceSelector: { matchLabels: { a: 'b' } }, objectSelector: { matchLabels: { c: 'd' } } }),
      });
      expect(manifests.flatMap(m => strictSchemas().problems(m))).toEqual([]);
    }
    const broken = { ...one(withWebhook().manifests, 'Certificate') };
    broken.spec = { ...broken.spec, dnsName: 'x' };
    expect(strictSchemas().problems(broken)).toEqual([expect.stringMatching(/must NOT have additional properties 'dnsName'/)]);
  });
});

describe('webhook: validation', () => {
  const rejects = (webhook: any, message: RegExp, props: Partial<GoRemoteEnvironmentProps> = {}) => {
    expect(() => withWebhook(webhook, props)).toThrow(message);
  };

  test('program must name a declared program', () => rejects({ program: 'nope' }, /'webhook.program' is "nope"; expected the name of one of programs \(webhook\)/));
  test('program must have a port', () => rejects({}, /'webhook.program' is "webhook"; names a program without a port/, { programs: [{ name: 'webhook', command: 'x' }] }));
  test('a namespace is needed', () => {
    expect(() => synth({ programs: [WEBHOOK_PROGRAM], webhook: { program: 'webhook', certificate: WebhookCertificate.certManager('s') } }, { namespace: '' }))
      .toThrow(/'namespace' is undefined; expected a namespace: the webhook's certificate names <service>.<namespace>.svc/);
  });
  test('the OpenShift service CA only on OpenShift', () => rejects({ certificate: WebhookCertificate.openShiftServiceCa() }, /'webhook.certificate' is "openShiftServiceCa\(\)"; needs OpenShift's service CA operator, but platform is kubernetes/));
  test('certificate must be a WebhookCertificate', () => rejects({ certificate: { source: 'cert-manager' } }, /'webhook.certificate' .*expected WebhookCertificate.certManager\(issuer\) or WebhookCertificate.openShiftServiceCa\(\)/));
  test('issuer must be a DNS subdomain', () => rejects({ certificate: WebhookCertificate.certManager('Self Signed') }, /'webhook.certificate.issuer' is "Self Signed"; expected a DNS-1123 subdomain/));
  test('issuerKind must be a CertManagerIssuerKind', () => rejects({ certificate: WebhookCertificate.certManager('s', 'Vault' as any) }, /'webhook.certificate.issuerKind' is "Vault"; expected CertManagerIssuerKind.ISSUER or CertManagerIssuerKind.CLUSTER_ISSUER/));
  test('type must be an AdmissionWebhookType', () => rejects({ admission: admission({ type: 'Audit' as any }) }, /'webhook.admission.type' is "Audit"; expected AdmissionWebhookType.VALIDATING or AdmissionWebhookType.MUTATING/));
  test('rules must not be empty', () => rejects({ admission: admission({ rules: [] }) }, /'webhook.admission.rules' is \[\]; expected at least one rule/));
  test('operations must be AdmissionOperations', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, operations: ['PATCH' as any] }] }) }, /'webhook.admission.rules\[0\].operations\[0\]' is "PATCH"; expected an AdmissionOperation/));
  test('\'*\' stands alone', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, resources: ['*', 'pods'] }] }) }, /'webhook.admission.rules\[0\].resources' is \["\*","pods"\]; expected '\*' alone/));
  test('rule lists must not be empty', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, apiVersions: [] }] }) }, /'webhook.admission.rules\[0\].apiVersions' is \[\]; expected a non-empty list of API versions/));
  test('resources must look like resources', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, resources: ['Pods '] }] }) }, /'webhook.admission.rules\[0\].resources\[0\]' is "Pods "; expected resources/));
  test('\'\' is the core group, not a version', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, apiVersions: [''] }] }) }, /'webhook.admission.rules\[0\].apiVersions\[0\]' is ""; expected API versions/));
  test('scope must be an AdmissionRuleScope', () => rejects({ admission: admission({ rules: [{ ...POD_RULE, scope: 'Global' as any }] }) }, /'webhook.admission.rules\[0\].scope' is "Global"; expected an AdmissionRuleScope/));
  test('path must be a clean absolute URL path', () => {
    for (const path of ['validate', '/a//b', '/a/../b', '/a?x=1', '/a b']) {
      rejects({ admission: admission({ path }) }, /'webhook.admission.path' is .*; expected a URL path such as '\/validate-v1-pod'/);
    }
  });
  test('path must not hold a control character', () => rejects({ admission: admission({ path: '/a\nb' }) }, /'webhook.admission.path' is "\/a\\nb"; expected no newline/));
  test('failurePolicy must be a WebhookFailurePolicy', () => rejects({ admission: admission({ failurePolicy: 'Retry' as any }) }, /'webhook.admission.failurePolicy' is "Retry"; expected WebhookFailurePolicy.IGNORE or WebhookFailurePolicy.FAIL/));
  test('timeoutSeconds from 1 to 30', () => rejects({ admission: admission({ timeoutSeconds: 31 }) }, /'webhook.admission.timeoutSeconds' is 31; expected a whole number of seconds from 1 to 30/));
  test('selectors are checked as the API server would', () => rejects({ admission: admission({ namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'Like', values: ['x'] }] } }) }, /'webhook.admission.namespaceSelector.matchExpressions\[0\].operator' is "Like"; expected one of In, NotIn, Exists, DoesNotExist/));
  test('In needs values', () => rejects({ admission: admission({ objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } }) }, /'webhook.admission.objectSelector.matchExpressions\[0\].values' is undefined; expected at least one value with In/));
  test('webhookName must be fully qualified', () => rejects({ admission: admission({ webhookName: 'validate.example' }) }, /'webhook.admission.webhookName' is "validate.example"; expected a fully qualified name of at least three DNS labels/));
  test('the volume name webhook-tls is the environment\'s', () => {
    expect(() => synth({ volumes: [{ volume: { name: 'webhook-tls', emptyDir: {} }, mountPath: '/x' }] })).toThrow(/'volumes\[0\].volume.name' is "webhook-tls"; is used by the environment itself/);
  });
  test('failurePolicy Fail is refused with idleStop: a stopped environment would refuse every matching write', () => {
    const idleStop = { apiAccess: ApiAccess.serviceAccountToken({ idleStop: Duration.hours(1) }) };
    rejects({ admission: admission({ failurePolicy: WebhookFailurePolicy.FAIL }) },
      /'webhook.admission.failurePolicy' is "Fail"; expected WebhookFailurePolicy.IGNORE with idleStop/, idleStop);
    expect(() => withWebhook({ admission: admission() }, idleStop)).not.toThrow();
  });
  test('failurePolicy Fail is refused with wildcard rules (\'*\' groups or resources)', () => {
    const everything = { operations: [AdmissionOperation.ALL], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] };
    rejects({ admission: admission({ failurePolicy: WebhookFailurePolicy.FAIL, rules: [POD_RULE, everything] }) },
      /'webhook.admission.rules\[1\]' is "apiGroups \[\\"\*\\"\], resources \[\\"\*\\"\]"; expected named API groups and resources with failurePolicy Fail/);
    rejects({ admission: admission({ failurePolicy: WebhookFailurePolicy.FAIL, rules: [{ ...POD_RULE, resources: ['*/scale'] }] }) }, /'webhook.admission.rules\[0\]'.*expected named API groups and resources/);
    expect(() => withWebhook({ admission: admission({ rules: [everything] }) })).not.toThrow(); // Ignore: allowed
  });
  test('an environment x with a webhook and an environment x-webhook in one namespace: no Service is shared', () => {
    const app: App = Testing.app();
    const chart = new Chart(app, 'team', { namespace: 'team' });
    const x = new GoRemoteEnvironment(chart, 'x', {
      authorizedKeys: [KEY], name: 'x', programs: [WEBHOOK_PROGRAM], webhook: { program: 'webhook', certificate: WebhookCertificate.certManager('selfsigned') },
    });
    const other = new GoRemoteEnvironment(chart, 'x-webhook', { authorizedKeys: [KEY], name: 'x-webhook' });
    expect(x.webhookService?.name).toBe('x--webhook');
    expect(other.service.name).toBe('x-webhook');
    const services = all(Testing.synth(chart), 'Service').map(m => m.metadata.name);
    expect(new Set(services).size).toBe(services.length);
  });
  test('with the environment\'s NetworkPolicy, the webhook\'s program needs peers (the API server must reach it)', () => {
    rejects({}, /'networkPolicy.programs' is \[\]; expected peers for the webhook's program "webhook": the API server must reach it/, { networkPolicy: {} });
    expect(() => withWebhook({}, { networkPolicy: { programs: [{ program: 'webhook', from: [NetworkPeer.cidr('10.0.0.0/24')] }] } })).not.toThrow();
  });
});

import { k8s } from 'cdk8s-plus-27';
import { Annotations, EnvVars, Labels, ObjectNames, Paths, PortNames, Volumes, WEBHOOK_SERVICE_PORT } from './contract';
import { Problems } from './errors';
import { Manifest } from './manifest';
import { Platform } from './platform';
import { Program } from './program';
import { checkDnsSubdomain, checkLabelSelector, checkList, checkSafeText, isEnumValue } from './validation';

/**
 * Which kind of cert-manager issuer signs the webhook's serving certificate.
 */
export enum CertManagerIssuerKind {
  /** An `Issuer` in the environment's namespace. */
  ISSUER = 'Issuer',
  /** A cluster-wide `ClusterIssuer`. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/**
 * Where the webhook's serving certificate comes from. Either way the private key is made in the cluster and
 * lives in a Secret only: nothing secret is in the manifests.
 */
export class WebhookCertificate {
  /**
   * A cert-manager `Certificate` for `<service>.<namespace>.svc` and `<service>.<namespace>.svc.cluster.local`,
   * signed by an issuer that already exists (a self-signed or CA `Issuer` is enough: the API server trusts the
   * CA that cert-manager's CA injector copies into the webhook configuration).
   *
   * @param issuer the name of the `Issuer` (in the environment's namespace) or `ClusterIssuer`
   * @param kind which of the two
   * @see https://cert-manager.io/docs/usage/certificate/
   */
  public static certManager(issuer: string, kind: CertManagerIssuerKind = CertManagerIssuerKind.ISSUER): WebhookCertificate {
    return new WebhookCertificate('cert-manager', issuer, kind);
  }

  /**
   * OpenShift's service CA: the `service.beta.openshift.io/serving-cert-secret-name` annotation on the webhook
   * Service makes the service CA operator write a certificate for `<service>.<namespace>.svc` into the Secret,
   * and `service.beta.openshift.io/inject-cabundle` puts the CA into the webhook configuration. OpenShift only.
   *
   * @see https://docs.openshift.com/container-platform/latest/security/certificates/service-serving-certificate.html
   */
  public static openShiftServiceCa(): WebhookCertificate {
    return new WebhookCertificate('openshift-service-ca');
  }

  /** `cert-manager` or `openshift-service-ca`. */
  public readonly source: string;
  /** The cert-manager issuer's name (cert-manager only). */
  public readonly issuer?: string;
  /** The cert-manager issuer's kind (cert-manager only). */
  public readonly issuerKind?: CertManagerIssuerKind;

  private constructor(source: string, issuer?: string, issuerKind?: CertManagerIssuerKind) {
    this.source = source;
    this.issuer = issuer;
    this.issuerKind = issuerKind;
  }
}

/**
 * The kind of admission webhook.
 */
export enum AdmissionWebhookType {
  /** A `ValidatingWebhookConfiguration`: the code allows or denies. */
  VALIDATING = 'Validating',
  /** A `MutatingWebhookConfiguration`: the code may also patch the object. */
  MUTATING = 'Mutating',
}

/**
 * What the API server does when it cannot get an answer from the webhook.
 */
export enum WebhookFailurePolicy {
  /** Admit the request as if the webhook were not there. */
  IGNORE = 'Ignore',
  /** Refuse the request. */
  FAIL = 'Fail',
}

/**
 * An operation an admission rule matches.
 */
export enum AdmissionOperation {
  CREATE = 'CREATE',
  UPDATE = 'UPDATE',
  DELETE = 'DELETE',
  CONNECT = 'CONNECT',
  /** Every operation. */
  ALL = '*',
}

/**
 * Which resources an admission rule matches by scope.
 */
export enum AdmissionRuleScope {
  /** Cluster-scoped resources only (Namespaces among them). */
  CLUSTER = 'Cluster',
  /** Namespaced resources only. */
  NAMESPACED = 'Namespaced',
  /** Both. */
  ALL = '*',
}

/**
 * Which requests the API server sends to the webhook.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#matching-requests-rules
 */
export interface AdmissionRule {
  /** The operations, e.g. `[AdmissionOperation.CREATE, AdmissionOperation.UPDATE]`. */
  readonly operations: AdmissionOperation[];
  /** API groups; `''` is the core group, `'*'` all (alone). */
  readonly apiGroups: string[];
  /** API versions, e.g. `['v1']`; `'*'` all (alone). */
  readonly apiVersions: string[];
  /** Resources, e.g. `['pods']`, `['deployments/scale']`; `'*'` all. */
  readonly resources: string[];
  /**
   * Cluster-scoped, namespaced or both.
   * @default AdmissionRuleScope.ALL
   */
  readonly scope?: AdmissionRuleScope;
}

/**
 * A Validating or Mutating WebhookConfiguration that makes the API server call the program under the debugger.
 */
export interface AdmissionWebhookOptions {
  /**
   * Validating or mutating.
   * @default AdmissionWebhookType.VALIDATING
   */
  readonly type?: AdmissionWebhookType;
  /** The requests sent to the webhook (at least one rule). */
  readonly rules: AdmissionRule[];
  /** The HTTP path the program serves the AdmissionReview on, e.g. `/validate-v1-pod`. */
  readonly path: string;
  /**
   * What the API server does when the webhook does not answer. `Ignore` by default because the code runs
   * under a debugger: while it is stopped at a breakpoint, not started, or the pod is down, `Fail` would
   * refuse every matching request in the cluster, perhaps the very requests that would bring it back. `Fail` is
   * refused with `idleStop` and with rules that match every API group or resource (`'*'`).
   *
   * @default WebhookFailurePolicy.IGNORE
   */
  readonly failurePolicy?: WebhookFailurePolicy;
  /**
   * Only objects in namespaces matching this selector are sent. The control plane's namespaces (`kube-system`,
   * `kube-public`, `kube-node-lease`) and the environment's own namespace are always excluded (an expression on
   * `kubernetes.io/metadata.name` is added), so that the webhook can never stand in the way of the cluster's
   * components or of the environment's own pod.
   *
   * @default - every namespace but the control plane's and the environment's
   */
  readonly namespaceSelector?: k8s.LabelSelector;
  /**
   * Only objects whose labels match this selector are sent.
   * @default - every object
   */
  readonly objectSelector?: k8s.LabelSelector;
  /**
   * Seconds the API server waits for an answer (1 to 30). A request that hits a breakpoint for longer times
   * out and is handled by `failurePolicy`.
   *
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /**
   * The webhook's fully qualified name (at least three DNS labels), as `kubectl` and the API server's logs show it.
   * @default - `<name>.<namespace>.go-remote.cdk8s.io`
   */
  readonly webhookName?: string;
}

/**
 * Admission webhook development: a program of the environment served over HTTPS to the API server.
 */
export interface WebhookOptions {
  /**
   * The program that serves HTTPS (one of `programs`, with a `port`). The webhook Service sends port 443 to
   * that port. Set the program's `expose: false` unless you also want its port on the environment's Service.
   */
  readonly program: string;
  /** Where the serving certificate comes from. */
  readonly certificate: WebhookCertificate;
  /**
   * The webhook configuration pointing the API server at the program.
   * @default - none: only the Service and the certificate (register the webhook yourself)
   */
  readonly admission?: AdmissionWebhookOptions;
}

/** A webhook whose props were checked, with its objects' names. @internal */
export interface ResolvedWebhook {
  readonly options: WebhookOptions;
  readonly program: Program;
  readonly port: number;
  readonly namespace: string;
  readonly serviceName: string;
  readonly secretName: string;
  readonly certificateName: string;
  readonly configurationName: string;
  readonly webhookName: string;
}

const OPERATIONS = Object.values(AdmissionOperation) as string[];
const SCOPES = Object.values(AdmissionRuleScope) as string[];
// A URL path the API server accepts for a webhook: '/' and unreserved characters, no empty, '.' or '..' segment.
const WEBHOOK_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

/**
 * Checks the webhook props and derives its object names.
 * @internal
 */
export function resolveWebhook(problems: Problems, prop: string, options: WebhookOptions, ctx: {
  readonly name: string;
  readonly namespace?: string;
  readonly platform: Platform;
  readonly programs: readonly Program[];
  /** Whether the environment stops itself when idle (`idleStop`). */
  readonly idleStop?: boolean;
}): ResolvedWebhook | undefined {
  if (options === null || typeof options !== 'object') {
    problems.add(prop, options, 'expected WebhookOptions ({ program, certificate, admission? })');
    return undefined;
  }
  const before = problems.count;
  const program = ctx.programs.find(p => p.name === options.program);
  if (typeof options.program !== 'string' || program === undefined) {
    problems.add(`${prop}.program`, options.program, `expected the name of one of programs (${ctx.programs.map(p => p.name).join(', ') || 'none declared'})`);
  } else if (program.port === undefined) {
    problems.add(`${prop}.program`, options.program, 'names a program without a port; give the program the port it serves HTTPS on');
  }
  if (ctx.namespace === undefined) {
    problems.add('namespace', ctx.namespace, 'expected a namespace: the webhook\'s certificate names <service>.<namespace>.svc, and the API server calls the Service in its namespace');
  }
  const cert = options.certificate;
  if (!(cert instanceof WebhookCertificate)) {
    problems.add(`${prop}.certificate`, cert, 'expected WebhookCertificate.certManager(issuer) or WebhookCertificate.openShiftServiceCa()');
  } else if (cert.source === 'cert-manager') {
    checkDnsSubdomain(problems, `${prop}.certificate.issuer`, cert.issuer!);
    if (!isEnumValue(CertManagerIssuerKind, cert.issuerKind)) {
      problems.add(`${prop}.certificate.issuerKind`, cert.issuerKind, 'expected CertManagerIssuerKind.ISSUER or CertManagerIssuerKind.CLUSTER_ISSUER');
    }
  } else if (ctx.platform !== Platform.OPENSHIFT) {
    problems.add(`${prop}.certificate`, 'openShiftServiceCa()', `needs OpenShift's service CA operator, but platform is ${ctx.platform}; use WebhookCertificate.certManager(issuer)`);
  }
  if (options.admission !== undefined && checkAdmission(problems, `${prop}.admission`, options.admission)) {
    checkFailurePolicy(problems, `${prop}.admission`, options.admission, ctx.idleStop === true);
  }
  if (problems.count > before) return undefined;
  const ns = ctx.namespace!;
  return {
    options,
    program: program!,
    port: program!.port!,
    namespace: ns,
    serviceName: ObjectNames.webhookService(ctx.name),
    secretName: ObjectNames.webhookSecret(ctx.name),
    certificateName: ObjectNames.webhookCertificate(ctx.name),
    configurationName: ObjectNames.clusterScoped(ns, ctx.name),
    webhookName: options.admission?.webhookName ?? ObjectNames.webhookName(ns, ctx.name),
  };
}

/**
 * `Fail` makes every matching request wait on the program under the debugger: refused when the pod stops itself
 * when idle (a stopped pod would refuse every matching write until someone scales it up again) and with a rule
 * that matches every group or resource (the cluster's own writes, those that would bring the pod back, among them).
 */
function checkFailurePolicy(problems: Problems, prop: string, a: AdmissionWebhookOptions, idleStop: boolean): void {
  if (a.failurePolicy !== WebhookFailurePolicy.FAIL) return;
  if (idleStop) {
    problems.add(`${prop}.failurePolicy`, a.failurePolicy, 'expected WebhookFailurePolicy.IGNORE with idleStop: once the environment stops itself, Fail refuses every matching request in the cluster until it is scaled up again');
  }
  a.rules.forEach((rule, i) => {
    const wildcard = [...rule.apiGroups, ...rule.resources].some(v => v.includes('*'));
    if (wildcard) {
      problems.add(`${prop}.rules[${i}]`, `apiGroups ${JSON.stringify(rule.apiGroups)}, resources ${JSON.stringify(rule.resources)}`, 'expected named API groups and resources with failurePolicy Fail: a wildcard rule sends every write of those kinds to the program under the debugger, and refuses them while it is stopped; use WebhookFailurePolicy.IGNORE or name the resources');
    }
  });
}

/** Checks the admission options; true when they are well-formed (so that the cross-field rules can run). */
function checkAdmission(problems: Problems, prop: string, a: AdmissionWebhookOptions): boolean {
  const problemsBefore = problems.count;
  if (a === null || typeof a !== 'object') {
    problems.add(prop, a, 'expected AdmissionWebhookOptions ({ rules, path, ... })');
    return false;
  }
  if (a.type !== undefined && !isEnumValue(AdmissionWebhookType, a.type)) {
    problems.add(`${prop}.type`, a.type, 'expected AdmissionWebhookType.VALIDATING or AdmissionWebhookType.MUTATING');
  }
  if (!Array.isArray(a.rules) || a.rules.length === 0) {
    problems.add(`${prop}.rules`, a.rules, 'expected at least one rule: without one the API server sends the webhook nothing');
  } else {
    checkList<AdmissionRule>(problems, `${prop}.rules`, a.rules, 'a list of rules').forEach((rule, i) => checkRule(problems, `${prop}.rules[${i}]`, rule));
  }
  if (typeof a.path !== 'string') {
    problems.add(`${prop}.path`, a.path, 'expected the HTTP path the program serves, such as \'/validate-v1-pod\'');
  } else if (checkSafeText(problems, `${prop}.path`, a.path) && (!WEBHOOK_PATH.test(a.path) || a.path.split('/').slice(1).some((s, i, all) => s === '.' || s === '..' || (s === '' && i < all.length - 1)))) {
    problems.add(`${prop}.path`, a.path, 'expected a URL path such as \'/validate-v1-pod\': starting with \'/\', letters, digits and \'-._~/\' only, no empty, \'.\' or \'..\' segments');
  }
  if (a.failurePolicy !== undefined && !isEnumValue(WebhookFailurePolicy, a.failurePolicy)) {
    problems.add(`${prop}.failurePolicy`, a.failurePolicy, 'expected WebhookFailurePolicy.IGNORE or WebhookFailurePolicy.FAIL');
  }
  if (a.timeoutSeconds !== undefined && (!Number.isInteger(a.timeoutSeconds) || a.timeoutSeconds < 1 || a.timeoutSeconds > 30)) {
    problems.add(`${prop}.timeoutSeconds`, a.timeoutSeconds, 'expected a whole number of seconds from 1 to 30 (the API server\'s limits)');
  }
  if (a.namespaceSelector !== undefined) checkLabelSelector(problems, `${prop}.namespaceSelector`, a.namespaceSelector);
  if (a.objectSelector !== undefined) checkLabelSelector(problems, `${prop}.objectSelector`, a.objectSelector);
  if (a.webhookName !== undefined) {
    const before = problems.count;
    checkDnsSubdomain(problems, `${prop}.webhookName`, a.webhookName);
    if (problems.count === before && a.webhookName.split('.').length < 3) {
      problems.add(`${prop}.webhookName`, a.webhookName, 'expected a fully qualified name of at least three DNS labels, such as \'validate.webhooks.example.com\'');
    }
  }
  return problems.count === problemsBefore;
}

function checkRule(problems: Problems, prop: string, rule: AdmissionRule): void {
  if (rule === null || typeof rule !== 'object') {
    problems.add(prop, rule, 'expected an AdmissionRule ({ operations, apiGroups, apiVersions, resources, scope? })');
    return;
  }
  const list = (field: keyof AdmissionRule, what: string) => {
    const values = rule[field] as unknown;
    if (!Array.isArray(values) || values.length === 0 || values.some(v => typeof v !== 'string')) {
      problems.add(`${prop}.${field}`, values, `expected a non-empty list of ${what}`);
      return;
    }
    if (values.includes('*') && values.length > 1) {
      problems.add(`${prop}.${field}`, values, 'expected \'*\' alone: it already means all');
    }
    values.forEach((v: string, j: number) => {
      if (v !== '*' && !(v === '' && field === 'apiGroups') && !/^[a-z0-9*]([-a-z0-9.*/_]*[a-z0-9*])?$/.test(v)) {
        problems.add(`${prop}.${field}[${j}]`, v, `expected ${what}`);
      }
    });
  };
  list('apiGroups', 'API groups (\'\' for the core group, \'apps\', \'*\')');
  list('apiVersions', 'API versions (\'v1\', \'*\')');
  list('resources', 'resources (\'pods\', \'deployments/scale\', \'*\')');
  if (!Array.isArray(rule.operations) || rule.operations.length === 0) {
    problems.add(`${prop}.operations`, rule.operations, 'expected a non-empty list of AdmissionOperation');
  } else {
    rule.operations.forEach((op, j) => {
      if (!OPERATIONS.includes(op)) problems.add(`${prop}.operations[${j}]`, op, 'expected an AdmissionOperation (CREATE, UPDATE, DELETE, CONNECT or ALL)');
    });
    if (rule.operations.includes(AdmissionOperation.ALL) && rule.operations.length > 1) {
      problems.add(`${prop}.operations`, rule.operations, 'expected AdmissionOperation.ALL alone: it already means all');
    }
  }
  if (rule.scope !== undefined && !SCOPES.includes(rule.scope)) {
    problems.add(`${prop}.scope`, rule.scope, 'expected an AdmissionRuleScope (CLUSTER, NAMESPACED or ALL)');
  }
}

/** Namespaces no webhook of the library is ever sent requests from. @internal */
export const CONTROL_PLANE_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** The control plane's namespaces and the environment's own, as the webhook's namespaceSelector excludes them. */
function excludedNamespaces(ns: string): string[] {
  return CONTROL_PLANE_NAMESPACES.includes(ns) ? [...CONTROL_PLANE_NAMESPACES] : [...CONTROL_PLANE_NAMESPACES, ns];
}

/** The pod's part of a webhook: the certificate volume, its mount and the variable naming it. @internal */
export function webhookPodParts(w: ResolvedWebhook): { volume: any; mount: any; env: { name: string; value: string } } {
  return {
    // optional: the pod (and SSH) starts before the certificate is issued; the kubelet adds the files when
    // the Secret appears.
    volume: { name: Volumes.WEBHOOK, secret: { secretName: w.secretName, defaultMode: 0o440, optional: true } },
    mount: { name: Volumes.WEBHOOK, mountPath: Paths.WEBHOOK_CERT_DIR, readOnly: true },
    env: { name: EnvVars.WEBHOOK_CERT_DIR, value: Paths.WEBHOOK_CERT_DIR },
  };
}

/**
 * The webhook Service (ClusterIP, 443 → the program's port), the Certificate (cert-manager) and the webhook
 * configuration, as plain manifests.
 * @internal
 */
export function webhookManifests(w: ResolvedWebhook, labels: { [key: string]: string }, selector: { [key: string]: string }): Manifest[] {
  const ns = w.namespace;
  const certManager = w.options.certificate.source === 'cert-manager';
  const out: Manifest[] = [{
    id: 'WebhookService',
    manifest: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: w.serviceName,
        namespace: ns,
        labels,
        annotations: certManager ? undefined : { [Annotations.OPENSHIFT_SERVING_CERT_SECRET]: w.secretName },
      },
      spec: {
        // In the cluster only: the API server calls it; it is not published on the load balancer.
        type: 'ClusterIP',
        selector,
        ports: [{ name: PortNames.WEBHOOK, port: WEBHOOK_SERVICE_PORT, targetPort: w.port, protocol: 'TCP' }],
      },
    },
  }];

  if (certManager) {
    const c = w.options.certificate;
    out.push({
      id: 'WebhookCertificate',
      manifest: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: w.certificateName, namespace: ns, labels },
        spec: {
          secretName: w.secretName,
          secretTemplate: { labels },
          dnsNames: [`${w.serviceName}.${ns}.svc`, `${w.serviceName}.${ns}.svc.cluster.local`],
          usages: ['server auth', 'digital signature'],
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          issuerRef: { group: 'cert-manager.io', kind: c.issuerKind, name: c.issuer },
        },
      },
    });
  }

  const a = w.options.admission;
  if (a) {
    const userSelector = a.namespaceSelector ?? {};
    const webhook = {
      name: w.webhookName,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: a.failurePolicy ?? WebhookFailurePolicy.IGNORE,
      timeoutSeconds: a.timeoutSeconds ?? 10,
      clientConfig: { service: { name: w.serviceName, namespace: ns, path: a.path, port: WEBHOOK_SERVICE_PORT } },
      rules: a.rules.map(r => ({
        operations: [...r.operations],
        apiGroups: [...r.apiGroups],
        apiVersions: [...r.apiVersions],
        resources: [...r.resources],
        scope: r.scope,
      })),
      namespaceSelector: {
        matchLabels: userSelector.matchLabels,
        // Never the control plane's namespaces nor the environment's own: the webhook cannot stand in the way of
        // the cluster's own components or of its own pod.
        matchExpressions: [
          ...(userSelector.matchExpressions ?? []),
          { key: Labels.NAMESPACE_NAME, operator: 'NotIn', values: excludedNamespaces(ns) },
        ],
      },
      objectSelector: a.objectSelector === undefined ? undefined : k8s.toJson_LabelSelector(a.objectSelector),
    };
    const mutating = (a.type ?? AdmissionWebhookType.VALIDATING) === AdmissionWebhookType.MUTATING;
    out.push({
      id: 'WebhookConfiguration',
      clusterScoped: true,
      manifest: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: mutating ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
        metadata: {
          name: w.configurationName,
          labels,
          annotations: certManager
            ? { [Annotations.CERT_MANAGER_INJECT_CA_FROM]: `${ns}/${w.certificateName}` }
            : { [Annotations.OPENSHIFT_INJECT_CA_BUNDLE]: 'true' },
        },
        webhooks: [webhook],
      },
    });
  }
  return out;
}

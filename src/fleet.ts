import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { clusterScoped } from './cluster-scoped';
import { GoRemoteValidationError } from './errors';
import { EnvironmentOptions, GoRemoteEnvironment, GoRemoteEnvironmentProps, ServiceType } from './go-remote-environment';
import { Platform } from './platform';
import { PodSecurityLevel, widestPodSecurityLevel } from './pod-security';
import { SSH_PORT } from './program';
import { Problems, checkCidr, checkDns1035Label, checkDnsLabel, checkQuantity } from './validation';
import { DEFAULT_WORKSPACE_SIZE, WORKSPACE_PROTECTION_ANNOTATIONS } from './workspace';

/**
 * How a fleet places its environments in namespaces.
 */
export enum NamespaceMode {
  /**
   * One namespace per developer, `<namespace>-<developer>`, each with its own quota, limits and network
   * policies: a developer's pod never shares a namespace (or a Pod Security level) with another's.
   */
  PER_DEVELOPER = 'per-developer',
  /**
   * One namespace, `<namespace>`, shared by every developer of the team. Its quota is the per-environment
   * quota times the number of developers, and its Pod Security level is the widest its developers' environments
   * need (`GoRemoteEnvironment.podSecurityLevel`: `privileged` as soon as one has host or capability node access).
   */
  SHARED = 'shared',
}

/**
 * One developer of a fleet: who logs in, and what differs from the fleet's `defaults`.
 */
export interface Developer extends EnvironmentOptions {
  /**
   * The developer's name: the name of every object of their environment (`<name>`, `<name>-config`,
   * `<name>-workspace`) and, with `NamespaceMode.PER_DEVELOPER`, the suffix of their namespace. A DNS-1035
   * label of at most 40 characters, unique in the fleet. It is public contract: renaming a developer makes a
   * GitOps tool delete the environment and create a new one (the old workspace is kept, not reused).
   */
  readonly name: string;

  /**
   * The developer's OpenSSH public keys.
   */
  readonly authorizedKeys: string[];
}

/**
 * The ResourceQuota of each namespace, given per environment: a namespace's quota is each value times the
 * number of environments in it. Every environment's own requests, limits and workspace size must fit in
 * these values, which is checked at construction.
 *
 * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
export interface FleetQuota {
  /**
   * CPU requests per environment (`requests.cpu`).
   * @default '1'
   */
  readonly cpuRequests?: string;
  /**
   * CPU limits per environment (`limits.cpu`).
   * @default '4'
   */
  readonly cpuLimits?: string;
  /**
   * Memory requests per environment (`requests.memory`).
   * @default '2Gi'
   */
  readonly memoryRequests?: string;
  /**
   * Memory limits per environment (`limits.memory`).
   * @default '8Gi'
   */
  readonly memoryLimits?: string;
  /**
   * Storage requested by PersistentVolumeClaims per environment (`requests.storage`).
   * @default '20Gi'
   */
  readonly storage?: string;
  /**
   * PersistentVolumeClaims per environment (`persistentvolumeclaims`).
   * @default 2
   */
  readonly persistentVolumeClaims?: number;
  /**
   * Pods per environment (`pods`).
   * @default 2
   */
  readonly pods?: number;
}

/**
 * The LimitRange of each namespace: what a container that declares no resources gets. The environments
 * declare theirs; the LimitRange is there so that any other pod in a namespace with a CPU and memory quota
 * is admitted with bounded resources instead of being refused.
 *
 * @see https://kubernetes.io/docs/concepts/policy/limit-range/
 */
export interface FleetContainerDefaults {
  /**
   * CPU request of a container that declares none.
   * @default '100m'
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit of a container that declares none.
   * @default '1'
   */
  readonly cpuLimit?: string;
  /**
   * Memory request of a container that declares none.
   * @default '128Mi'
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit of a container that declares none.
   * @default '512Mi'
   */
  readonly memoryLimit?: string;
}

/**
 * Properties of a `GoRemoteFleet`.
 */
export interface GoRemoteFleetProps {
  /**
   * The team's namespace: with `NamespaceMode.SHARED` the namespace itself, with
   * `NamespaceMode.PER_DEVELOPER` the prefix of each developer's namespace (`<namespace>-<developer>`).
   * A DNS-1123 label; `default`, `kube-*` and `openshift*` are refused.
   */
  readonly namespace: string;

  /**
   * The team's developers, one environment each.
   */
  readonly developers: Developer[];

  /**
   * One namespace per developer, or one shared namespace.
   * @default NamespaceMode.PER_DEVELOPER
   */
  readonly namespaceMode?: NamespaceMode;

  /**
   * The kind of cluster, for every environment of the fleet.
   * @default Platform.KUBERNETES
   */
  readonly platform?: Platform;

  /**
   * What every environment gets unless its developer overrides it.
   * @default - the GoRemoteEnvironment defaults
   */
  readonly defaults?: EnvironmentOptions;

  /**
   * The ResourceQuota, per environment.
   * @default - requests 1 CPU / 2Gi, limits 4 CPU / 8Gi, 20Gi storage, 2 PVCs and 2 pods per environment
   */
  readonly quota?: FleetQuota;

  /**
   * The LimitRange's defaults for containers that declare no resources.
   * @default - requests 100m CPU / 128Mi, limits 1 CPU / 512Mi
   */
  readonly containerDefaults?: FleetContainerDefaults;

  /**
   * Client CIDRs allowed to reach SSH (port 2222): the `from` of the SSH NetworkPolicy and the default
   * `sourceRanges` of load-balanced environments. A NetworkPolicy sees the client address only when the path
   * keeps it (`externalTrafficPolicy: Local`, or a load balancer that does not SNAT); otherwise include the
   * nodes' CIDRs.
   *
   * @default - SSH from anywhere (login still requires a declared key)
   */
  readonly sshSourceCidrs?: string[];

  /**
   * Restricts the environments' egress to DNS (UDP and TCP ports 53 and 5353, any destination) and these
   * CIDRs (any port): for example the git host's addresses and the module proxy's. NetworkPolicies cannot
   * name hosts. An empty list allows DNS only.
   *
   * @default - all egress allowed
   */
  readonly egressCidrs?: string[];
}

/** Labels of the environments' pods, which the network policies select. */
const POD_SELECTOR = { 'app.kubernetes.io/name': 'go-remote' };
/** The Pod Security Admission mode labels the fleet sets on each namespace. */
const PSA_MODES = ['enforce', 'audit', 'warn'];
/** OpenShift's switch for its SCC-based Pod Security label synchronisation of a namespace. */
const OPENSHIFT_PSA_SYNC = 'security.openshift.io/scc.podSecurityLabelSync';
/** Namespaces a fleet must never own. */
const RESERVED_NAMESPACE = /^(default|kube-.*|openshift.*)$/;
/** DNS ports egress always allows when it is restricted (5353: OpenShift's DNS pods listen there). */
const DNS_PORTS = [53, 5353];

const DEFAULT_QUOTA = {
  cpuRequests: '1',
  cpuLimits: '4',
  memoryRequests: '2Gi',
  memoryLimits: '8Gi',
  storage: '20Gi',
  persistentVolumeClaims: 2,
  pods: 2,
};
const DEFAULT_CONTAINER = { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '512Mi' };
/** The GoRemoteEnvironment's own resource defaults, which the quota check compares against. */
const ENVIRONMENT_RESOURCES = { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '4Gi' };

/**
 * Every key of EnvironmentOptions, which a developer may override. Typed so that the build fails when
 * GoRemoteEnvironmentProps gains a prop that the fleet neither passes through nor sets itself.
 */
const OPTION_KEY_SET: Record<keyof EnvironmentOptions | Exclude<keyof GoRemoteEnvironmentProps, FleetSetProp>, true> = {
  image: true,
  imagePullPolicy: true,
  git: true,
  programs: true,
  nodeAccess: true,
  resources: true,
  serviceType: true,
  sourceRanges: true,
  workspace: true,
  env: true,
  volumes: true,
  nodeSelector: true,
  nodeName: true,
  tolerations: true,
  affinity: true,
  webhook: true,
  networkPolicy: true,
  impersonation: true,
  hostKeysSecret: true,
  hostCertificateAuthority: true,
  serviceAccountToken: true,
  kubeconfig: true,
  idleStop: true,
};
/** GoRemoteEnvironmentProps the fleet sets itself. */
type FleetSetProp = 'authorizedKeys' | 'name' | 'namespace' | 'platform';
const OPTION_KEYS = Object.keys(OPTION_KEY_SET) as (keyof EnvironmentOptions)[];

interface Placement {
  readonly developer: Developer;
  readonly index: number;
  readonly namespace: string;
  readonly options: EnvironmentOptions;
}

/**
 * A team's remote Go development environments from one declaration: a `GoRemoteEnvironment` per developer,
 * all in the scope's one Chart (no Chart per environment: cdk8s synthesis grows faster than linearly with the
 * number of Charts), and per namespace the guard rails a shared cluster needs.
 *
 * Objects per namespace `<ns>` (construct path `Namespaces/<ns>/...` → kind, name):
 * - `Namespace` → Namespace `<ns>`, Pod Security Admission at the widest `podSecurityLevel` of the
 *   environments in it (`restricted` without node access; see docs/guides/operator-development.md; on OpenShift
 *   with the SCC-based label synchronisation off), kept by Argo CD and Flux
 *   when it leaves Git
 * - `ResourceQuota` → ResourceQuota `<ns>-quota`
 * - `LimitRange` → LimitRange `<ns>-limits`
 * - `DefaultDeny` → NetworkPolicy `<ns>-default-deny` (all ingress and egress of every pod)
 * - `AllowSshAndEgress` → NetworkPolicy `<ns>-allow-ssh-and-egress`: for the environments' pods, ingress on TCP
 *   2222 (from `sshSourceCidrs`, or anywhere), and all egress (or DNS and `egressCidrs` only)
 *
 * and per developer `Environments/<developer>` → the environment's objects, named after the developer.
 * Object names are unique across the fleet, so a file-per-resource layout never overwrites a file.
 */
export class GoRemoteFleet extends Construct {
  /** How environments are placed in namespaces. */
  public readonly namespaceMode: NamespaceMode;
  /** The platform of every environment. */
  public readonly platform: Platform;
  /** The environments, in the order of `developers`. */
  public readonly environments: GoRemoteEnvironment[] = [];
  /** The Namespaces the fleet owns, in order of creation. */
  public readonly namespaces: ApiObject[] = [];

  constructor(scope: Construct, id: string, props: GoRemoteFleetProps) {
    super(scope, id);

    // ---- resolve and validate the fleet's own props before the first object exists ----
    const problems = new Problems();
    this.namespaceMode = props.namespaceMode ?? NamespaceMode.PER_DEVELOPER;
    this.platform = props.platform ?? Platform.KUBERNETES;
    const developers = props.developers ?? [];
    const defaults = props.defaults ?? {};
    const quota = { ...DEFAULT_QUOTA, ...definedOnly(props.quota ?? {}) };
    const container = { ...DEFAULT_CONTAINER, ...definedOnly(props.containerDefaults ?? {}) };
    const perDeveloper = this.namespaceMode === NamespaceMode.PER_DEVELOPER;

    if (!Object.values(NamespaceMode).includes(this.namespaceMode)) {
      problems.add('namespaceMode', this.namespaceMode, 'expected NamespaceMode.PER_DEVELOPER or NamespaceMode.SHARED');
    }
    if (!Object.values(Platform).includes(this.platform)) {
      problems.add('platform', this.platform, 'expected Platform.KUBERNETES or Platform.OPENSHIFT');
    }
    const before = problems.count;
    if (typeof props.namespace === 'string') {
      checkDnsLabel(problems, 'namespace', props.namespace);
    } else {
      problems.add('namespace', props.namespace, 'expected the team\'s namespace, a DNS-1123 label');
    }
    const namespaceOk = problems.count === before;
    if (namespaceOk && RESERVED_NAMESPACE.test(props.namespace)) {
      problems.add('namespace', props.namespace, 'is reserved (default, kube-*, openshift*); a fleet owns its namespaces and would take over a system one; choose a team name');
    }
    if (!Array.isArray(developers)) {
      problems.add('developers', developers, 'expected a list of developers');
    }
    validateQuota(problems, quota, container);
    (props.sshSourceCidrs ?? []).forEach((cidr, i) => checkCidr(problems, `sshSourceCidrs[${i}]`, cidr));
    (props.egressCidrs ?? []).forEach((cidr, i) => checkCidr(problems, `egressCidrs[${i}]`, cidr));

    // A problem of the shared defaults or of the quota is reported once, not once per developer.
    const reportedQuota = new Set<string>();
    const reportOnce: Report = (prop, value, expected) => {
      const key = `${prop}\0${expected}`;
      if (!reportedQuota.has(key)) problems.add(prop, value, expected);
      reportedQuota.add(key);
    };
    const placements: Placement[] = [];
    const seen = new Map<string, number>();
    (Array.isArray(developers) ? developers : []).forEach((developer, index) => {
      const at = `developers[${index}]`;
      const name = developer?.name;
      const nameBefore = problems.count;
      if (typeof name === 'string') {
        checkDns1035Label(problems, `${at}.name`, name, 40);
      } else {
        problems.add(`${at}.name`, name, 'expected the developer\'s name, a DNS-1035 label of at most 40 characters');
      }
      if (problems.count === nameBefore) {
        if (seen.has(name)) {
          problems.add(`${at}.name`, name, `expected a unique name: developers[${seen.get(name)}] is already "${name}"`);
        } else {
          seen.set(name, index);
        }
        if (perDeveloper && namespaceOk && props.namespace.length + 1 + name.length > 63) {
          problems.add(`${at}.name`, name, `makes the namespace "${props.namespace}-${name}" longer than 63 characters; shorten the name or the fleet's namespace`);
        }
      }
      const options = mergeOptions(defaults, developer ?? {});
      checkFitsQuota(reportOnce, at, developer ?? {}, options, quota);
      placements.push({ developer, index, options, namespace: perDeveloper ? `${props.namespace}-${name}` : props.namespace });
    });
    problems.throwIfAny();

    // ---- namespaces, each with its guard rails ----
    const namespaceScope = new Construct(this, 'Namespaces');
    const environmentsOf = new Map<string, number>();
    for (const p of placements) environmentsOf.set(p.namespace, (environmentsOf.get(p.namespace) ?? 0) + 1);
    if (!perDeveloper && !environmentsOf.has(props.namespace)) environmentsOf.set(props.namespace, 0);
    const namespaceObjects = new Map<string, ApiObject>();
    for (const [ns, count] of environmentsOf) {
      const objects = this.createNamespace(new Construct(namespaceScope, ns), ns, count, props, quota, container);
      clusterScoped(objects);
      namespaceObjects.set(ns, objects);
      this.namespaces.push(objects);
    }

    // ---- environments: their own validation is collected for every developer, then thrown at once ----
    const environmentScope = new Construct(this, 'Environments');
    const reported = new Set<string>();
    const envProblems: string[] = [];
    for (const p of placements) {
      const environmentProps = this.environmentProps(p, props);
      try {
        this.environments.push(new GoRemoteEnvironment(environmentScope, p.developer.name, environmentProps));
      } catch (e) {
        if (!(e instanceof GoRemoteValidationError)) throw e;
        environmentScope.node.tryRemoveChild(p.developer.name);
        for (const problem of e.problems) {
          const located = locateProblem(problem, p, defaults);
          if (!reported.has(located)) envProblems.push(located);
          reported.add(located);
        }
      }
    }
    if (envProblems.length > 0) {
      // Nothing of the fleet is left in the tree when it throws.
      this.node.tryRemoveChild('Environments');
      this.node.tryRemoveChild('Namespaces');
      this.environments.length = 0;
      this.namespaces.length = 0;
      throw new GoRemoteValidationError(envProblems);
    }

    // ---- Pod Security Admission, from what each environment resolved ----
    // One pass over the environments (not one per namespace: per-developer namespaces make that quadratic).
    const levelsOf = new Map<string, PodSecurityLevel[]>();
    for (const env of this.environments) {
      const levels = levelsOf.get(env.namespace!) ?? [];
      levels.push(env.podSecurityLevel);
      levelsOf.set(env.namespace!, levels);
    }
    for (const [ns, obj] of namespaceObjects) {
      const level = widestPodSecurityLevel(levelsOf.get(ns) ?? []);
      for (const mode of PSA_MODES) obj.metadata.addLabel(`pod-security.kubernetes.io/${mode}`, level);
    }
  }

  private createNamespace(
    scope: Construct, ns: string, environments: number, props: GoRemoteFleetProps,
    quota: typeof DEFAULT_QUOTA, container: typeof DEFAULT_CONTAINER,
  ): ApiObject {
    const labels = {
      'app.kubernetes.io/managed-by': 'cdk8s-go-remote',
      'go-remote.cdk8s.io/fleet': props.namespace,
    };
    const namespace = emit(scope, 'Namespace', k8s.KubeNamespace.manifest({
      metadata: {
        name: ns,
        // On OpenShift the fleet's Pod Security labels are the namespace's, not the SCC-based synchronisation's.
        labels: this.platform === Platform.OPENSHIFT ? { ...labels, [OPENSHIFT_PSA_SYNC]: 'false' } : labels,
        // Deleting a namespace deletes every workspace in it: keep it when it leaves Git, as the workspaces are.
        annotations: { ...WORKSPACE_PROTECTION_ANNOTATIONS },
      },
    }));
    const meta = (name: string) => ({ name, namespace: ns, labels });
    const q = (value: string) => k8s.Quantity.fromString(scaleQuantity(value, environments));
    emit(scope, 'ResourceQuota', k8s.KubeResourceQuota.manifest({
      metadata: meta(`${ns}-quota`),
      spec: {
        hard: {
          'requests.cpu': q(quota.cpuRequests),
          'limits.cpu': q(quota.cpuLimits),
          'requests.memory': q(quota.memoryRequests),
          'limits.memory': q(quota.memoryLimits),
          'requests.storage': q(quota.storage),
          'persistentvolumeclaims': k8s.Quantity.fromNumber(quota.persistentVolumeClaims * environments),
          'pods': k8s.Quantity.fromNumber(quota.pods * environments),
        },
      },
    }));
    emit(scope, 'LimitRange', k8s.KubeLimitRange.manifest({
      metadata: meta(`${ns}-limits`),
      spec: {
        limits: [{
          type: 'Container',
          default: { cpu: k8s.Quantity.fromString(container.cpuLimit), memory: k8s.Quantity.fromString(container.memoryLimit) },
          defaultRequest: { cpu: k8s.Quantity.fromString(container.cpuRequest), memory: k8s.Quantity.fromString(container.memoryRequest) },
        }],
      },
    }));
    emit(scope, 'DefaultDeny', k8s.KubeNetworkPolicy.manifest({
      metadata: meta(`${ns}-default-deny`),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }));
    const egress: k8s.NetworkPolicyEgressRule[] = props.egressCidrs === undefined
      ? [{}]
      : [
        { ports: DNS_PORTS.flatMap(port => ['UDP', 'TCP'].map(protocol => ({ protocol, port: k8s.IntOrString.fromNumber(port) }))) },
        ...(props.egressCidrs.length > 0 ? [{ to: props.egressCidrs.map(cidr => ({ ipBlock: { cidr } })) }] : []),
      ];
    emit(scope, 'AllowSshAndEgress', k8s.KubeNetworkPolicy.manifest({
      metadata: meta(`${ns}-allow-ssh-and-egress`),
      spec: {
        podSelector: { matchLabels: POD_SELECTOR },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{
          from: props.sshSourceCidrs?.map(cidr => ({ ipBlock: { cidr } })),
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(SSH_PORT) }],
        }],
        egress,
      },
    }));
    return namespace;
  }

  private environmentProps(p: Placement, props: GoRemoteFleetProps): GoRemoteEnvironmentProps {
    const o = p.options;
    const loadBalanced = (o.serviceType ?? ServiceType.LOAD_BALANCER) === ServiceType.LOAD_BALANCER;
    return {
      ...o,
      sourceRanges: o.sourceRanges ?? (loadBalanced && props.sshSourceCidrs ? [...props.sshSourceCidrs] : undefined),
      authorizedKeys: p.developer.authorizedKeys,
      name: p.developer.name,
      namespace: p.namespace,
      platform: this.platform,
    };
  }
}

/**
 * Emits a manifest built by a typed L1 class (`k8s.KubeX.manifest(...)`, which type-checks the props and converts
 * them to JSON once) as a plain ApiObject. The same object declared as `new k8s.KubeX(...)` would be converted
 * again at every synthesis, which costs more than the fleet's small objects themselves (bench/fleet.ts).
 */
function emit(scope: Construct, id: string, manifest: any): ApiObject {
  return new ApiObject(scope, id, manifest);
}

/** The object without its undefined values, so that spreading it does not hide a default. */
function definedOnly<T extends object>(o: T): Partial<T> {
  const out: any = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** The fleet's defaults with a developer's overrides on top (each override replaces the value as a whole). */
function mergeOptions(defaults: EnvironmentOptions, developer: EnvironmentOptions): EnvironmentOptions {
  const out: any = {};
  for (const key of OPTION_KEYS) {
    const value = developer[key] !== undefined ? developer[key] : defaults[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Rewrites an environment's problem ("'programs[1].port' is ...") to name the fleet prop it came from:
 * `developers[i].<prop>` when the developer set it, `defaults.<prop>` when the fleet's defaults did.
 */
function locateProblem(problem: string, p: Placement, defaults: EnvironmentOptions): string {
  const m = /^'([A-Za-z]+)([^']*)'(.*)$/s.exec(problem);
  const suffix = ` (developer "${p.developer.name}")`;
  if (!m) return `developers[${p.index}]: ${problem}`;
  const [, top, rest, tail] = m;
  if ((p.developer as any)[top] === undefined && (defaults as any)[top] !== undefined) {
    return `'defaults.${top}${rest}'${tail}`;
  }
  return `'developers[${p.index}].${top}${rest}'${tail}${suffix}`;
}

function validateQuota(problems: Problems, quota: typeof DEFAULT_QUOTA, container: typeof DEFAULT_CONTAINER): void {
  for (const key of ['cpuRequests', 'cpuLimits', 'memoryRequests', 'memoryLimits', 'storage'] as const) {
    checkQuantity(problems, `quota.${key}`, quota[key]);
  }
  for (const key of ['persistentVolumeClaims', 'pods'] as const) {
    if (!Number.isInteger(quota[key]) || quota[key] < 1) {
      problems.add(`quota.${key}`, quota[key], 'expected a whole number of at least 1');
    }
  }
  const before = problems.count;
  for (const key of ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit'] as const) {
    checkQuantity(problems, `containerDefaults.${key}`, container[key]);
  }
  if (problems.count > before) return;
  for (const [request, limit] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
    if (quantityValue(container[request])! > quantityValue(container[limit])! * (1 + 1e-9)) {
      problems.add(`containerDefaults.${request}`, container[request], `is more than containerDefaults.${limit} "${container[limit]}"; a LimitRange's default request must not exceed its default limit`);
    }
  }
}

type Report = (prop: string, value: unknown, expected: string) => void;

/**
 * Checks that one environment's resources and workspace fit in the quota per environment. A value the
 * developer set is reported on `developers[i]`, one from the fleet's defaults on `defaults`, and one left to
 * the environment's own default on the quota prop that is too small.
 */
function checkFitsQuota(
  report: Report, at: string, developer: EnvironmentOptions, options: EnvironmentOptions, quota: typeof DEFAULT_QUOTA,
): void {
  const owner = (prop: keyof EnvironmentOptions) => developer[prop] !== undefined ? at : 'defaults';
  const check = (prop: string, value: string | undefined, fallback: string, quotaProp: string, quotaValue: string) => {
    const limit = quantityValue(quotaValue);
    const v = quantityValue(value ?? fallback);
    if (v === undefined || limit === undefined || v <= limit * (1 + 1e-9)) return;
    if (value === undefined) {
      report(quotaProp, quotaValue, `is less than one environment's default ${prop} "${fallback}"; raise ${quotaProp} or set ${prop} lower`);
    } else {
      report(prop, value, `exceeds the fleet's quota per environment, ${quotaProp} "${quotaValue}"; raise ${quotaProp} or lower the value`);
    }
  };
  const pairs = [
    ['cpuRequest', 'cpuRequests'], ['cpuLimit', 'cpuLimits'], ['memoryRequest', 'memoryRequests'], ['memoryLimit', 'memoryLimits'],
  ] as const;
  for (const [resource, quotaKey] of pairs) {
    const value = options.resources?.[resource];
    const prop = value === undefined ? `resources.${resource}` : `${owner('resources')}.resources.${resource}`;
    check(prop, value, ENVIRONMENT_RESOURCES[resource], `quota.${quotaKey}`, quota[quotaKey]);
  }
  const size = options.workspace?.size;
  check(size === undefined ? 'workspace.size' : `${owner('workspace')}.workspace.size`, size, DEFAULT_WORKSPACE_SIZE, 'quota.storage', quota.storage);
}

// Kubernetes resource.Quantity: a decimal number and a suffix.
const QUANTITY_PARTS = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const MULTIPLIERS = new Map<string, number>([
  ...DECIMAL_SUFFIXES.map((s, i) => [s, 10 ** (3 * (i - 3))] as [string, number]),
  ...BINARY_SUFFIXES.slice(1).map((s, i) => [s, 2 ** (10 * (i + 1))] as [string, number]),
]);

/** The value of a quantity (approximate, for comparisons); undefined when it is not one. @internal */
export function quantityValue(quantity: string): number | undefined {
  const m = QUANTITY_PARTS.exec(quantity);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIERS.get(suffix)!;
  return Number(m[1]) * multiplier;
}

/** A quantity times a whole number, exactly, keeping its suffix: ('1.5Gi', 3) → '4.5Gi'. @internal */
export function scaleQuantity(quantity: string, times: number): string {
  const m = QUANTITY_PARTS.exec(quantity);
  if (!m) throw new Error(`not a quantity: ${quantity}`);
  const [whole, fraction = ''] = m[1].split('.');
  const digits = (BigInt(`${whole || '0'}${fraction}`) * BigInt(times)).toString().padStart(fraction.length + 1, '0');
  const intPart = digits.slice(0, digits.length - fraction.length);
  const fracPart = digits.slice(digits.length - fraction.length).replace(/0+$/, '');
  return `${intPart}${fracPart ? `.${fracPart}` : ''}${m[2] ?? ''}`;
}

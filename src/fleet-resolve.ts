import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { DEFAULT_CONTAINER_RESOURCES, DEFAULT_QUOTA, DEFAULT_RESOURCES, DEFAULT_WORKSPACE_SIZE, NAME_MAX_LENGTH, NAME_SEPARATOR, NAME_SEPARATOR_REASON, ObjectNames } from './contract';
import { Problem, Problems, formatProblem } from './errors';
import { ServiceExposure } from './exposure';
import { Platform } from './platform';
import { PodSecurityLevel, widestPodSecurityLevel } from './pod-security';
import { Developer, EnvironmentOptions, GoRemoteEnvironmentProps, GoRemoteFleetProps, NamespaceMode } from './props';
import { exceeds, resolveCpu, resolveSize } from './quantity';
import { ResolvedEnvironment, checkKnownProps, resolveEnvironment } from './resolve';
import { checkCidr, checkDns1035Label, checkDnsLabel, checkList, isEnumValue } from './validation';

/** Namespaces a fleet must never own. */
const RESERVED_NAMESPACE = /^(default|kube-.*|openshift.*)$/;

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
  exposure: true,
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
  apiAccess: true,
};
/** GoRemoteEnvironmentProps the fleet sets itself. */
type FleetSetProp = 'authorizedKeys' | 'name' | 'namespace' | 'platform';
const OPTION_KEYS = Object.keys(OPTION_KEY_SET) as (keyof EnvironmentOptions)[];
/** Every prop of GoRemoteFleetProps (typed: the build fails when one is added and not listed). */
const FLEET_PROPS: Record<keyof GoRemoteFleetProps, true> = {
  namespace: true,
  developers: true,
  namespaceMode: true,
  platform: true,
  defaults: true,
  quota: true,
  containerDefaults: true,
  sshSourceCidrs: true,
  egressCidrs: true,
};

/** One developer's environment, resolved, and where it goes. @internal */
export interface FleetPlacement {
  readonly developer: Developer;
  readonly index: number;
  readonly namespace: string;
  readonly environment: ResolvedEnvironment;
}

/** One namespace of the fleet, resolved. @internal */
export interface FleetNamespace {
  readonly name: string;
  /** The environments in it (its quota is the per-environment quota times this). */
  readonly environments: number;
  /** The widest Pod Security level its environments need. */
  readonly podSecurityLevel: PodSecurityLevel;
}

/** A fleet, fully resolved: its namespaces with their guard rails' values, and every developer's environment. @internal */
export interface ResolvedFleet {
  readonly namespaceMode: NamespaceMode;
  readonly platform: Platform;
  readonly fleetNamespace: string;
  readonly namespaces: readonly FleetNamespace[];
  readonly placements: readonly FleetPlacement[];
  /** Per environment, as quantities. */
  readonly quota: {
    readonly cpuRequests: string;
    readonly cpuLimits: string;
    readonly memoryRequests: string;
    readonly memoryLimits: string;
    readonly storage: string;
    readonly persistentVolumeClaims: number;
    readonly pods: number;
  };
  readonly container: { readonly cpuRequest: string; readonly cpuLimit: string; readonly memoryRequest: string; readonly memoryLimit: string };
  readonly sshSourceCidrs?: readonly string[];
  readonly egressCidrs?: readonly string[];
}

/** @internal */
export type FleetResolution =
  | { readonly fleet: ResolvedFleet; readonly problems?: undefined }
  | { readonly fleet?: undefined; readonly problems: readonly Problem[] };

/**
 * Resolves a fleet: its own props first, then every developer's environment with `resolveEnvironment` (no
 * construct is built), each problem moved to the fleet prop it came from by its path: `defaults.<path>` (once)
 * when the fleet's defaults set the value, `developers[i].<path>` when the developer did.
 * @internal
 */
export function resolveFleet(props: GoRemoteFleetProps): FleetResolution {
  const problems = new Problems();
  if (props === null || typeof props !== 'object') {
    problems.add('props', props, 'expected GoRemoteFleetProps ({ namespace, developers, ... })');
    return { problems: problems.list };
  }
  const namespaceMode = props.namespaceMode ?? NamespaceMode.PER_DEVELOPER;
  const platform = props.platform ?? Platform.KUBERNETES;
  const developers = props.developers ?? [];
  const defaults: EnvironmentOptions = props.defaults ?? {};
  const perDeveloper = namespaceMode === NamespaceMode.PER_DEVELOPER;

  if (!isEnumValue(NamespaceMode, namespaceMode)) {
    problems.add('namespaceMode', namespaceMode, 'expected NamespaceMode.PER_DEVELOPER or NamespaceMode.SHARED');
  }
  if (!isEnumValue(Platform, platform)) {
    problems.add('platform', platform, 'expected Platform.KUBERNETES or Platform.OPENSHIFT');
  }
  const namespaceOk = typeof props.namespace === 'string'
    ? checkDnsLabel(problems, 'namespace', props.namespace)
    : (problems.add('namespace', props.namespace, 'expected the team\'s namespace, a DNS-1123 label'), false);
  if (namespaceOk && props.namespace.includes(NAME_SEPARATOR)) {
    problems.add('namespace', props.namespace, `expected a namespace ${NAME_SEPARATOR_REASON} (a developer's namespace is <namespace>${NAME_SEPARATOR}<developer>)`);
  } else if (namespaceOk && RESERVED_NAMESPACE.test(props.namespace)) {
    problems.add('namespace', props.namespace, 'is reserved (default, kube-*, openshift*); a fleet owns its namespaces and would take over a system one; choose a team name');
  }
  if (!Array.isArray(developers)) problems.add('developers', developers, 'expected a list of developers');
  checkKnownProps(problems, '', props, Object.keys(FLEET_PROPS), 'GoRemoteFleet');
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults)) {
    problems.add('defaults', defaults, 'expected EnvironmentOptions ({ image?, programs?, ... })');
  } else {
    // What the fleet sets per developer cannot come from the defaults (possible without a type checker): name
    // where it goes instead of calling it unknown.
    for (const key of ['authorizedKeys', 'name'] as const) {
      if ((defaults as any)[key] !== undefined) {
        problems.add(`defaults.${key}`, (defaults as any)[key], `is not an option of defaults: each developer's ${key === 'name' ? 'name' : 'keys'} go in developers[i].${key}`);
      }
    }
    checkKnownProps(problems, 'defaults.', Object.fromEntries(Object.entries(defaults).filter(([k]) => k !== 'authorizedKeys' && k !== 'name')), OPTION_KEYS, 'EnvironmentOptions');
  }
  const { quota, container } = resolveQuota(problems, props);
  checkList(problems, 'sshSourceCidrs', props.sshSourceCidrs, 'a list of CIDRs').forEach((cidr, i) => checkCidr(problems, `sshSourceCidrs[${i}]`, cidr));
  checkList(problems, 'egressCidrs', props.egressCidrs, 'a list of CIDRs').forEach((cidr, i) => checkCidr(problems, `egressCidrs[${i}]`, cidr));

  // A problem of the shared defaults or of the quota is reported once, not once per developer.
  const reported = new Set<string>();
  const reportOnce = (problem: Problem) => {
    const key = formatProblem(problem);
    if (!reported.has(key)) problems.addAll([problem]);
    reported.add(key);
  };
  const pending: { developer: Developer; index: number; namespace: string; options: EnvironmentOptions }[] = [];
  const seen = new Map<string, number>();
  (Array.isArray(developers) ? developers : []).forEach((developer, index) => {
    const at = `developers[${index}]`;
    const name = developer?.name;
    const nameOk = typeof name === 'string'
      ? checkDns1035Label(problems, `${at}.name`, name, NAME_MAX_LENGTH)
      : (problems.add(`${at}.name`, name, 'expected the developer\'s name, a DNS-1035 label of at most 40 characters'), false);
    if (nameOk && name.includes(NAME_SEPARATOR)) {
      problems.add(`${at}.name`, name, `expected a name ${NAME_SEPARATOR_REASON}`);
    } else if (nameOk) {
      if (seen.has(name)) {
        problems.add(`${at}.name`, name, `expected a unique name: developers[${seen.get(name)}] is already "${name}"`);
      } else {
        seen.set(name, index);
      }
      if (perDeveloper && namespaceOk && props.namespace.length + NAME_SEPARATOR.length + name.length > 63) {
        problems.add(`${at}.name`, name, `makes the namespace "${ObjectNames.developerNamespace(props.namespace, name)}" longer than 63 characters; shorten the name or the fleet's namespace`);
      }
    }
    if (developer !== null && typeof developer === 'object') {
      checkKnownProps(problems, `${at}.`, developer, [...OPTION_KEYS, 'name', 'authorizedKeys'], 'Developer');
    }
    const options = mergeOptions(defaults, developer ?? {});
    if (quota) checkFitsQuota(reportOnce, at, developer ?? {}, options, quota);
    pending.push({ developer, index, options, namespace: perDeveloper ? (nameOk && namespaceOk ? ObjectNames.developerNamespace(props.namespace, name) : '') : props.namespace });
  });
  if (problems.count > 0) return { problems: problems.list };

  // ---- every developer's environment, resolved without a construct ----
  // No public entry point by default: a load balancer admitting only sshSourceCidrs when they are set, else the
  // cluster only (kubectl port-forward); an explicit exposure is the fleet's or the developer's own choice.
  const defaultExposure = props.sshSourceCidrs !== undefined && props.sshSourceCidrs.length > 0
    ? ServiceExposure.loadBalancer({ sourceRanges: [...props.sshSourceCidrs] })
    : ServiceExposure.clusterIp();
  const placements: FleetPlacement[] = [];
  for (const p of pending) {
    const resolution = resolveEnvironment({
      ...p.options,
      authorizedKeys: p.developer.authorizedKeys,
      name: p.developer.name,
      namespace: p.namespace,
      platform,
    }, { defaultSourceRanges: props.sshSourceCidrs, defaultExposure, fleetNetworkPolicy: true });
    if (resolution.problems) {
      for (const problem of resolution.problems) reportOnce(locate(problem, p.developer, p.index, defaults));
    } else {
      placements.push({ developer: p.developer, index: p.index, namespace: p.namespace, environment: resolution.environment });
    }
  }
  if (problems.count > 0) return { problems: problems.list };

  // ---- namespaces: how many environments each holds, and the Pod Security level they need ----
  const levels = new Map<string, PodSecurityLevel[]>();
  if (!perDeveloper) levels.set(props.namespace, []);
  for (const p of placements) {
    const list = levels.get(p.namespace) ?? [];
    list.push(p.environment.podSecurityLevel);
    levels.set(p.namespace, list);
  }
  return {
    fleet: Object.freeze({
      namespaceMode,
      platform,
      fleetNamespace: props.namespace,
      namespaces: [...levels].map(([name, list]) => ({ name, environments: list.length, podSecurityLevel: widestPodSecurityLevel(list) })),
      placements,
      quota: quota!,
      container: container!,
      sshSourceCidrs: props.sshSourceCidrs,
      egressCidrs: props.egressCidrs,
    }),
  };
}

/**
 * Moves an environment's problem to the fleet prop it came from: `defaults.<path>` when the developer did not set
 * the prop and the fleet's defaults did, else `developers[i].<path>`, naming the developer.
 */
function locate(problem: Problem, developer: Developer, index: number, defaults: EnvironmentOptions): Problem {
  const top = /^[A-Za-z]+/.exec(problem.path)?.[0] ?? '';
  const fleetSet = top === 'authorizedKeys' || top === 'name' || top === 'namespace' || top === 'platform';
  if (!fleetSet && (developer as any)?.[top] === undefined && (defaults as any)?.[top] !== undefined) {
    return { ...problem, path: `defaults.${problem.path}` };
  }
  return { path: `developers[${index}].${problem.path}`, received: problem.received, expected: `${problem.expected} (developer "${developer?.name}")` };
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

function resolveQuota(problems: Problems, props: GoRemoteFleetProps): { quota?: ResolvedFleet['quota']; container?: ResolvedFleet['container'] } {
  const q: { [key: string]: any } = props.quota ?? {};
  const c: { [key: string]: any } = props.containerDefaults ?? {};
  const before = problems.count;
  const cpuRequests = resolveCpu(problems, 'quota.cpuRequests', q.cpuRequests, DEFAULT_QUOTA.cpuRequests);
  const cpuLimits = resolveCpu(problems, 'quota.cpuLimits', q.cpuLimits, DEFAULT_QUOTA.cpuLimits);
  const memoryRequests = resolveSize(problems, 'quota.memoryRequests', q.memoryRequests, DEFAULT_QUOTA.memoryRequests);
  const memoryLimits = resolveSize(problems, 'quota.memoryLimits', q.memoryLimits, DEFAULT_QUOTA.memoryLimits);
  const storage = resolveSize(problems, 'quota.storage', q.storage, DEFAULT_QUOTA.storage);
  const counts: { [key: string]: number } = {};
  for (const key of ['persistentVolumeClaims', 'pods'] as const) {
    const value = q[key] ?? DEFAULT_QUOTA[key];
    if (!Number.isInteger(value) || value < 1) problems.add(`quota.${key}`, value, 'expected a whole number of at least 1');
    counts[key] = value;
  }
  const quotaOk = problems.count === before;
  const containerBefore = problems.count;
  const container = {
    cpuRequest: resolveCpu(problems, 'containerDefaults.cpuRequest', c.cpuRequest, DEFAULT_CONTAINER_RESOURCES.cpuRequest),
    cpuLimit: resolveCpu(problems, 'containerDefaults.cpuLimit', c.cpuLimit, DEFAULT_CONTAINER_RESOURCES.cpuLimit),
    memoryRequest: resolveSize(problems, 'containerDefaults.memoryRequest', c.memoryRequest, DEFAULT_CONTAINER_RESOURCES.memoryRequest),
    memoryLimit: resolveSize(problems, 'containerDefaults.memoryLimit', c.memoryLimit, DEFAULT_CONTAINER_RESOURCES.memoryLimit),
  };
  const containerOk = problems.count === containerBefore;
  if (containerOk) {
    for (const [request, limit] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
      if (exceeds(container[request]!, container[limit]!)) {
        problems.add(`containerDefaults.${request}`, container[request], `is more than containerDefaults.${limit} "${container[limit]}"; a LimitRange's default request must not exceed its default limit`);
      }
    }
  }
  return {
    quota: quotaOk ? {
      cpuRequests: cpuRequests!,
      cpuLimits: cpuLimits!,
      memoryRequests: memoryRequests!,
      memoryLimits: memoryLimits!,
      storage: storage!,
      persistentVolumeClaims: counts.persistentVolumeClaims,
      pods: counts.pods,
    } : undefined,
    container: containerOk ? container as ResolvedFleet['container'] : undefined,
  };
}

/**
 * Checks that one environment's resources and workspace fit in the quota per environment. A value the
 * developer set is reported on `developers[i]`, one from the fleet's defaults on `defaults`, and one left to
 * the environment's own default on the quota prop that is too small. Values that are not a Cpu or Size are left
 * to the environment's own resolve step, which reports them.
 */
function checkFitsQuota(
  report: (problem: Problem) => void, at: string, developer: EnvironmentOptions, options: EnvironmentOptions, quota: ResolvedFleet['quota'],
): void {
  const owner = (prop: keyof EnvironmentOptions) => developer[prop] !== undefined ? at : 'defaults';
  const amount = (value: unknown): string | undefined => value instanceof Cpu ? value.amount : value instanceof Size ? value.asString() : undefined;
  const check = (prop: string, value: unknown, fallback: Cpu | Size, quotaProp: string, quotaValue: string) => {
    if (value !== undefined && amount(value) === undefined) return;
    const v = amount(value ?? fallback)!;
    if (!exceeds(v, quotaValue)) return;
    if (value === undefined) {
      report({ path: quotaProp, received: quotaValue, expected: `is less than one environment's default ${prop} "${v}"; raise ${quotaProp} or set ${prop} lower` });
    } else {
      report({ path: prop, received: v, expected: `exceeds the fleet's quota per environment, ${quotaProp} "${quotaValue}"; raise ${quotaProp} or lower the value` });
    }
  };
  const pairs = [
    ['cpuRequest', 'cpuRequests'], ['cpuLimit', 'cpuLimits'], ['memoryRequest', 'memoryRequests'], ['memoryLimit', 'memoryLimits'],
  ] as const;
  const resources: { [key: string]: unknown } = (options.resources ?? {}) as any;
  for (const [resource, quotaKey] of pairs) {
    const value = resources[resource];
    const prop = value === undefined ? `resources.${resource}` : `${owner('resources')}.resources.${resource}`;
    check(prop, value, DEFAULT_RESOURCES[resource], `quota.${quotaKey}`, quota[quotaKey]);
  }
  const size = (options.workspace as any)?.size;
  check(size === undefined ? 'workspace.size' : `${owner('workspace')}.workspace.size`, size, DEFAULT_WORKSPACE_SIZE, 'quota.storage', quota.storage);
}

import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import { ImagePullPolicy, ServiceType, k8s } from 'cdk8s-plus-27';
import { ApiAccess, ApiAccessKind, ApiAccessState, KubeconfigSecret, PolicyRule } from './api-access';
import { checkHostCertificateAuthority, renderAuthorizedKeys } from './authorized-keys';
import {
  ConfigFiles, DEFAULT_IMAGE, DEFAULT_RESOURCES, IdleStop, NAME_MAX_LENGTH, NAME_SEPARATOR, NAME_SEPARATOR_REASON, NODE_VOLUME, ObjectNames, Paths,
  RESERVED_ENV, RESERVED_MOUNT_ROOTS, RESERVED_VOLUMES, Users, environmentLabels, environmentSelector, sccClusterRole,
} from './contract';
import { Problem, Problems } from './errors';
import { ServiceExposure, checkPublishedPorts } from './exposure';
import { ResolvedGitRepository, resolveGitRepository } from './git-repository';
import { IDLE_STOP_PROGRAM, idleStopRule } from './idle-stop';
import { LintAnnotations, lintAnnotations } from './lint-exemptions';
import { ResolvedNetworkPolicy, resolveNetworkPolicy, validateImpersonation, validateNetworkPolicy } from './network-policy';
import { NodeAccess, NodeAccessSettings, resolveNodeAccess } from './node-access';
import { Platform } from './platform';
import { PodSecurityLevel, podSecurityLevelOf } from './pod-security';
import { Program, validatePrograms } from './program';
import { EnvironmentVolume, GoRemoteEnvironmentProps } from './props';
import { resolveCpu, resolveSize } from './quantity';
import { DefaultScc, defaultSccFor } from './scc';
import { checkAffinity, checkTolerations } from './scheduling';
import { renderSshdConfig } from './sshd-config';
import { renderSupervisordConfig } from './supervisord-config';
import {
  checkAbsolutePath, checkDns1035Label, checkDnsLabel, checkDnsSubdomain, checkEnvName, checkLabels, checkList, checkSafeText,
  checkStringMap, isAtOrUnder, isEnumValue, normalizePath,
} from './validation';
import { ResolvedWebhook, resolveWebhook } from './webhook';
import { ResolvedWorkspace, resolveWorkspace } from './workspace';

/**
 * What the resolve step needs from where the environment is declared, beyond its props.
 * @internal
 */
export interface ResolveContext {
  /** The name when `props.name` is unset (a construct derives it from its path). */
  readonly defaultName?: string;
  /** The namespace when `props.namespace` is unset (the chart's). */
  readonly defaultNamespace?: string;
  /** A load balancer's source ranges when its exposure names none (a fleet's `sshSourceCidrs`). */
  readonly defaultSourceRanges?: readonly string[];
  /** The exposure when `props.exposure` is unset (a fleet's). */
  readonly defaultExposure?: ServiceExposure;
  /** Whether a fleet's default-deny NetworkPolicy selects the pod. */
  readonly fleetNetworkPolicy?: boolean;
}

/** A name and value, as a container's `env` lists them. @internal */
export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/**
 * An environment, fully resolved: every default applied, every derived name computed, every value checked. The
 * emitters (pod template, RBAC, SCC, Services ...) read only this; nothing in it is read from the props again.
 * @internal
 */
export interface ResolvedEnvironment {
  readonly name: string;
  readonly namespace?: string;
  readonly platform: Platform;
  readonly labels: { readonly [key: string]: string };
  readonly selector: { readonly [key: string]: string };
  /** The pod's labels: the environment's, with an impersonated workload's on top (never the selector's). */
  readonly podLabels: { readonly [key: string]: string };

  readonly nodeAccess: NodeAccess;
  readonly access: NodeAccessSettings;
  readonly sshUser: string;
  readonly podSecurityLevel: PodSecurityLevel;
  /** On OpenShift: the SCC the pod names in `openshift.io/required-scc`. */
  readonly requiredScc?: string;
  /** On OpenShift, when no default SCC admits the pod: the environment's own, `go-remote.<ns>.<name>`. */
  readonly ownScc?: string;
  /** On OpenShift, when a default SCC that not everyone may use admits the pod: the RoleBinding granting it. */
  readonly sccRoleBinding?: { readonly name: string; readonly clusterRole: string };

  readonly image: string;
  readonly imagePullPolicy: string;
  readonly resources: { readonly requests: { cpu: string; memory: string }; readonly limits: { cpu: string; memory: string } };
  readonly git?: ResolvedGitRepository;
  /** The programs declared (idle stop's is in the supervisord configuration only). */
  readonly programs: readonly Program[];
  readonly workspace: ResolvedWorkspace;
  readonly configMap: { readonly name: string; readonly data: { readonly [file: string]: string }; readonly hash: string };
  /** The user's variables, in declaration order (they come after the environment's own). */
  readonly userEnv: readonly EnvVar[];
  /** Extra volumes: the volume as JSON, and its mount. */
  readonly volumes: readonly { readonly volume: any; readonly mount: any }[];
  readonly scheduling: { readonly nodeSelector?: any; readonly nodeName?: string; readonly tolerations?: any[]; readonly affinity?: any };
  readonly hostKeysSecret?: string;
  readonly hostCertificateAuthority?: string;

  readonly apiAccess: ApiAccess;
  readonly serviceAccountName: string;
  /** The ServiceAccount the pod runs as: its own, or an impersonated workload's. */
  readonly podServiceAccountName: string;
  readonly tokenMounted: boolean;
  readonly kubeconfig?: KubeconfigSecret;
  readonly idleStop?: Duration;
  /** The Role's rules: the SCC's `use`, idle stop's, then the grants; undefined when there are none. */
  readonly roleRules?: readonly PolicyRule[];
  /** The ClusterRole `go-remote.<ns>.<name>`, after a cluster-wide grant. */
  readonly clusterRole?: { readonly name: string; readonly rules: readonly PolicyRule[] };

  readonly exposure: ServiceExposure;
  readonly serviceType: ServiceType;
  readonly sourceRanges?: readonly string[];
  readonly servicePorts: readonly { readonly name: string; readonly port: number }[];
  readonly externalTrafficPolicyLocal: boolean;
  readonly webhook?: ResolvedWebhook;
  readonly networkPolicy?: ResolvedNetworkPolicy;
  readonly lint: LintAnnotations;
}

/** The outcome of the resolve step: the description, or every problem found. @internal */
export type Resolution =
  | { readonly environment: ResolvedEnvironment; readonly problems?: undefined }
  | { readonly environment?: undefined; readonly problems: readonly Problem[] };

/**
 * Every prop of GoRemoteEnvironmentProps. Typed so that the build fails when a prop is added and not listed;
 * a JavaScript caller's other keys are refused (a typo would otherwise be silently ignored).
 */
const PROPS: Record<keyof GoRemoteEnvironmentProps, true> = {
  authorizedKeys: true,
  name: true,
  namespace: true,
  platform: true,
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
  hostKeysSecret: true,
  hostCertificateAuthority: true,
  apiAccess: true,
  webhook: true,
  networkPolicy: true,
  impersonation: true,
};

/**
 * The values of the defaults that no caller can change, made once (a fleet resolves thousands of environments).
 * A NodeAccess is not among them: its settings are a struct any caller may write to.
 */
const Defaults = {
  exposure: ServiceExposure.loadBalancer(),
  apiAccess: ApiAccess.none(),
  sshdConfig: renderSshdConfig({ user: Users.DEFAULT, root: false }),
  sshdConfigRoot: renderSshdConfig({ user: Users.ROOT, root: true }),
} as const;

/** Props of 0.x and what replaced them in 1.0 (README's upgrade notes). */
const REPLACED_PROPS: { [prop: string]: string } = {
  serviceType: 'exposure: ServiceExposure.loadBalancer(), .nodePort() or .clusterIp()',
  sourceRanges: 'exposure: ServiceExposure.loadBalancer({ sourceRanges })',
  serviceAccountToken: 'apiAccess: ApiAccess.serviceAccountToken() (or ApiAccess.none(), the default)',
  kubeconfig: 'apiAccess: ApiAccess.kubeconfig({ secretName, key? })',
  idleStop: 'apiAccess: ApiAccess.serviceAccountToken({ idleStop })',
};

/**
 * Refuses the keys of `props` (from a caller without a type checker) that are not among `known`: a 0.x prop with
 * what replaced it, any other as unknown (a misspelt prop would otherwise be ignored).
 * @internal
 */
export function checkKnownProps(problems: Problems, prefix: string, props: object, known: readonly string[], of: string): void {
  for (const key of Object.keys(props)) {
    const value = (props as any)[key];
    if (value === undefined || value === null || known.includes(key)) continue;
    problems.add(`${prefix}${key}`, value, REPLACED_PROPS[key] !== undefined
      ? `is not a prop since 1.0; use ${REPLACED_PROPS[key]}`
      : `is not a prop of ${of}; expected one of ${known.join(', ')}`);
  }
}

/**
 * Turns props into a resolved, immutable environment, or into every problem they have, each by its path. Pure:
 * it builds no construct and reads nothing but its arguments.
 * @internal
 */
export function resolveEnvironment(props: GoRemoteEnvironmentProps, context: ResolveContext = {}): Resolution {
  const problems = new Problems();
  if (props === null || typeof props !== 'object') {
    problems.add('props', props, 'expected GoRemoteEnvironmentProps ({ authorizedKeys, ... })');
    return { problems: problems.list };
  }

  // ---- identity ----
  // Untyped callers: a name that is not a string is reported, and derived names are made from '' meanwhile.
  const givenName: unknown = props.name !== undefined ? props.name : context.defaultName ?? '';
  const name = typeof givenName === 'string' ? givenName : '';
  if (props.name !== undefined || !/^[a-z]/.test(name)) {
    if (checkDns1035Label(problems, 'name', givenName, NAME_MAX_LENGTH) && name.includes(NAME_SEPARATOR)) {
      problems.add('name', name, `expected a name ${NAME_SEPARATOR_REASON}`);
    }
  }
  const namespace = props.namespace ?? (context.defaultNamespace || undefined);
  if (props.namespace !== undefined) checkDnsLabel(problems, 'namespace', props.namespace);
  const platform = props.platform ?? Platform.KUBERNETES;
  if (!isEnumValue(Platform, platform)) problems.add('platform', platform, 'expected Platform.KUBERNETES or Platform.OPENSHIFT');
  const openShift = platform === Platform.OPENSHIFT;

  const authorizedKeys = renderAuthorizedKeys(problems, 'authorizedKeys', props.authorizedKeys);
  const programs = validatePrograms(problems, props.programs);
  const nodeAccess = props.nodeAccess ?? NodeAccess.none();
  const access = resolveNodeAccess(problems, 'nodeAccess', nodeAccess) ?? NodeAccess.none().settings;
  const git = props.git === undefined ? undefined : resolveGitRepository(problems, 'git', props.git);
  const workspace = resolveWorkspace(problems, 'workspace', ObjectNames.workspace(name), props.workspace);

  // ---- the container ----
  const image = props.image ?? DEFAULT_IMAGE;
  if (props.image !== undefined && (typeof image !== 'string' || image === '' || /[\s\u0000-\u001f]/.test(image))) {
    problems.add('image', props.image, 'expected an image reference such as \'registry.example.com/team/go-remote:1.0\'');
  }
  const imagePullPolicy = props.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;
  if (!isEnumValue(ImagePullPolicy, imagePullPolicy)) problems.add('imagePullPolicy', imagePullPolicy, 'expected an ImagePullPolicy');
  const r = resourcesOf(problems, props.resources);
  const exposure = props.exposure ?? context.defaultExposure ?? Defaults.exposure;
  if (!(exposure instanceof ServiceExposure)) {
    problems.add('exposure', exposure, 'expected a ServiceExposure (ServiceExposure.loadBalancer(), .nodePort() or .clusterIp())');
  }
  const userEnv: EnvVar[] = [];
  for (const [key, value] of checkStringMap(problems, 'env', props.env, 'a map of environment variables')) {
    if (checkEnvName(problems, 'env', key) && RESERVED_ENV.test(key)) {
      problems.add('env', key, 'is set by the environment itself (GOPATH, GOCACHE, GOMODCACHE, HOME and GO_REMOTE_*); choose another name');
    }
    // Any text, on several lines too: the container gets it from Kubernetes and SSH sessions from a file of quoted
    // assignments. Only NUL cannot be carried (execve ends a variable there).
    if (typeof value !== 'string') problems.add(`env.${key}`, value, 'expected a string');
    else if (value.includes('\u0000')) problems.add(`env.${key}`, value, 'expected no NUL character: an environment variable ends there');
    userEnv.push({ name: key, value: value as string });
  }
  const volumes = volumesOf(problems, access, props.volumes);
  if (props.nodeSelector !== undefined) checkLabels(problems, 'nodeSelector', props.nodeSelector, false);
  if (props.nodeName !== undefined) checkDnsSubdomain(problems, 'nodeName', props.nodeName);
  const tolerations = checkTolerations(problems, 'tolerations', props.tolerations);
  if (props.affinity !== undefined) checkAffinity(problems, 'affinity', props.affinity);
  if (props.hostKeysSecret !== undefined) checkDnsSubdomain(problems, 'hostKeysSecret', props.hostKeysSecret);
  const hostCertificateAuthority = props.hostCertificateAuthority === undefined
    ? undefined : checkHostCertificateAuthority(problems, 'hostCertificateAuthority', props.hostCertificateAuthority);

  // ---- API access ----
  const apiAccess = props.apiAccess ?? Defaults.apiAccess;
  const state: ApiAccessState | undefined = apiAccess instanceof ApiAccess && isEnumValue(ApiAccessKind, apiAccess._state?.kind)
    ? apiAccess._state : undefined;
  if (state === undefined) {
    problems.add('apiAccess', apiAccess, 'expected an ApiAccess (ApiAccess.none(), .serviceAccountToken(), .kubeconfig(secret) or .impersonatedServiceAccount(name))');
  }
  if (state?.kubeconfig !== undefined && props.env?.KUBECONFIG !== undefined) {
    problems.add('env.KUBECONFIG', props.env.KUBECONFIG, 'is set by \'kubeconfig\'; remove one of them');
  }
  if (state?.idleStop !== undefined) {
    programs.forEach((p, i) => {
      if (p?.name === IdleStop.PROGRAM) problems.add(`programs[${i}].name`, p.name, 'is the program \'idleStop\' adds; choose another name');
    });
  }

  // ---- OpenShift ----
  const defaultScc: DefaultScc | undefined = openShift ? defaultSccFor(access) : undefined;
  const ownScc = openShift && defaultScc === undefined;
  if (ownScc && namespace === undefined) {
    problems.add('namespace', namespace, 'expected a namespace: node access on OpenShift gets its own cluster-scoped SCC, named after the namespace');
  }

  // ---- webhook, network policy, impersonation ----
  const webhook = props.webhook === undefined ? undefined
    : resolveWebhook(problems, 'webhook', props.webhook, { name, namespace, platform, programs, idleStop: state?.idleStop !== undefined });
  if (props.networkPolicy !== undefined) {
    validateNetworkPolicy(problems, 'networkPolicy', props.networkPolicy, programs, props.webhook?.program);
  }
  if (access.hostNetwork && (props.networkPolicy !== undefined || context.fleetNetworkPolicy)) {
    problems.add('nodeAccess', access.name, context.fleetNetworkPolicy
      ? 'uses the node\'s network, which a NetworkPolicy never applies to: the fleet\'s network policies would protect nothing; run this environment outside the fleet, with its own exposure'
      : 'uses the node\'s network, which a NetworkPolicy never applies to: networkPolicy would protect nothing; remove one of them');
  }
  if (exposure instanceof ServiceExposure) {
    const policyPrograms = Array.isArray(props.networkPolicy?.programs) ? props.networkPolicy!.programs : [];
    checkPublishedPorts(problems, programs, {
      serviceType: exposure.serviceType,
      sourceRanges: exposure.sourceRanges ?? context.defaultSourceRanges,
      policyAdmits: new Set(policyPrograms.filter(i => Array.isArray(i?.from) && i.from.length > 0).map(i => i.program)),
      policy: context.fleetNetworkPolicy ? 'fleet' : props.networkPolicy !== undefined ? 'networkPolicy' : undefined,
    });
  }
  if (props.impersonation !== undefined) validateImpersonation(problems, 'impersonation', props.impersonation);
  if (state?.kind === ApiAccessKind.IMPERSONATED_SERVICE_ACCOUNT) {
    // Both the own SCC and a default SCC that is not everyone's are granted to the environment's ServiceAccount
    // only: a pod running as the workload's would not be admitted.
    if (ownScc || (defaultScc !== undefined && !defaultScc.grantedToAllAuthenticated)) {
      problems.add('apiAccess.serviceAccountName', state.serviceAccountName, 'cannot be combined with node access on OpenShift that needs an SCC granted to the environment\'s ServiceAccount (its own, or a default one such as hostnetwork-v2): the pod would run as the workload\'s ServiceAccount, which has no such grant, and granting it would give the real workload node access');
    }
  }
  if ((state?.clusterRoleRules.length ?? 0) > 0 && namespace === undefined) {
    problems.add('namespace', namespace, 'expected a namespace: a cluster-wide grant creates a ClusterRole named after the namespace');
  }
  checkKnownProps(problems, '', props, Object.keys(PROPS), 'GoRemoteEnvironment');
  if (problems.count > 0 || workspace === undefined || r === undefined || state === undefined) {
    return { problems: problems.list };
  }

  // ---- derived: names, files, rules, ports ----
  const sshUser = access.runAsRoot ? Users.ROOT : Users.DEFAULT;
  const labels = environmentLabels(name);
  const selector = environmentSelector(name);
  const ownSccName = ownScc ? ObjectNames.clusterScoped(namespace!, name) : undefined;
  const configData: { [file: string]: string } = {
    [ConfigFiles.AUTHORIZED_KEYS]: authorizedKeys,
    [ConfigFiles.SSHD_CONFIG]: access.runAsRoot ? Defaults.sshdConfigRoot : Defaults.sshdConfig,
    [ConfigFiles.SUPERVISORD_CONF]: renderSupervisordConfig(
      state.idleStop ? [...programs, IDLE_STOP_PROGRAM] : programs, git?.checkout ?? Paths.WORKSPACE),
  };
  if (git?.knownHosts) configData[ConfigFiles.KNOWN_HOSTS] = git.knownHosts;

  const roleRules: PolicyRule[] = [];
  if (ownSccName) {
    roleRules.push({ apiGroups: ['security.openshift.io'], resources: ['securitycontextconstraints'], resourceNames: [ownSccName], verbs: ['use'] });
  }
  if (state.idleStop !== undefined) roleRules.push(idleStopRule(name));
  roleRules.push(...state.roleRules);

  const serviceType = exposure.serviceType;
  const sourceRanges = exposure.serviceType === ServiceType.LOAD_BALANCER
    ? exposure.sourceRanges ?? (context.defaultSourceRanges ? [...context.defaultSourceRanges] : undefined)
    : undefined;
  // Published on purpose only: a program port is otherwise reached through the SSH tunnel.
  const servicePorts = programs.filter(p => p.port !== undefined && p.expose === true).map(p => ({ name: p.name, port: p.port! }));
  const tokenMounted = state.mountToken;

  return {
    environment: Object.freeze({
      name,
      namespace,
      platform,
      labels,
      selector,
      // Impersonated labels may replace the component and managed-by labels, never the selector's
      // (validateImpersonation refuses those keys).
      podLabels: props.impersonation ? { ...labels, ...props.impersonation.podLabels } : labels,
      nodeAccess,
      access,
      sshUser,
      podSecurityLevel: podSecurityLevelOf(access, volumes.flatMap(v => Object.keys(v.volume).filter(k => k !== 'name'))),
      requiredScc: ownSccName ?? defaultScc?.name,
      ownScc: ownSccName,
      sccRoleBinding: defaultScc !== undefined && !defaultScc.grantedToAllAuthenticated
        ? { name: ObjectNames.sccRoleBinding(name, defaultScc.name), clusterRole: sccClusterRole(defaultScc.name) }
        : undefined,
      image,
      imagePullPolicy,
      resources: r,
      git,
      programs,
      workspace,
      configMap: { name: ObjectNames.config(name), data: configData, hash: configHash(configData) },
      userEnv,
      volumes,
      scheduling: {
        nodeSelector: props.nodeSelector === undefined ? undefined : { ...props.nodeSelector }, // a plain object, whatever its prototype
        nodeName: props.nodeName,
        tolerations: props.tolerations === undefined ? undefined : tolerations.map(t => k8s.toJson_Toleration(t as k8s.Toleration)),
        affinity: k8s.toJson_Affinity(props.affinity),
      },
      hostKeysSecret: props.hostKeysSecret,
      hostCertificateAuthority,
      apiAccess,
      serviceAccountName: name,
      podServiceAccountName: state.serviceAccountName ?? name,
      tokenMounted,
      kubeconfig: state.kubeconfig,
      idleStop: state.idleStop,
      roleRules: roleRules.length > 0 ? roleRules : undefined,
      clusterRole: state.clusterRoleRules.length > 0
        ? { name: ObjectNames.clusterScoped(namespace!, name), rules: state.clusterRoleRules }
        : undefined,
      exposure,
      serviceType,
      sourceRanges,
      servicePorts,
      // The environment's NetworkPolicy admits SSH by client address, which only a Local policy keeps.
      externalTrafficPolicyLocal: props.networkPolicy !== undefined && serviceType !== ServiceType.CLUSTER_IP,
      webhook,
      networkPolicy: props.networkPolicy === undefined ? undefined : resolveNetworkPolicy(props.networkPolicy, programs, sourceRanges),
      lint: lintAnnotations({ nodeAccess: access, platform, image, imagePullPolicy, serviceAccountTokenMounted: tokenMounted }, serviceType),
    }),
  };
}

function resourcesOf(problems: Problems, value: unknown): ResolvedEnvironment['resources'] | undefined {
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    problems.add('resources', value, 'expected EnvironmentResources ({ cpuRequest?, cpuLimit?, memoryRequest?, memoryLimit? })');
    return undefined;
  }
  const r = (value ?? {}) as { [key: string]: unknown };
  const cpuRequest = resolveCpu(problems, 'resources.cpuRequest', r.cpuRequest, DEFAULT_RESOURCES.cpuRequest);
  const cpuLimit = resolveCpu(problems, 'resources.cpuLimit', r.cpuLimit, DEFAULT_RESOURCES.cpuLimit);
  const memoryRequest = resolveSize(problems, 'resources.memoryRequest', r.memoryRequest, DEFAULT_RESOURCES.memoryRequest);
  const memoryLimit = resolveSize(problems, 'resources.memoryLimit', r.memoryLimit, DEFAULT_RESOURCES.memoryLimit);
  if (!cpuRequest || !cpuLimit || !memoryRequest || !memoryLimit) return undefined;
  return { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { cpu: cpuLimit, memory: memoryLimit } };
}

/**
 * Checks the extra volumes against the environment's own volumes and mounts and the node paths (the API server
 * refuses a path mounted twice, and a mount over /workspace would hide the workspace), comparing paths normalized.
 */
function volumesOf(problems: Problems, access: NodeAccessSettings, value: unknown): { volume: any; mount: any }[] {
  const reservedMount = (path: string) => normalizePath(path) === '/' || RESERVED_MOUNT_ROOTS.some(root => isAtOrUnder(path, root));
  const reservedMountExpected = `expected a path outside ${RESERVED_MOUNT_ROOTS.join(', ')}, which the environment mounts itself`;
  const mountPaths = new Set<string>();
  access.hostPaths.forEach((h, i) => {
    if (typeof h?.mountPath !== 'string') return; // reported by resolveNodeAccess
    if (reservedMount(h.mountPath)) problems.add(`nodeAccess.hostPaths[${i}].mountPath`, h.mountPath, reservedMountExpected);
    mountPaths.add(normalizePath(h.mountPath));
  });
  const volumeNames = new Set<string>();
  const out: { volume: any; mount: any }[] = [];
  checkList<EnvironmentVolume>(problems, 'volumes', value, 'a list of EnvironmentVolume').forEach((v, i) => {
    const at = `volumes[${i}]`;
    if (v === null || typeof v !== 'object' || v.volume === null || typeof v.volume !== 'object') {
      problems.add(`${at}.volume`, v?.volume, 'expected a volume, as in a pod spec ({ name, secret: {...} } ...)');
      return;
    }
    const volumeName = v.volume.name;
    if (checkDnsLabel(problems, `${at}.volume.name`, volumeName)) {
      if (RESERVED_VOLUMES.has(volumeName) || NODE_VOLUME.test(volumeName)) {
        problems.add(`${at}.volume.name`, volumeName, 'is used by the environment itself; choose another name');
      } else if (volumeNames.has(volumeName)) {
        problems.add(`${at}.volume.name`, volumeName, 'expected a unique volume name');
      }
    }
    volumeNames.add(volumeName);
    if (v.volume.hostPath !== undefined) {
      problems.add(`${at}.volume.hostPath`, v.volume.hostPath?.path, 'is refused: declare node paths with nodeAccess (NodeAccess.withHostPath) so that they are scoped and admitted');
    }
    if (checkAbsolutePath(problems, `${at}.mountPath`, v.mountPath)) {
      if (reservedMount(v.mountPath)) {
        problems.add(`${at}.mountPath`, v.mountPath, reservedMountExpected);
      } else if (mountPaths.has(normalizePath(v.mountPath))) {
        problems.add(`${at}.mountPath`, v.mountPath, 'expected a mount path of its own: a node path or another volume is mounted there');
      }
      mountPaths.add(normalizePath(v.mountPath));
    }
    if (v.subPath !== undefined && checkSafeText(problems, `${at}.subPath`, v.subPath)
      && (v.subPath.startsWith('/') || v.subPath.split('/').includes('..'))) {
      problems.add(`${at}.subPath`, v.subPath, 'expected a relative path inside the volume, without \'..\' segments');
    }
    out.push({
      volume: k8s.toJson_Volume(v.volume),
      mount: { name: volumeName, mountPath: v.mountPath, readOnly: v.readOnly, subPath: v.subPath },
    });
  });
  return out;
}

/** A change of keys or configuration changes this hash on the pod template, which restarts the pod. */
function configHash(data: { [file: string]: string }): string {
  // One update of the whole text (the same bytes as one update per file): a fleet hashes thousands of these.
  const text = Object.keys(data).sort().map(key => `${key}\0${data[key]}\0`).join('');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

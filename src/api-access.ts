import { Duration } from 'cdk8s';
import { IApiResource } from 'cdk8s-plus-27';
import { IdleStop } from './contract';
import { Problems } from './errors';
import { checkDnsSubdomain, checkSafeText, isEnumValue } from './validation';

/**
 * A verb of the Kubernetes API that a grant allows.
 *
 * There is deliberately no `*` and none of the verbs that hand out more power than they name (`bind`,
 * `escalate`, `impersonate`): the ServiceAccount token is readable by anyone who can log in to the
 * environment. For more, mount your own credentials with `ApiAccess.kubeconfig`.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
 */
export enum ApiVerb {
  /** Read one object. */
  GET = 'get',
  /** List objects. */
  LIST = 'list',
  /** Watch objects. */
  WATCH = 'watch',
  /** Create objects. A grant with `resourceNames` cannot allow it (the name is not known before). */
  CREATE = 'create',
  /** Replace objects. */
  UPDATE = 'update',
  /** Patch objects (includes server-side apply of existing objects). */
  PATCH = 'patch',
  /** Delete one object. */
  DELETE = 'delete',
  /** Delete a collection. A grant with `resourceNames` cannot allow it. */
  DELETE_COLLECTION = 'deletecollection',
}

/** Every verb, in the order rules list them. */
const VERB_ORDER: string[] = Object.values(ApiVerb);
/** The verbs `grantRead` allows. */
const READ_VERBS: ApiVerb[] = [ApiVerb.GET, ApiVerb.LIST, ApiVerb.WATCH];
/** The verbs `grantReadWrite` allows: reads and writes of single objects, not `deletecollection`. */
const READ_WRITE_VERBS: ApiVerb[] = [...READ_VERBS, ApiVerb.CREATE, ApiVerb.UPDATE, ApiVerb.PATCH, ApiVerb.DELETE];

/**
 * Where a grant applies.
 */
export enum GrantScope {
  /** In the environment's namespace only (a Role rule). */
  NAMESPACE = 'Namespace',
  /**
   * In every namespace, and on cluster-scoped resources (a ClusterRole rule, bound by a ClusterRoleBinding
   * `go-remote.<namespace>.<name>`).
   */
  CLUSTER = 'Cluster',
}

/**
 * Extra permissions for the environment's ServiceAccount (`ServiceAccountTokenAccess.grant`).
 */
export interface ApiGrant {
  /**
   * The resources; at least one. cdk8s-plus's `ApiResource` constants (`ApiResource.PODS`,
   * `ApiResource.DEPLOYMENTS` ...) or `ApiResource.custom({ apiGroup, resourceType })` for a custom resource or a
   * subresource (`pods/log`).
   */
  readonly resources: IApiResource[];
  /** The verbs; at least one. */
  readonly verbs: ApiVerb[];
  /**
   * Only these objects, by name. Cannot be combined with `ApiVerb.CREATE` or `ApiVerb.DELETE_COLLECTION`,
   * which a rule with names never allows.
   *
   * @default - every object of the resources in the scope
   */
  readonly resourceNames?: string[];
  /**
   * Where the grant applies.
   *
   * @default GrantScope.NAMESPACE
   */
  readonly scope?: GrantScope;
}

/**
 * A Secret holding a kubeconfig for the environment (the original go-remote's way to reach the API: your
 * own credentials, or a dedicated user's).
 */
export interface KubeconfigSecret {
  /** The Secret's name, in the environment's namespace. It must exist before the pod starts. */
  readonly secretName: string;
  /**
   * The key of the Secret holding the kubeconfig.
   *
   * @default 'config'
   */
  readonly key?: string;
}

/**
 * Options of `ApiAccess.serviceAccountToken`.
 */
export interface ServiceAccountTokenOptions {
  /**
   * Stop the environment after this long without an SSH session: a supervisord program scales the
   * environment's own Deployment to 0 replicas with the ServiceAccount token, through a Role rule limited to
   * `deployments/scale` of that one Deployment. Scale it back up with `kubectl scale deployment/<name>
   * --replicas=1`. Under GitOps, make the controller ignore `/spec/replicas` (`GitOps.ignoreReplicaDifferences()`),
   * or it scales the environment back up. Whole seconds, from 1 minute to 30 days; sessions are looked for
   * every 30 seconds. See docs/guides/api-access.md.
   *
   * @default - never stopped
   */
  readonly idleStop?: Duration;
  /**
   * A kubeconfig Secret mounted besides the token, with `KUBECONFIG` pointing at it (as `ApiAccess.kubeconfig`):
   * `kubectl` then uses the kubeconfig, in-cluster clients and idle stop the token.
   *
   * @default - no kubeconfig
   */
  readonly kubeconfig?: KubeconfigSecret;
}

/**
 * Options of `ApiAccess.impersonatedServiceAccount`.
 */
export interface ImpersonatedServiceAccountOptions {
  /**
   * Whether the workload's ServiceAccount token is mounted (and so readable in every SSH session).
   *
   * @default false
   */
  readonly mountToken?: boolean;
}

/**
 * Which of the ways to the API an `ApiAccess` is.
 */
export enum ApiAccessKind {
  /** No credentials at all. */
  NONE = 'none',
  /** The environment's own ServiceAccount token, with exactly the rules granted. */
  SERVICE_ACCOUNT_TOKEN = 'service-account-token',
  /** A kubeconfig Secret. */
  KUBECONFIG = 'kubeconfig',
  /** An existing workload's ServiceAccount, which the pod runs as. */
  IMPERSONATED_SERVICE_ACCOUNT = 'impersonated-service-account',
}

/** A PolicyRule as the API takes it. @internal */
export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly resourceNames?: string[];
  readonly verbs: string[];
}

/** What an ApiAccess holds. @internal */
export interface ApiAccessState {
  readonly kind: ApiAccessKind;
  readonly kubeconfig?: KubeconfigSecret;
  readonly serviceAccountName?: string;
  readonly mountToken: boolean;
  readonly idleStop?: Duration;
  readonly grants: readonly ApiGrant[];
  /** The grants' Role rules, then their ClusterRole rules, in the order they were granted, each once. */
  readonly roleRules: readonly PolicyRule[];
  readonly clusterRoleRules: readonly PolicyRule[];
}

/**
 * How the environment talks to the Kubernetes API: not at all, with its own ServiceAccount token and exactly the
 * rules granted to it, with a kubeconfig Secret, or as an existing workload's ServiceAccount. One of the four, so
 * that a grant can only be made where a token will carry it.
 *
 * @see docs/guides/api-access.md
 */
export class ApiAccess {
  /** No API access (the default): no ServiceAccount token is mounted and the Role grants nothing. */
  public static none(): ApiAccess {
    return ApiAccess.of({ kind: ApiAccessKind.NONE, mountToken: false });
  }

  /**
   * The environment's own ServiceAccount token, mounted so that `kubectl` and in-cluster clients act as the
   * environment's ServiceAccount, with exactly what is granted to it (`grantRead(...)` and friends, each returning
   * a new access) and what idle stop needs. Its Role grants nothing else.
   */
  public static serviceAccountToken(options: ServiceAccountTokenOptions = {}): ServiceAccountTokenAccess {
    const problems = new Problems();
    const o = options ?? {};
    if (o.idleStop !== undefined) checkIdleStop(problems, 'idleStop', o.idleStop);
    if (o.kubeconfig !== undefined) checkKubeconfig(problems, 'kubeconfig', o.kubeconfig);
    problems.throwIfAny();
    return ServiceAccountTokenAccess._create({
      kind: ApiAccessKind.SERVICE_ACCOUNT_TOKEN, mountToken: true, idleStop: o.idleStop, kubeconfig: copyKubeconfig(o.kubeconfig),
    });
  }

  /**
   * A Secret holding a kubeconfig (the original go-remote's way), mounted read-only at
   * `/etc/go-remote/kubeconfig/config` with `KUBECONFIG` pointing at it, for `kubectl` and client-go in SSH sessions
   * and programs. The ServiceAccount token is not mounted.
   */
  public static kubeconfig(secret: KubeconfigSecret): ApiAccess {
    const problems = new Problems();
    checkKubeconfig(problems, 'kubeconfig', secret);
    problems.throwIfAny();
    return ApiAccess.of({ kind: ApiAccessKind.KUBECONFIG, mountToken: false, kubeconfig: copyKubeconfig(secret) });
  }

  /**
   * Runs the pod as an existing workload's ServiceAccount, with that workload's permissions, usually beside
   * `impersonation` (its labels). A deliberate risk: see `WorkloadImpersonation`. The environment's own
   * ServiceAccount still exists, with nothing granted.
   *
   * @param serviceAccountName the workload's ServiceAccount, in the environment's namespace
   */
  public static impersonatedServiceAccount(serviceAccountName: string, options: ImpersonatedServiceAccountOptions = {}): ApiAccess {
    const problems = new Problems();
    checkDnsSubdomain(problems, 'serviceAccountName', serviceAccountName);
    const mountToken = options?.mountToken ?? false;
    if (typeof mountToken !== 'boolean') problems.add('mountToken', mountToken, 'expected true or false');
    problems.throwIfAny();
    return ApiAccess.of({ kind: ApiAccessKind.IMPERSONATED_SERVICE_ACCOUNT, mountToken, serviceAccountName });
  }

  private static of(state: Omit<ApiAccessState, 'grants' | 'roleRules' | 'clusterRoleRules'>): ApiAccess {
    const access = new ApiAccess();
    access._state = Object.freeze({ ...state, grants: [], roleRules: [], clusterRoleRules: [] });
    return access;
  }

  /** @internal */
  public _state!: ApiAccessState;

  protected constructor() {}

  /** Which way to the API this is. */
  public get kind(): ApiAccessKind {
    return this._state.kind;
  }

  /** Whether the pod mounts a ServiceAccount token (its own, or the impersonated workload's). */
  public get tokenMounted(): boolean {
    return this._state.mountToken;
  }

  /** The kubeconfig Secret mounted, if any. */
  public get kubeconfigSecret(): KubeconfigSecret | undefined {
    return this._state.kubeconfig;
  }

  /** The impersonated workload's ServiceAccount, if any. */
  public get serviceAccountName(): string | undefined {
    return this._state.serviceAccountName;
  }

  /** How long without an SSH session before the environment scales itself to 0, if set. */
  public get idleStop(): Duration | undefined {
    return this._state.idleStop;
  }

  /** The grants made to the environment's ServiceAccount, in order. */
  public get grants(): ApiGrant[] {
    return [...this._state.grants];
  }
}

/**
 * The environment's own ServiceAccount token (`ApiAccess.serviceAccountToken()`), to which permissions are
 * granted. Each grant returns a new access; the one given to the environment is what it gets.
 */
export class ServiceAccountTokenAccess extends ApiAccess {
  /** @internal */
  public static _create(state: Omit<ApiAccessState, 'grants' | 'roleRules' | 'clusterRoleRules'> & Partial<ApiAccessState>): ServiceAccountTokenAccess {
    const access = new ServiceAccountTokenAccess();
    access._state = Object.freeze({ grants: [], roleRules: [], clusterRoleRules: [], ...state });
    return access;
  }

  private constructor() {
    super();
  }

  /**
   * Grants `verbs` on `resources`, in the environment's namespace (a rule of its Role) or cluster-wide (a rule of
   * the ClusterRole `go-remote.<namespace>.<name>`, created with its binding by the first cluster-wide grant).
   * One rule per API group, so nothing wider than declared; no wildcards; the same grant twice gives its rules
   * once. Refused at once, naming the argument, when it asks for more than it names.
   */
  public grant(grant: ApiGrant): ServiceAccountTokenAccess {
    const problems = new Problems();
    const rules = grantRules(problems, 'grant', grant);
    problems.throwIfAny();
    const state = this._state;
    // The same grant twice gives its rules once.
    const add = (existing: readonly PolicyRule[], more: PolicyRule[]) => {
      const out = [...existing];
      const keys = new Set(existing.map(r => JSON.stringify(r)));
      for (const rule of more) {
        const key = JSON.stringify(rule);
        if (!keys.has(key)) out.push(rule);
        keys.add(key);
      }
      return out;
    };
    const cluster = (grant.scope ?? GrantScope.NAMESPACE) === GrantScope.CLUSTER;
    return ServiceAccountTokenAccess._create({
      ...state,
      grants: [...state.grants, grant],
      roleRules: cluster ? state.roleRules : add(state.roleRules, rules),
      clusterRoleRules: cluster ? add(state.clusterRoleRules, rules) : state.clusterRoleRules,
    });
  }

  /** Grants get, list and watch on `resources` in the environment's namespace. */
  public grantRead(...resources: IApiResource[]): ServiceAccountTokenAccess {
    return this.grant({ resources, verbs: [...READ_VERBS] });
  }

  /** Grants get, list, watch, create, update, patch and delete on `resources` in the environment's namespace. */
  public grantReadWrite(...resources: IApiResource[]): ServiceAccountTokenAccess {
    return this.grant({ resources, verbs: [...READ_WRITE_VERBS] });
  }

  /** Grants get, list and watch on `resources` in every namespace (and on cluster-scoped resources). */
  public grantClusterRead(...resources: IApiResource[]): ServiceAccountTokenAccess {
    return this.grant({ resources, verbs: [...READ_VERBS], scope: GrantScope.CLUSTER });
  }

  /** Grants get, list, watch, create, update, patch and delete on `resources` in every namespace. */
  public grantClusterReadWrite(...resources: IApiResource[]): ServiceAccountTokenAccess {
    return this.grant({ resources, verbs: [...READ_WRITE_VERBS], scope: GrantScope.CLUSTER });
  }
}

function copyKubeconfig(k: KubeconfigSecret | undefined): KubeconfigSecret | undefined {
  // A copy, not frozen: jsii marks a struct that crosses to Python or Go with a property of its own.
  return k === undefined ? undefined : { secretName: k.secretName, key: k.key };
}

// ---- checks ----

// A resource, optionally with a subresource: `pods`, `pods/log`, `deployments/scale`.
const RESOURCE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;
// A Secret key: letters, digits, '-', '_' and '.'.
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Built-in cluster-scoped resources, as `resource.group`: a Role cannot grant them. Custom resources are taken
 * to be namespaced (a ClusterRole can grant both).
 */
const CLUSTER_SCOPED = new Set([
  'namespaces', 'nodes', 'persistentvolumes', 'componentstatuses', 'storageclasses.storage.k8s.io',
  'csidrivers.storage.k8s.io', 'csinodes.storage.k8s.io', 'volumeattachments.storage.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io', 'apiservices.apiregistration.k8s.io',
  'validatingwebhookconfigurations.admissionregistration.k8s.io', 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  'clusterroles.rbac.authorization.k8s.io', 'clusterrolebindings.rbac.authorization.k8s.io',
  'priorityclasses.scheduling.k8s.io', 'runtimeclasses.node.k8s.io', 'ingressclasses.networking.k8s.io',
  'certificatesigningrequests.certificates.k8s.io', 'flowschemas.flowcontrol.apiserver.k8s.io',
  'prioritylevelconfigurations.flowcontrol.apiserver.k8s.io', 'tokenreviews.authentication.k8s.io',
  'selfsubjectaccessreviews.authorization.k8s.io', 'selfsubjectrulesreviews.authorization.k8s.io',
  'subjectaccessreviews.authorization.k8s.io', 'securitycontextconstraints.security.openshift.io',
]);

/** `resource.group` (`deployments.apps`, `pods`), as `kubectl` names it. @internal */
export function resourceId(r: IApiResource): string {
  return r.apiGroup ? `${r.resourceType}.${r.apiGroup}` : r.resourceType;
}

/** Whether a resource (or a subresource of it) is a built-in cluster-scoped one. @internal */
export function isClusterScoped(r: IApiResource): boolean {
  const base = r.resourceType.split('/')[0];
  return CLUSTER_SCOPED.has(r.apiGroup ? `${base}.${r.apiGroup}` : base);
}

function isApiResource(r: unknown): r is IApiResource {
  return r !== null && typeof r === 'object' && typeof (r as any).apiGroup === 'string' && typeof (r as any).resourceType === 'string';
}

/**
 * Checks a grant and returns its rules: one rule per API group, so that no rule allows a group and resource pair
 * that was not declared.
 * @internal
 */
export function grantRules(problems: Problems, prop: string, grant: ApiGrant): PolicyRule[] {
  if (grant === null || typeof grant !== 'object') {
    problems.add(prop, grant, 'expected an ApiGrant ({ resources, verbs, resourceNames?, scope? })');
    return [];
  }
  const before = problems.count;
  const scope = grant.scope ?? GrantScope.NAMESPACE;
  if (!isEnumValue(GrantScope, scope)) {
    problems.add(`${prop}.scope`, scope, 'expected GrantScope.NAMESPACE or GrantScope.CLUSTER');
  }
  const resources: unknown[] = Array.isArray(grant.resources) ? grant.resources : [];
  if (resources.length === 0) problems.add(`${prop}.resources`, grant.resources, 'expected at least one ApiResource');
  const verbs: unknown[] = Array.isArray(grant.verbs) ? grant.verbs : [];
  if (verbs.length === 0) problems.add(`${prop}.verbs`, grant.verbs, 'expected at least one ApiVerb');
  verbs.forEach((verb, i) => {
    if (!isEnumValue(ApiVerb, verb)) {
      problems.add(`${prop}.verbs[${i}]`, verb, `expected an ApiVerb (${VERB_ORDER.join(', ')}); '*', 'bind', 'escalate' and 'impersonate' are never granted: mount your own credentials with ApiAccess.kubeconfig instead`);
    }
  });
  resources.forEach((r, i) => {
    const at = `${prop}.resources[${i}]`;
    if (!isApiResource(r)) {
      problems.add(at, r, 'expected an ApiResource (ApiResource.PODS, ApiResource.custom({ apiGroup, resourceType }) ...)');
      return;
    }
    if (r.resourceName !== undefined) {
      problems.add(`${at}.resourceName`, r.resourceName, 'expected a resource type without a name: name objects with the grant\'s resourceNames');
    }
    if (r.apiGroup.includes('*')) {
      problems.add(`${at}.apiGroup`, r.apiGroup, 'expected an API group without \'*\': wildcards are never granted; name each group');
    } else if (r.apiGroup !== '') {
      checkDnsSubdomain(problems, `${at}.apiGroup`, r.apiGroup);
    }
    if (r.resourceType.includes('*')) {
      problems.add(`${at}.resourceType`, r.resourceType, 'expected a resource without \'*\': wildcards are never granted; name each resource');
    } else if (!RESOURCE.test(r.resourceType) || r.resourceType.length > 253) {
      problems.add(`${at}.resourceType`, r.resourceType, 'expected a plural, lower-case resource name, optionally with a subresource (\'widgets\', \'pods/log\')');
    } else if (scope === GrantScope.NAMESPACE && isClusterScoped(r)) {
      problems.add(at, resourceId(r), 'is cluster-scoped, so a Role in the environment\'s namespace cannot grant it; use scope GrantScope.CLUSTER (grantClusterRead, grantClusterReadWrite)');
    }
  });
  const names = grant.resourceNames;
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length === 0) {
      problems.add(`${prop}.resourceNames`, names, 'expected at least one name, or no resourceNames for every object');
    } else {
      names.forEach((n, i) => {
        const at = `${prop}.resourceNames[${i}]`;
        const inner = new Problems();
        if (!checkSafeText(inner, at, n) || n === '' || n.includes('/') || n.includes('*') || n.length > 253) {
          problems.add(at, n, 'expected an object name (no \'/\', no \'*\', no control character, at most 253 characters)');
        }
      });
      for (const verb of [ApiVerb.CREATE, ApiVerb.DELETE_COLLECTION]) {
        if (verbs.includes(verb)) {
          problems.add(`${prop}.verbs`, verbs, `includes '${verb}', which a rule with resourceNames never allows (the name is not part of the request); make a separate grant without resourceNames`);
        }
      }
    }
  }
  if (problems.count > before) return [];

  const sortedVerbs = VERB_ORDER.filter(v => verbs.includes(v));
  const resourceNames = names ? [...new Set(names)] : undefined;
  const byGroup = new Map<string, string[]>();
  for (const r of resources as IApiResource[]) {
    const list = byGroup.get(r.apiGroup) ?? [];
    if (!list.includes(r.resourceType)) list.push(r.resourceType);
    byGroup.set(r.apiGroup, list);
  }
  return [...byGroup].map(([apiGroup, groupResources]) => resourceNames
    ? { apiGroups: [apiGroup], resources: groupResources, resourceNames, verbs: sortedVerbs }
    : { apiGroups: [apiGroup], resources: groupResources, verbs: sortedVerbs });
}

/** Checks a kubeconfig Secret reference. @internal */
export function checkKubeconfig(problems: Problems, prop: string, kubeconfig: KubeconfigSecret): void {
  if (kubeconfig === null || typeof kubeconfig !== 'object') {
    problems.add(prop, kubeconfig, 'expected a KubeconfigSecret ({ secretName, key? })');
    return;
  }
  checkDnsSubdomain(problems, `${prop}.secretName`, kubeconfig.secretName);
  const key = kubeconfig.key ?? 'config';
  if (typeof key !== 'string' || key.length > 253 || !SECRET_KEY.test(key) || key === '.' || key === '..') {
    problems.add(`${prop}.key`, key, 'expected a Secret key: at most 253 letters, digits, \'-\', \'_\' and \'.\' (not \'.\' or \'..\')');
  }
}

/** Checks an idle-stop period: whole seconds from one minute to 30 days. @internal */
export function checkIdleStop(problems: Problems, prop: string, idleStop: Duration): boolean {
  const seconds = idleStop instanceof Duration ? idleStop.toSeconds({ integral: false }) : NaN;
  if (Number.isInteger(seconds) && seconds >= IdleStop.MIN_SECONDS && seconds <= IdleStop.MAX_SECONDS) return true;
  const shown = idleStop instanceof Duration ? `${seconds} seconds` : idleStop;
  problems.add(prop, shown, 'expected a Duration of whole seconds from 1 minute to 30 days, such as Duration.minutes(30)');
  return false;
}

import { k8s } from 'cdk8s-plus-27';
import { Problems, checkDnsSubdomain, hasControlCharacter } from './validation';

/**
 * A verb of the Kubernetes API that a grant allows.
 *
 * There is deliberately no `*` and none of the verbs that hand out more power than they name (`bind`,
 * `escalate`, `impersonate`): the ServiceAccount token is readable by anyone who can log in to the
 * environment. For more, mount your own credentials with `kubeconfig`.
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
export const READ_VERBS: ApiVerb[] = [ApiVerb.GET, ApiVerb.LIST, ApiVerb.WATCH];
/** The verbs `grantReadWrite` allows: reads and writes of single objects, not `deletecollection`. */
export const READ_WRITE_VERBS: ApiVerb[] = [...READ_VERBS, ApiVerb.CREATE, ApiVerb.UPDATE, ApiVerb.PATCH, ApiVerb.DELETE];

/**
 * Where a grant applies.
 */
export enum GrantScope {
  /** In the environment's namespace only (a Role rule). */
  NAMESPACE = 'Namespace',
  /**
   * In every namespace, and on cluster-scoped resources (a ClusterRole rule, bound by a ClusterRoleBinding
   * `go-remote-<namespace>-<name>`).
   */
  CLUSTER = 'Cluster',
}

// A resource, optionally with a subresource: `pods`, `pods/log`, `deployments/scale`.
const RESOURCE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

/**
 * A kind of object in the Kubernetes API, by API group and (plural, lower-case) resource name, as RBAC rules
 * name them. Use the constants for built-in resources and `ApiResource.custom` for the rest (a CRD, a
 * subresource such as `pods/exec`).
 */
export class ApiResource {
  /** Pods (core). */
  public static readonly PODS = new ApiResource('', 'pods', false);
  /** Pod logs (`pods/log`, core): `kubectl logs` needs `get` on it. */
  public static readonly POD_LOGS = new ApiResource('', 'pods/log', false);
  /** Services (core). */
  public static readonly SERVICES = new ApiResource('', 'services', false);
  /** Endpoints (core). */
  public static readonly ENDPOINTS = new ApiResource('', 'endpoints', false);
  /** ConfigMaps (core). */
  public static readonly CONFIG_MAPS = new ApiResource('', 'configmaps', false);
  /** Secrets (core). Reading them reads every credential in their scope: grant with `resourceNames` where you can. */
  public static readonly SECRETS = new ApiResource('', 'secrets', false);
  /** Events (core). */
  public static readonly EVENTS = new ApiResource('', 'events', false);
  /** PersistentVolumeClaims (core). */
  public static readonly PERSISTENT_VOLUME_CLAIMS = new ApiResource('', 'persistentvolumeclaims', false);
  /** ServiceAccounts (core). */
  public static readonly SERVICE_ACCOUNTS = new ApiResource('', 'serviceaccounts', false);
  /** Deployments (apps). */
  public static readonly DEPLOYMENTS = new ApiResource('apps', 'deployments', false);
  /** StatefulSets (apps). */
  public static readonly STATEFUL_SETS = new ApiResource('apps', 'statefulsets', false);
  /** DaemonSets (apps). */
  public static readonly DAEMON_SETS = new ApiResource('apps', 'daemonsets', false);
  /** ReplicaSets (apps). */
  public static readonly REPLICA_SETS = new ApiResource('apps', 'replicasets', false);
  /** Jobs (batch). */
  public static readonly JOBS = new ApiResource('batch', 'jobs', false);
  /** CronJobs (batch). */
  public static readonly CRON_JOBS = new ApiResource('batch', 'cronjobs', false);
  /** Leases (coordination.k8s.io), for controllers' leader election. */
  public static readonly LEASES = new ApiResource('coordination.k8s.io', 'leases', false);
  /** EndpointSlices (discovery.k8s.io). */
  public static readonly ENDPOINT_SLICES = new ApiResource('discovery.k8s.io', 'endpointslices', false);
  /** Ingresses (networking.k8s.io). */
  public static readonly INGRESSES = new ApiResource('networking.k8s.io', 'ingresses', false);
  /** NetworkPolicies (networking.k8s.io). */
  public static readonly NETWORK_POLICIES = new ApiResource('networking.k8s.io', 'networkpolicies', false);
  /** Namespaces (core, cluster-scoped). */
  public static readonly NAMESPACES = new ApiResource('', 'namespaces', true);
  /** Nodes (core, cluster-scoped). */
  public static readonly NODES = new ApiResource('', 'nodes', true);
  /** PersistentVolumes (core, cluster-scoped). */
  public static readonly PERSISTENT_VOLUMES = new ApiResource('', 'persistentvolumes', true);
  /** StorageClasses (storage.k8s.io, cluster-scoped). */
  public static readonly STORAGE_CLASSES = new ApiResource('storage.k8s.io', 'storageclasses', true);
  /** CustomResourceDefinitions (apiextensions.k8s.io, cluster-scoped). */
  public static readonly CUSTOM_RESOURCE_DEFINITIONS = new ApiResource('apiextensions.k8s.io', 'customresourcedefinitions', true);
  /** ValidatingWebhookConfigurations (admissionregistration.k8s.io, cluster-scoped). */
  public static readonly VALIDATING_WEBHOOK_CONFIGURATIONS = new ApiResource('admissionregistration.k8s.io', 'validatingwebhookconfigurations', true);
  /** MutatingWebhookConfigurations (admissionregistration.k8s.io, cluster-scoped). */
  public static readonly MUTATING_WEBHOOK_CONFIGURATIONS = new ApiResource('admissionregistration.k8s.io', 'mutatingwebhookconfigurations', true);

  /**
   * Any other resource: a custom resource, or a subresource.
   *
   * @param apiGroup the API group (`''` for the core group, `widgets.example.com` for a CRD); no `*`
   * @param resource the plural, lower-case resource name, optionally with a subresource (`widgets`,
   *   `widgets/status`, `pods/exec`); no `*`
   */
  public static custom(apiGroup: string, resource: string): ApiResource {
    return new ApiResource(apiGroup, resource, undefined);
  }

  /** The API group (`''` is the core group). */
  public readonly apiGroup: string;
  /** The resource (plural, lower-case), optionally `resource/subresource`. */
  public readonly resource: string;
  /** Whether the resource is cluster-scoped: true or false for the constants, unknown (undefined) for `custom`. */
  public readonly clusterScoped?: boolean;

  private constructor(apiGroup: string, resource: string, clusterScoped: boolean | undefined) {
    this.apiGroup = apiGroup;
    this.resource = resource;
    this.clusterScoped = clusterScoped;
  }

  /** `resource.group` (`deployments.apps`, `pods`), as `kubectl` names it. */
  public toString(): string {
    return this.apiGroup ? `${this.resource}.${this.apiGroup}` : this.resource;
  }
}

/**
 * Extra permissions for the environment's ServiceAccount (`GoRemoteEnvironment.grant`).
 */
export interface ApiGrant {
  /** The resources; at least one. */
  readonly resources: ApiResource[];
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

/** Where the kubeconfig Secret's directory is mounted; `KUBECONFIG` points at the file `config` in it. */
const KUBECONFIG_DIR = '/etc/go-remote/kubeconfig';
/** The file `KUBECONFIG` names. */
const KUBECONFIG_PATH = `${KUBECONFIG_DIR}/config`;
/** The volume name of the kubeconfig Secret. */
export const KUBECONFIG_VOLUME = 'kubeconfig';

// A Secret key: letters, digits, '-', '_' and '.'.
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Validates the `kubeconfig` prop. @internal */
export function validateKubeconfig(problems: Problems, prop: string, kubeconfig: KubeconfigSecret): void {
  checkDnsSubdomain(problems, `${prop}.secretName`, kubeconfig.secretName);
  const key = kubeconfig.key ?? 'config';
  if (typeof key !== 'string' || key.length > 253 || !SECRET_KEY.test(key) || key === '.' || key === '..') {
    problems.add(`${prop}.key`, key, 'expected a Secret key: at most 253 letters, digits, \'-\', \'_\' and \'.\' (not \'.\' or \'..\')');
  }
}

/** The volume, mount and variable that make `kubectl` and client-go use the kubeconfig Secret. @internal */
export function kubeconfigMount(kubeconfig: KubeconfigSecret): { volume: k8s.Volume; mount: k8s.VolumeMount; env: k8s.EnvVar } {
  return {
    // A directory mount (not subPath), so that a rotated Secret reaches the running pod.
    volume: {
      name: KUBECONFIG_VOLUME,
      secret: {
        secretName: kubeconfig.secretName,
        items: [{ key: kubeconfig.key ?? 'config', path: 'config' }],
        defaultMode: 0o400,
        optional: false,
      },
    },
    mount: { name: KUBECONFIG_VOLUME, mountPath: KUBECONFIG_DIR, readOnly: true },
    env: { name: 'KUBECONFIG', value: KUBECONFIG_PATH },
  };
}

/**
 * The rules of an environment's Role and ClusterRole: fixed ones (the SCC, idle stop) first, then the grants
 * in the order they were made. Read at synthesis, so grants made after construction are emitted.
 * @internal
 */
export class ApiAccessRules {
  private readonly namespaced: k8s.PolicyRule[] = [];
  private readonly cluster: k8s.PolicyRule[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly fixed: k8s.PolicyRule[]) {}

  /** Whether any grant was made (fixed rules do not count). */
  public get hasGrants(): boolean {
    return this.namespaced.length > 0 || this.cluster.length > 0;
  }

  /** The Role's rules, or undefined when there are none (no `rules: []`, which the API server drops). */
  public roleRules(): k8s.PolicyRule[] | undefined {
    const rules = [...this.fixed, ...this.namespaced];
    return rules.length > 0 ? rules : undefined;
  }

  /** The ClusterRole's rules. */
  public clusterRoleRules(): k8s.PolicyRule[] | undefined {
    return this.cluster.length > 0 ? [...this.cluster] : undefined;
  }

  /**
   * Validates a grant and records its rules: one rule per API group, so that no rule allows a group and
   * resource pair that was not declared. Throws a validation error naming `prop`.
   */
  public add(prop: string, grant: ApiGrant): void {
    const problems = new Problems();
    if (grant === null || typeof grant !== 'object') {
      problems.add(prop, grant, 'expected an ApiGrant ({ resources, verbs, resourceNames?, scope? })');
      problems.throwIfAny();
    }
    const scope = grant.scope ?? GrantScope.NAMESPACE;
    if (!Object.values(GrantScope).includes(scope)) {
      problems.add(`${prop}.scope`, scope, 'expected GrantScope.NAMESPACE or GrantScope.CLUSTER');
    }
    const resources = grant.resources ?? [];
    if (!Array.isArray(resources) || resources.length === 0) {
      problems.add(`${prop}.resources`, grant.resources, 'expected at least one ApiResource');
    }
    const verbs = grant.verbs ?? [];
    if (!Array.isArray(verbs) || verbs.length === 0) {
      problems.add(`${prop}.verbs`, grant.verbs, 'expected at least one ApiVerb');
    }
    (Array.isArray(verbs) ? verbs : []).forEach((verb, i) => {
      if (!VERB_ORDER.includes(verb)) {
        problems.add(`${prop}.verbs[${i}]`, verb, `expected an ApiVerb (${VERB_ORDER.join(', ')}); '*', 'bind', 'escalate' and 'impersonate' are never granted: mount your own credentials with 'kubeconfig' instead`);
      }
    });
    (Array.isArray(resources) ? resources : []).forEach((r, i) => {
      const at = `${prop}.resources[${i}]`;
      if (!(r instanceof ApiResource)) {
        problems.add(at, r, 'expected an ApiResource (ApiResource.PODS, ApiResource.custom(group, resource) ...)');
        return;
      }
      if (typeof r.apiGroup !== 'string' || r.apiGroup.includes('*')) {
        problems.add(`${at}.apiGroup`, r.apiGroup, 'expected an API group without \'*\': wildcards are never granted; name each group');
      } else if (r.apiGroup !== '') {
        checkDnsSubdomain(problems, `${at}.apiGroup`, r.apiGroup);
      }
      if (typeof r.resource !== 'string' || r.resource.includes('*')) {
        problems.add(`${at}.resource`, r.resource, 'expected a resource without \'*\': wildcards are never granted; name each resource');
      } else if (!RESOURCE.test(r.resource) || r.resource.length > 253) {
        problems.add(`${at}.resource`, r.resource, 'expected a plural, lower-case resource name, optionally with a subresource (\'widgets\', \'pods/log\')');
      }
      if (scope === GrantScope.NAMESPACE && r.clusterScoped === true) {
        problems.add(at, r.toString(), 'is cluster-scoped, so a Role in the environment\'s namespace cannot grant it; use scope GrantScope.CLUSTER (grantClusterRead, grantClusterReadWrite)');
      }
    });
    const names = grant.resourceNames;
    if (names !== undefined) {
      if (!Array.isArray(names) || names.length === 0) {
        problems.add(`${prop}.resourceNames`, names, 'expected at least one name, or no resourceNames for every object');
      } else {
        names.forEach((n, i) => {
          if (typeof n !== 'string' || n === '' || n.includes('/') || n.includes('*') || n.length > 253 || hasControlCharacter(n)) {
            problems.add(`${prop}.resourceNames[${i}]`, n, 'expected an object name (no \'/\', no \'*\', no control character, at most 253 characters)');
          }
        });
        for (const verb of [ApiVerb.CREATE, ApiVerb.DELETE_COLLECTION]) {
          if (Array.isArray(verbs) && verbs.includes(verb)) {
            problems.add(`${prop}.verbs`, verbs, `includes '${verb}', which a rule with resourceNames never allows (the name is not part of the request); make a separate grant without resourceNames`);
          }
        }
      }
    }
    problems.throwIfAny();

    const sortedVerbs = VERB_ORDER.filter(v => verbs.includes(v as ApiVerb));
    const resourceNames = names ? [...new Set(names)] : undefined;
    const byGroup = new Map<string, string[]>();
    for (const r of resources) {
      const list = byGroup.get(r.apiGroup) ?? [];
      if (!list.includes(r.resource)) list.push(r.resource);
      byGroup.set(r.apiGroup, list);
    }
    const target = scope === GrantScope.CLUSTER ? this.cluster : this.namespaced;
    for (const [apiGroup, groupResources] of byGroup) {
      const rule: k8s.PolicyRule = { apiGroups: [apiGroup], resources: groupResources, resourceNames, verbs: sortedVerbs };
      const key = `${scope}\0${JSON.stringify(rule)}`;
      if (this.seen.has(key)) continue; // the same grant twice gives the same rules once
      this.seen.add(key);
      target.push(rule);
    }
  }
}

import { ImagePullPolicy, ServiceType } from 'cdk8s-plus-27';
import { IMAGE_UID } from './contract';
import { NodeAccessSettings } from './node-access';
import { Platform } from './platform';

// The kube-score and Checkov findings an environment raises on purpose, as those linters' own exemption
// annotations with a reason. Internal: the annotations are on the objects, README tables them; test/linters/
// checks them against the real linters.

/**
 * A manifest linter whose own exemption annotations the environment writes.
 * @internal
 */
export enum Linter {
  /**
   * kube-score: checks named in the object's `kube-score/ignore` annotation (comma-separated) are skipped.
   * kube-score has no place for a reason, so each one is written beside it as
   * `kube-score.go-remote.cdk8s.io/<check>: <reason>`.
   * @see https://github.com/zegl/kube-score
   */
  KUBE_SCORE = 'kube-score',
  /**
   * Checkov: `checkov.io/skip<N>: CKV_K8S_<N>=<reason>` on the object skips that check (N is the check's number).
   * @see https://www.checkov.io/2.Basics/Suppressing%20and%20Skipping%20Policies.html
   */
  CHECKOV = 'checkov',
}

/**
 * A linter finding the environment raises on purpose, and why.
 * @internal
 */
export interface LintExemption {
  /** The linter. */
  readonly linter: Linter;
  /** The linter's check id, such as `deployment-replicas` or `CKV_K8S_8`. */
  readonly check: string;
  /** Why the environment raises it (short; never contains `=`, which Checkov splits on). */
  readonly reason: string;
}

/**
 * What decides a Deployment's exemptions: the environment's resolved settings.
 * @internal
 */
export interface LintSubject {
  /** The effective node access settings (`NodeAccess.settings`). */
  readonly nodeAccess: NodeAccessSettings;
  /** The platform. */
  readonly platform: Platform;
  /** The development image reference. */
  readonly image: string;
  /** The image pull policy of the containers. */
  readonly imagePullPolicy: ImagePullPolicy | string;
  /** Whether the pod mounts its ServiceAccount token. */
  readonly serviceAccountTokenMounted: boolean;
}

/** kube-score's per-object list of skipped checks. @internal */
export const KUBE_SCORE_IGNORE_ANNOTATION = 'kube-score/ignore';
/** The prefix of the annotations that carry the reason of each skipped kube-score check. @internal */
export const KUBE_SCORE_REASON_PREFIX = 'kube-score.go-remote.cdk8s.io/';

// kube-score flags user and group IDs below this (score/security), Checkov CKV_K8S_40 likewise.
const HIGH_UID = 10000;
const DOCKER_SOCKET = '/var/run/docker.sock';

const WRITABLE_ROOT = 'writable root filesystem: a development container installs tools and writes caches';
const ONE_WRITER = 'the workspace volume has a single writer';

/**
 * The linter findings an environment raises on purpose, derived from its settings (never from a profile's
 * name), and the annotations that carry them. Checks that depend on the cluster rather than on the
 * environment (a NetworkPolicy selecting the pod) are not exempted here: README lists them.
 * @internal
 */
export class LintExemptions {
  /**
   * The exemptions of the environment's Deployment: its pod template's containers and the Deployment itself.
   * Sorted by linter, then check.
   */
  public static forDeployment(subject: LintSubject): LintExemption[] {
    const access = subject.nodeAccess;
    const out: LintExemption[] = [];
    const both = (kubeScore: string | undefined, checkov: number | undefined, reason: string) => {
      if (kubeScore) out.push({ linter: Linter.KUBE_SCORE, check: kubeScore, reason });
      if (checkov !== undefined) out.push({ linter: Linter.CHECKOV, check: `CKV_K8S_${checkov}`, reason });
    };

    // ---- every environment ----
    both('container-security-context-readonlyrootfilesystem', 22, WRITABLE_ROOT);
    both('container-ephemeral-storage-request-and-limit', undefined,
      'no ephemeral-storage limit: tools installed in the root filesystem must not get the pod evicted');
    both('deployment-replicas', undefined, `one replica: ${ONE_WRITER}`);
    both('deployment-strategy', undefined, `Recreate: ${ONE_WRITER}, so two pods never overlap`);
    both(undefined, 8, 'no liveness probe: a restart would end SSH sessions and debuggers; supervisord restarts sshd');
    const uid = LintExemptions.lowUid(subject);
    if (uid) both('container-security-context-user-group-id', 40, uid);

    // ---- the image ----
    const digest = subject.image.includes('@');
    if (!digest) {
      both(undefined, 43, 'image referenced by tag, as declared: name@sha256:<digest> would pin it');
    }
    if (subject.imagePullPolicy !== ImagePullPolicy.ALWAYS) {
      // Checkov accepts any policy for an image pinned by digest; kube-score does not.
      both('container-image-pull-policy', digest ? undefined : 15,
        `imagePullPolicy ${subject.imagePullPolicy}, as declared: a node reuses the image it has`);
    }

    // ---- API access ----
    if (subject.serviceAccountTokenMounted) {
      both(undefined, 38, 'ServiceAccount token mounted: the environment uses the API as its ServiceAccount');
    }

    // ---- node access ----
    if (access.privileged) {
      both('container-security-context-privileged', 16, 'nodeAccess: privileged container');
      both(undefined, 20, 'nodeAccess: a privileged container can escalate privileges');
      both(undefined, 28, 'nodeAccess: a privileged container holds every capability, NET_RAW included');
      both(undefined, 37, 'nodeAccess: a privileged container holds every capability');
    } else if (access.capabilities.length > 0) {
      const caps = [...new Set(access.capabilities)].sort();
      both(undefined, 25, `nodeAccess: adds ${caps.join(' ')}`);
      if (caps.includes('SYS_ADMIN')) both(undefined, 39, 'nodeAccess: adds SYS_ADMIN');
    }
    if (access.runAsRoot) both(undefined, 23, 'nodeAccess: runs as root');
    if (access.hostPid) both(undefined, 17, 'nodeAccess: shares the node\'s PID namespace');
    if (access.hostNetwork) both(undefined, 19, 'nodeAccess: uses the node\'s network namespace');
    if (access.hostPaths.some(h => h.path === DOCKER_SOCKET)) both(undefined, 27, 'nodeAccess: mounts the Docker socket');

    return LintExemptions.sorted(out);
  }

  /** The exemptions of the environment's Service. */
  public static forService(serviceType: ServiceType | string): LintExemption[] {
    return serviceType === ServiceType.NODE_PORT
      ? [{ linter: Linter.KUBE_SCORE, check: 'service-type', reason: 'serviceType NodePort, as declared' }]
      : [];
  }

  /**
   * The annotations that carry exemptions, where each linter reads them on the object's own metadata:
   * `kube-score/ignore` with the sorted check ids and a `kube-score.go-remote.cdk8s.io/<check>` reason each,
   * and `checkov.io/skip<N>: CKV_K8S_<N>=<reason>` for Checkov.
   */
  public static annotations(exemptions: LintExemption[]): { [key: string]: string } {
    const annotations: { [key: string]: string } = {};
    const kubeScore: string[] = [];
    for (const e of LintExemptions.sorted(exemptions)) {
      if (e.reason === '' || e.reason.includes('=')) {
        throw new Error(`lint exemption ${e.linter} ${e.check}: the reason must be non-empty and without '=': ${JSON.stringify(e.reason)}`);
      }
      if (e.linter === Linter.KUBE_SCORE) {
        kubeScore.push(e.check);
        annotations[`${KUBE_SCORE_REASON_PREFIX}${e.check}`] = e.reason;
      } else {
        const n = /^CKV_K8S_(\d+)$/.exec(e.check);
        if (!n) throw new Error(`lint exemption checkov ${e.check}: only CKV_K8S_<N> checks are annotated`);
        annotations[`checkov.io/skip${n[1]}`] = `${e.check}=${e.reason}`;
      }
    }
    if (kubeScore.length > 0) annotations[KUBE_SCORE_IGNORE_ANNOTATION] = kubeScore.join(',');
    return annotations;
  }

  private static lowUid(subject: LintSubject): string | undefined {
    if (subject.nodeAccess.runAsRoot) return 'nodeAccess: runs as root (UID 0)';
    if (subject.platform === Platform.OPENSHIFT) return 'UID and GID are not pinned: OpenShift assigns them from the namespace\'s range';
    return IMAGE_UID < HIGH_UID ? `UID and GID ${IMAGE_UID}: the image's user, who owns the workspace files` : undefined;
  }

  private static sorted(exemptions: LintExemption[]): LintExemption[] {
    // Keys computed once per exemption (not per comparison): this runs for every environment of a fleet.
    const keyed = exemptions.map(e => ({ e, key: `${e.linter} ${e.check.replace(/\d+/g, d => d.padStart(6, '0'))}` }));
    return keyed.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0).map(k => k.e);
  }

  private constructor() {}
}

/** The exemption annotations of an environment's Deployment and Service. @internal */
export interface LintAnnotations {
  readonly deployment: { readonly [key: string]: string };
  readonly service: { readonly [key: string]: string };
}

// Environments of a fleet mostly share their settings: the annotations of each set of settings are computed once.
const cache = new Map<string, LintAnnotations>();

/**
 * The exemption annotations for an environment's resolved settings (the same object for the same settings).
 * @internal
 */
export function lintAnnotations(subject: LintSubject, serviceType: ServiceType | string): LintAnnotations {
  const s = subject;
  const a = s.nodeAccess;
  // Every setting the exemptions read (the profile's name does not decide them: its content does).
  const access = a.privileged === false && !a.runAsRoot && !a.hostPid && !a.hostNetwork && a.capabilities.length === 0 && a.hostPaths.length === 0
    ? 'none' : JSON.stringify(a);
  const key = `${access}\0${s.platform}\0${s.image}\0${s.imagePullPolicy}\0${s.serviceAccountTokenMounted}\0${serviceType}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = Object.freeze({
      deployment: Object.freeze(LintExemptions.annotations(LintExemptions.forDeployment(subject))),
      service: Object.freeze(LintExemptions.annotations(LintExemptions.forService(serviceType))),
    });
    if (cache.size > 1000) cache.clear();
    cache.set(key, found);
  }
  return found;
}

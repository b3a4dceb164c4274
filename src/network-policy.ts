import { k8s } from 'cdk8s-plus-27';
import { Labels, OWN_SELECTOR_KEYS, SSH_PORT } from './contract';
import { Problems } from './errors';
import { Manifest } from './manifest';
import { Program } from './program';
import { checkCidr, checkDnsLabel, checkLabels, checkList } from './validation';

/**
 * Who may connect: pods (by label, in the environment's namespace or in other namespaces) or addresses.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
 */
export class NetworkPeer {
  /**
   * Addresses in a CIDR (outside the cluster's pod network: NetworkPolicies match pods by label, not address).
   * @param cidr e.g. '10.0.0.0/16'
   * @param except CIDRs inside `cidr` to leave out
   */
  public static cidr(cidr: string, except?: string[]): NetworkPeer {
    return new NetworkPeer({ ipBlock: { cidr, except: except && except.length ? [...except] : undefined } });
  }

  /**
   * Pods with these labels in the environment's namespace.
   */
  public static pods(podLabels: { [key: string]: string }): NetworkPeer {
    return new NetworkPeer({ podSelector: { matchLabels: { ...podLabels } } });
  }

  /**
   * Pods of the namespace with this name (by its `kubernetes.io/metadata.name` label, which Kubernetes sets).
   * @param name the namespace
   * @param podLabels only pods with these labels
   * @default podLabels - every pod of the namespace
   */
  public static namespace(name: string, podLabels?: { [key: string]: string }): NetworkPeer {
    return new NetworkPeer({
      namespaceSelector: { matchLabels: { [Labels.NAMESPACE_NAME]: name } },
      podSelector: selectorOf(podLabels),
    }, name);
  }

  /**
   * Pods of every namespace with these labels.
   * @param namespaceLabels labels of the namespaces
   * @param podLabels only pods with these labels
   * @default podLabels - every pod of those namespaces
   */
  public static namespaces(namespaceLabels: { [key: string]: string }, podLabels?: { [key: string]: string }): NetworkPeer {
    return new NetworkPeer({
      namespaceSelector: { matchLabels: { ...namespaceLabels } },
      podSelector: selectorOf(podLabels),
    });
  }

  /** The peer as a NetworkPolicy `from` entry. */
  public readonly peer: k8s.NetworkPolicyPeer;
  private readonly namespaceName?: string;

  private constructor(peer: k8s.NetworkPolicyPeer, namespaceName?: string) {
    this.peer = peer;
    this.namespaceName = namespaceName;
  }

  /** @internal */
  public _validate(problems: Problems, prop: string): void {
    const p = this.peer;
    if (p.ipBlock) {
      checkCidr(problems, `${prop}.cidr`, p.ipBlock.cidr);
      checkList(problems, `${prop}.except`, p.ipBlock.except, 'a list of CIDRs').forEach((c, i) => checkCidr(problems, `${prop}.except[${i}]`, c));
    }
    if (this.namespaceName !== undefined) {
      checkDnsLabel(problems, `${prop}.namespace`, this.namespaceName);
    } else if (p.namespaceSelector) {
      checkLabels(problems, `${prop}.namespaceLabels`, p.namespaceSelector.matchLabels ?? {}, true);
    }
    if (p.podSelector) checkLabels(problems, `${prop}.podLabels`, p.podSelector.matchLabels ?? {}, p.namespaceSelector === undefined);
  }
}

/**
 * Who may reach one program's port.
 */
export interface ProgramIngress {
  /** The program (one of `programs`, with a `port`). */
  readonly program: string;
  /** The peers admitted to its port. An empty list admits no one (through this policy). */
  readonly from: NetworkPeer[];
}

/**
 * The environment's own NetworkPolicy, selecting its pod: ingress on SSH from given addresses only, and on each
 * program's port from the peers named for it. Everything else is refused, as far as this policy goes: network
 * policies add up, so another policy selecting the pod (an impersonated workload's, say) may admit more.
 */
export interface EnvironmentNetworkPolicyOptions {
  /**
   * Client CIDRs admitted to SSH (port 2222). With the client address preserved (the Service gets
   * `externalTrafficPolicy: Local` when this policy is on), these are the clients' own addresses; a load
   * balancer that proxies instead (some do) shows its own address, which must then be listed.
   *
   * @default - the environment's `sourceRanges`; SSH from anywhere when it has none (login still needs a key)
   */
  readonly sshFrom?: string[];
  /**
   * Who may reach each program's port. A program with a port that is not listed is reachable by no one
   * through this policy.
   *
   * @default - no program port admitted
   */
  readonly programs?: ProgramIngress[];
}

/**
 * Runs the development pod with an existing workload's labels, so that the NetworkPolicies written for the workload
 * treat the pod as they treat the workload: its peers admit the pod, and the workload's own policies select it.
 * To also run as the workload's ServiceAccount, use `ApiAccess.impersonatedServiceAccount(name)`.
 *
 * This is a risk on purpose: the pod gets the workload's network access (and, with its ServiceAccount, the
 * workload's permissions).
 */
export interface WorkloadImpersonation {
  /**
   * Labels copied onto the pod: the ones the NetworkPolicies select the workload by. The environment's own
   * selector labels (`app.kubernetes.io/name`, `app.kubernetes.io/instance`) cannot be copied; its other labels
   * (`app.kubernetes.io/component`, `app.kubernetes.io/managed-by`) are replaced on the pod when copied.
   */
  readonly podLabels: { [key: string]: string };
  /**
   * The label selectors of the workload's Deployment (`spec.selector.matchLabels`) and Services
   * (`spec.selector`). The pod must match none of them: a Service that matched would send the workload's
   * traffic to the code under the debugger, and an autoscaler or disruption budget would count the pod.
   */
  readonly workloadSelectors: { [key: string]: string }[];
}

/** A selector for labels, none for no labels (an empty map would churn at every apply). */
function selectorOf(labels?: { [key: string]: string }): k8s.LabelSelector | undefined {
  return labels && Object.keys(labels).length > 0 ? { matchLabels: { ...labels } } : undefined;
}

/**
 * Checks the environment's NetworkPolicy props.
 * @internal
 */
export function validateNetworkPolicy(
  problems: Problems, prop: string, options: EnvironmentNetworkPolicyOptions, programs: readonly Program[], webhookProgram?: string,
): void {
  if (options === null || typeof options !== 'object') {
    problems.add(prop, options, 'expected EnvironmentNetworkPolicyOptions ({ sshFrom?, programs? })');
    return;
  }
  if (Array.isArray(options.sshFrom) && options.sshFrom.length === 0) {
    problems.add(`${prop}.sshFrom`, options.sshFrom, 'expected at least one CIDR (an empty \'from\' admits every source); leave it out to use sourceRanges');
  }
  checkList(problems, `${prop}.sshFrom`, options.sshFrom, 'a list of CIDRs').forEach((cidr, i) => checkCidr(problems, `${prop}.sshFrom[${i}]`, cidr));
  const ingresses = checkList<ProgramIngress>(problems, `${prop}.programs`, options.programs, 'a list of ProgramIngress');
  const admitsWebhook = ingresses.some(i => i?.program === webhookProgram && Array.isArray(i.from) && i.from.length > 0);
  if (webhookProgram !== undefined && !admitsWebhook) {
    problems.add(`${prop}.programs`, ingresses.map(i => i?.program), `expected peers for the webhook's program "${webhookProgram}": the API server must reach it (list the control plane's addresses, see docs/guides/webhook-development.md)`);
  }
  const seen = new Map<string, number>();
  ingresses.forEach((ingress, i) => {
    const at = `${prop}.programs[${i}]`;
    const program = programs.find(p => p.name === ingress.program);
    if (program === undefined) {
      problems.add(`${at}.program`, ingress.program, `expected the name of one of programs (${programs.map(p => p.name).join(', ') || 'none declared'})`);
    } else if (program.port === undefined) {
      problems.add(`${at}.program`, ingress.program, 'names a program without a port; there is nothing to admit');
    } else if (seen.has(ingress.program)) {
      problems.add(`${at}.program`, ingress.program, `expected each program once; ${prop}.programs[${seen.get(ingress.program)}] already names it`);
    }
    seen.set(ingress.program, i);
    if (!Array.isArray(ingress.from)) {
      problems.add(`${at}.from`, ingress.from, 'expected a list of NetworkPeer');
      return;
    }
    ingress.from.forEach((peer, j) => {
      if (peer instanceof NetworkPeer) {
        peer._validate(problems, `${at}.from[${j}]`);
      } else {
        problems.add(`${at}.from[${j}]`, peer, 'expected a NetworkPeer (NetworkPeer.cidr, .pods, .namespace or .namespaces)');
      }
    });
  });
}

/**
 * Checks an impersonation: label syntax, the environment's own selector keys, and that the pod matches none of
 * the workload's selectors.
 * @internal
 */
export function validateImpersonation(problems: Problems, prop: string, w: WorkloadImpersonation): void {
  if (w === null || typeof w !== 'object') {
    problems.add(prop, w, 'expected a WorkloadImpersonation ({ podLabels, workloadSelectors })');
    return;
  }
  const labels: { [key: string]: string } = w.podLabels ?? {};
  if ((w as any).serviceAccountName !== undefined) {
    problems.add(`${prop}.serviceAccountName`, (w as any).serviceAccountName, 'is not a prop since 1.0; use apiAccess: ApiAccess.impersonatedServiceAccount(serviceAccountName)');
  }
  checkLabels(problems, `${prop}.podLabels`, labels, true);
  for (const key of Object.keys(labels)) {
    if (OWN_SELECTOR_KEYS.includes(key)) {
      problems.add(`${prop}.podLabels`, key, `is the environment's own selector label (${OWN_SELECTOR_KEYS.join(', ')}): its Deployment, Services and network policies find the pod by it; policies that select the workload by this key cannot be matched`);
    }
  }
  if (!Array.isArray(w.workloadSelectors) || w.workloadSelectors.length === 0) {
    problems.add(`${prop}.workloadSelectors`, w.workloadSelectors, 'expected the selectors of the workload\'s Deployment and Services (kubectl get deploy,svc -o jsonpath=...), so that the pod is checked to match none of them');
  } else {
    w.workloadSelectors.forEach((selector, i) => {
      const at = `${prop}.workloadSelectors[${i}]`;
      checkLabels(problems, at, selector, true);
      const entries = Object.entries(selector ?? {});
      if (entries.length > 0 && entries.every(([k, v]) => labels[k] === v)) {
        problems.add(at, selector, 'is matched by the copied podLabels: the workload\'s Service would send its traffic to the development pod and its controllers would count it; copy only labels its network policies select on, not all of this selector');
      }
    });
  }
}

/** The environment's NetworkPolicy, resolved: who may reach SSH, and each program port's peers. @internal */
export interface ResolvedNetworkPolicy {
  /** SSH sources; none: from anywhere. */
  readonly sshFrom?: readonly string[];
  /** A rule per program with a port and peers, in the order of `programs`. */
  readonly programs: readonly { readonly port: number; readonly from: readonly any[] }[];
}

/** Resolves a checked `networkPolicy` prop against the programs and the load balancer's source ranges. @internal */
export function resolveNetworkPolicy(
  options: EnvironmentNetworkPolicyOptions, programs: readonly Program[], sourceRanges: readonly string[] | undefined,
): ResolvedNetworkPolicy {
  const rules: { port: number; from: any[] }[] = [];
  // In the order of `programs`, so the policy does not change when the ingress list is reordered.
  for (const program of programs) {
    const rule = (options.programs ?? []).find(i => i.program === program.name);
    if (rule && rule.from.length > 0 && program.port !== undefined) {
      rules.push({ port: program.port, from: rule.from.map(p => k8s.toJson_NetworkPolicyPeer(p.peer)) });
    }
  }
  return { sshFrom: options.sshFrom ?? sourceRanges, programs: rules };
}

/** The environment's NetworkPolicy `<name>`. @internal */
export function networkPolicyManifest(
  policy: ResolvedNetworkPolicy, metadata: { name: string; namespace?: string; labels: { [key: string]: string } },
  selector: { [key: string]: string },
): Manifest {
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  return {
    id: 'NetworkPolicy',
    manifest: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata,
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress'],
        ingress: [
          { from: policy.sshFrom?.map(cidr => ({ ipBlock: { cidr } })), ports: [tcp(SSH_PORT)] },
          ...policy.programs.map(r => ({ from: r.from, ports: [tcp(r.port)] })),
        ],
      },
    },
  };
}

import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Program, SSH_PORT } from './program';
import { Problems, checkCidr, checkDnsLabel, checkDnsSubdomain, checkLabels } from './validation';

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
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
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
      (p.ipBlock.except ?? []).forEach((c, i) => checkCidr(problems, `${prop}.except[${i}]`, c));
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
 * Runs the development pod with an existing workload's labels and, optionally, its ServiceAccount, so that the
 * NetworkPolicies written for the workload treat the pod as they treat the workload: its peers admit the pod,
 * and the workload's own policies select it.
 *
 * This is a risk on purpose: the pod gets the workload's network access, and with its ServiceAccount the
 * workload's permissions (and, with `serviceAccountToken: true`, its token in every SSH session).
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
  /**
   * The workload's ServiceAccount, which the pod runs as instead of the environment's own.
   *
   * @default - the environment's own ServiceAccount
   */
  readonly serviceAccountName?: string;
}

/** A selector for labels, none for no labels (an empty map would churn at every apply). */
function selectorOf(labels?: { [key: string]: string }): k8s.LabelSelector | undefined {
  return labels && Object.keys(labels).length > 0 ? { matchLabels: { ...labels } } : undefined;
}

/** Label keys the environment's Deployment, Services and the fleet's policies select its pod by. */
const OWN_SELECTOR_KEYS = ['app.kubernetes.io/name', 'app.kubernetes.io/instance'];
/**
 * Checks the environment's NetworkPolicy props.
 * @internal
 */
export function validateNetworkPolicy(
  problems: Problems, prop: string, options: EnvironmentNetworkPolicyOptions, programs: Program[], webhookProgram?: string,
): void {
  if (options.sshFrom !== undefined && options.sshFrom.length === 0) {
    problems.add(`${prop}.sshFrom`, options.sshFrom, 'expected at least one CIDR (an empty \'from\' admits every source); leave it out to use sourceRanges');
  }
  (options.sshFrom ?? []).forEach((cidr, i) => checkCidr(problems, `${prop}.sshFrom[${i}]`, cidr));
  const admitsWebhook = (options.programs ?? []).some(i => i.program === webhookProgram && Array.isArray(i.from) && i.from.length > 0);
  if (webhookProgram !== undefined && !admitsWebhook) {
    problems.add(`${prop}.programs`, (options.programs ?? []).map(i => i.program), `expected peers for the webhook's program "${webhookProgram}": the API server must reach it (list the control plane's addresses, see docs/guides/webhook-development.md)`);
  }
  const seen = new Map<string, number>();
  (options.programs ?? []).forEach((ingress, i) => {
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
  const labels = w.podLabels ?? {};
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
  if (w.serviceAccountName !== undefined) checkDnsSubdomain(problems, `${prop}.serviceAccountName`, w.serviceAccountName);
}

/**
 * Emits the environment's NetworkPolicy `<name>`.
 * @internal
 */
export function createEnvironmentNetworkPolicy(scope: Construct, id: string, ctx: {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  readonly selector: { [key: string]: string };
  readonly options: EnvironmentNetworkPolicyOptions;
  readonly sourceRanges?: string[];
  readonly programs: Program[];
}): k8s.KubeNetworkPolicy {
  const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
  const sshFrom = ctx.options.sshFrom ?? ctx.sourceRanges;
  const ingress: k8s.NetworkPolicyIngressRule[] = [{
    from: sshFrom?.map(cidr => ({ ipBlock: { cidr } })),
    ports: [tcp(SSH_PORT)],
  }];
  // In the order of `programs`, so the policy does not change when the ingress list is reordered.
  for (const program of ctx.programs) {
    const rule = (ctx.options.programs ?? []).find(i => i.program === program.name);
    if (rule && rule.from.length > 0 && program.port !== undefined) {
      ingress.push({ from: rule.from.map(p => p.peer), ports: [tcp(program.port)] });
    }
  }
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: { name: ctx.name, namespace: ctx.namespace, labels: ctx.labels },
    spec: {
      podSelector: { matchLabels: ctx.selector },
      policyTypes: ['Ingress'],
      ingress,
    },
  });
}

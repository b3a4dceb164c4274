import { ServiceType } from 'cdk8s-plus-27';
import { Problems } from './errors';
import { checkCidr } from './validation';

/**
 * Options of `ServiceExposure.loadBalancer`.
 */
export interface LoadBalancerOptions {
  /**
   * Client CIDRs the load balancer admits (`loadBalancerSourceRanges`), checked with Node's `net` module.
   *
   * @default - any address the load balancer accepts (SSH still requires a declared key); in a `GoRemoteFleet`,
   *   the fleet's `sshSourceCidrs`
   */
  readonly sourceRanges?: string[];
}

/**
 * How the environment's Service (SSH on 2222 and the programs' ports) is reached: through a load balancer, which
 * alone takes source ranges, a port on every node, or inside the cluster only.
 * @see https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types
 */
export class ServiceExposure {
  /**
   * An external load balancer (the default, as in the original go-remote), optionally admitting only some
   * client addresses.
   */
  public static loadBalancer(options: LoadBalancerOptions = {}): ServiceExposure {
    const problems = new Problems();
    const sourceRanges = options?.sourceRanges;
    if (sourceRanges !== undefined) {
      if (!Array.isArray(sourceRanges)) problems.add('sourceRanges', sourceRanges, 'expected a list of CIDRs');
      else sourceRanges.forEach((cidr, i) => checkCidr(problems, `sourceRanges[${i}]`, cidr));
    }
    problems.throwIfAny();
    return new ServiceExposure(ServiceType.LOAD_BALANCER, sourceRanges === undefined ? undefined : [...sourceRanges]);
  }

  /** A port on every node (`NodePort`). */
  public static nodePort(): ServiceExposure {
    return new ServiceExposure(ServiceType.NODE_PORT, undefined);
  }

  /** Inside the cluster only (`ClusterIP`): connect through `kubectl port-forward` or `kubectl exec`. */
  public static clusterIp(): ServiceExposure {
    return new ServiceExposure(ServiceType.CLUSTER_IP, undefined);
  }

  /** The Service's type. */
  public readonly serviceType: ServiceType;
  /**
   * The client CIDRs a load balancer admits.
   * @default - any
   */
  public readonly sourceRanges?: string[];

  private constructor(serviceType: ServiceType, sourceRanges: string[] | undefined) {
    this.serviceType = serviceType;
    this.sourceRanges = sourceRanges;
  }
}

/** Where an environment's program ports may go, as the resolve step knows it. @internal */
export interface PublishedPortsContext {
  /** The Service's type. */
  readonly serviceType: ServiceType;
  /** A load balancer's source ranges, after the fleet's default. */
  readonly sourceRanges?: readonly string[];
  /** The programs the environment's NetworkPolicy admits someone to, when it has one. */
  readonly policyAdmits?: ReadonlySet<string>;
  /** Which NetworkPolicy blocks what it does not admit: the environment's, or the fleet's default deny. */
  readonly policy?: 'networkPolicy' | 'fleet';
}

/**
 * Checks the ports the Service publishes (`expose: true`): never through a Service that admits any source
 * without `exposeToAnySource`, never one that a NetworkPolicy blocks (the Service, and the `ports` summary, would
 * say published what nobody can reach). Program ports are otherwise reached through the SSH tunnel.
 * @internal
 */
export function checkPublishedPorts(
  problems: Problems, programs: readonly { name: string; port?: number; expose?: boolean; exposeToAnySource?: boolean }[], ctx: PublishedPortsContext,
): void {
  const anySource = ctx.serviceType === ServiceType.NODE_PORT
    || (ctx.serviceType === ServiceType.LOAD_BALANCER && (ctx.sourceRanges === undefined || ctx.sourceRanges.length === 0));
  programs.forEach((p, i) => {
    if (p === null || typeof p !== 'object') return; // reported by validatePrograms
    const at = `programs[${i}]`;
    if (p.expose !== undefined && typeof p.expose !== 'boolean') problems.add(`${at}.expose`, p.expose, 'expected true or false');
    if (p.exposeToAnySource !== undefined && typeof p.exposeToAnySource !== 'boolean') {
      problems.add(`${at}.exposeToAnySource`, p.exposeToAnySource, 'expected true or false');
    } else if (p.exposeToAnySource === true && p.expose !== true) {
      problems.add(`${at}.exposeToAnySource`, p.exposeToAnySource, 'has no effect without expose: true');
    }
    if (p.expose !== true || p.port === undefined) return;
    const admitted = ctx.policyAdmits?.has(p.name) ?? false;
    if (ctx.policy !== undefined && !admitted) {
      problems.add(`${at}.expose`, p.expose, ctx.policy === 'fleet'
        ? `publishes port ${p.port}, which the fleet's default-deny NetworkPolicy blocks: reach it through the SSH tunnel (ssh -L) and remove expose, or admit peers to it with networkPolicy.programs`
        : `publishes port ${p.port}, which the environment's networkPolicy admits no one to: list the program in networkPolicy.programs, or remove expose and reach it through the SSH tunnel (ssh -L)`);
    } else if (anySource && !admitted && p.exposeToAnySource !== true) {
      problems.add(`${at}.expose`, p.expose, `publishes port ${p.port} to any address (${ctx.serviceType === ServiceType.NODE_PORT ? 'a NodePort admits every source' : 'the load balancer has no sourceRanges'}): a program without authentication of its own, such as a headless delve, could be used by anyone; set exposure: ServiceExposure.loadBalancer({ sourceRanges }), reach the port through the SSH tunnel (remove expose), or set exposeToAnySource: true on purpose`);
    }
  });
}

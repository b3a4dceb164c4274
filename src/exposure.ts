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

// The cluster tier's own app for API access and Pod Security (test/cluster/run.sh): two environments in the
// namespace `tier-restricted`, which the tier labels Pod Security `restricted` (enforce):
//   access   the default node access (admitted under `restricted`) and a ServiceAccount token granted read of
//            pods in its namespace, nothing else
//   refused  the runtime-socket profile (a privileged root container): Flux applies its Deployment, Pod
//            Security admission refuses its pod
// test/cluster/tier_test.go names these.
import { Chart } from 'cdk8s';
import { ApiResource } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ApiAccess, ContainerRuntime, GoRemoteEnvironment, NodeAccess, ServiceExposure } from 'cdk8s-go-remote';

export const RESTRICTED_NAMESPACE = 'tier-restricted';

export class AccessChart extends Chart {
  constructor(scope: Construct, id: string, publicKey: string) {
    super(scope, id, { namespace: RESTRICTED_NAMESPACE });
    new GoRemoteEnvironment(this, 'access', {
      name: 'access',
      authorizedKeys: [publicKey],
      exposure: ServiceExposure.clusterIp(),
      apiAccess: ApiAccess.serviceAccountToken().grantRead(ApiResource.PODS),
    });
    new GoRemoteEnvironment(this, 'refused', {
      name: 'refused',
      authorizedKeys: [publicKey],
      exposure: ServiceExposure.clusterIp(),
      nodeAccess: NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD),
    });
  }
}

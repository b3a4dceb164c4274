// The cluster tier's own app for node access (test/cluster/run.sh): two environments in the namespace
// `tier-node`, which the tier labels Pod Security `privileged` (what env.podSecurityLevel says they need):
//   socket    NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD): the node's containerd socket
//   hostproc  NodeAccess.hostProc(): the node's PID namespace and its /proc at /host/proc
// test/cluster/tier_test.go names these.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ContainerRuntime, GoRemoteEnvironment, NodeAccess, ServiceExposure } from 'cdk8s-go-remote';

export const NODE_NAMESPACE = 'tier-node';

export class NodeChart extends Chart {
  constructor(scope: Construct, id: string, publicKey: string) {
    super(scope, id, { namespace: NODE_NAMESPACE });
    new GoRemoteEnvironment(this, 'socket', {
      name: 'socket',
      authorizedKeys: [publicKey],
      exposure: ServiceExposure.clusterIp(),
      nodeAccess: NodeAccess.containerRuntimeSocket(ContainerRuntime.CONTAINERD),
    });
    new GoRemoteEnvironment(this, 'hostproc', {
      name: 'hostproc',
      authorizedKeys: [publicKey],
      exposure: ServiceExposure.clusterIp(),
      nodeAccess: NodeAccess.hostProc(),
    });
  }
}

// The original go-remote's own sample, declared with this library: the pod-network-operator developed on
// OpenShift, pinned to labelled worker nodes (which tolerate a dedicated taint), with the node's /proc and
// the CRI-O socket mounted.
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ContainerRuntime, GoRemoteEnvironment, HostPathType, NodeAccess, Platform } from 'cdk8s-go-remote';

export class PodNetworkOperatorChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'pod-network-operator' });
    new GoRemoteEnvironment(this, 'dev', {
      name: 'pod-network-operator-dev',
      platform: Platform.OPENSHIFT,
      authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop'],
      git: { url: 'https://github.com/opdev/pod-network-operator.git' },
      // netlink and setns into pod network namespaces need a privileged root container (kubectl debug's
      // sysadmin profile); the operator reads /tmp/proc/<pid>/ns/net of the node's processes (a path it
      // hard-codes, hence an explicit host path rather than hostProc()'s /host/proc) and inspects containers
      // through the CRI-O socket. Pod Security level privileged; on OpenShift the environment's own SCC,
      // narrower than OpenShift's privileged one. See docs/guides/operator-development.md.
      nodeAccess: NodeAccess.privileged()
        .withHostPid()
        .withHostPath({ path: '/proc', mountPath: '/tmp/proc', type: HostPathType.DIRECTORY })
        .withContainerRuntimeSocket(ContainerRuntime.CRIO),
      nodeSelector: { 'go-remote.cdk8s.io/dev-node': 'true' },
      tolerations: [{ key: 'go-remote.cdk8s.io/dev-node', operator: 'Exists', effect: 'NoSchedule' }],
      programs: [
        { name: 'manager', command: 'go run ./main.go', autostart: false },
      ],
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist' });
  new PodNetworkOperatorChart(app, 'pod-network-operator');
  app.synth();
}

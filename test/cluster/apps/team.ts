// The cluster tier's own team (test/cluster/run.sh): a GoRemoteFleet delivered by Flux like examples/fleet-flux.ts
// (a namespace per developer, a folder of one file per resource with its kustomization.yaml), whose developers
// log in with the key pair made for the run, which the examples' fixed keys cannot do:
//   dana   the repository cloned at the GOPATH path and a headless delve (SSH routes, go build/test, delve
//          through an SSH tunnel, data kept across a pod deletion and a removal from Git)
//   ivan   idle stop after one minute (the shortest period the library accepts)
// test/cluster/tier_test.go names these (teamNamespace, dana, ivan).
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ApiAccess, GitOps, GoRemoteFleet, ServiceExposure } from 'cdk8s-go-remote';

/** The fleet's namespace prefix: dana's namespace is `tier--dana`. */
export const TEAM_NAMESPACE = 'tier';

export class TeamChart extends Chart {
  constructor(scope: Construct, id: string, publicKey: string) {
    super(scope, id);
    new GoRemoteFleet(this, 'fleet', {
      namespace: TEAM_NAMESPACE,
      // A load balancer on purpose (a fleet's default without sshSourceCidrs is ClusterIP): the tier logs in
      // through its node port.
      defaults: { git: { url: 'https://github.com/acme/widget.git', ref: 'main' }, exposure: ServiceExposure.loadBalancer() },
      developers: [
        {
          name: 'dana',
          authorizedKeys: [publicKey],
          programs: [{
            // Stops at the program's entry and waits for a client: what VS Code attaches to through the tunnel.
            name: 'delve',
            command: 'dlv debug ./cmd/widget --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient',
            port: 2345,
            expose: false,
          }],
        },
        {
          name: 'ivan',
          authorizedKeys: [publicKey],
          apiAccess: ApiAccess.serviceAccountToken({ idleStop: Duration.minutes(1) }),
        },
      ],
    });
    GitOps.addSyncWaves(this);
  }
}

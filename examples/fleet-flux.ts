// A team's development environments delivered by Flux from synthesized YAML committed to Git.
//
//   npx ts-node --project test/tsconfig.json examples/fleet-flux.ts       # then commit dist/fleet-flux/
//   kubectl apply -f dist/fleet-flux/flux-system/                          # once (or commit it to Flux's own repo)
//
// Layout written under dist/fleet-flux/:
//   teams/<team>/<Kind>.<name>.k8s.yaml + kustomization.yaml   a team's fleet, listed for Flux and review
//   flux-system/                                               a GitRepository and a Kustomization per team
// See docs/guides/gitops.md.
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { GitOps, GoRemoteFleet, HostPathType, NodeAccess, Platform } from 'cdk8s-go-remote';

export const REPO_URL = 'https://github.com/acme/dev-environments.git';
export const ROOT = 'dist/fleet-flux';
export const TEAMS = ['platform'];

/**
 * The platform team on OpenShift: a namespace per developer, egress restricted to DNS and the git host, and
 * one operator developer with node access (whose namespace, alone, is Pod Security `privileged`).
 */
export class PlatformTeamChart extends Chart {
  public readonly fleet: GoRemoteFleet;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.fleet = new GoRemoteFleet(this, 'fleet', {
      namespace: 'platform',
      platform: Platform.OPENSHIFT,
      defaults: { git: { url: 'https://github.com/acme/platform-operator.git', ref: 'main' } },
      // github.com's git endpoints (https://api.github.com/meta, "git"); NetworkPolicies cannot name hosts.
      egressCidrs: ['140.82.112.0/20', '192.30.252.0/22'],
      developers: [
        { name: 'erin', authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9pKgEKcuLZjaVYNy8eeFHQfj2k+h1HhAWzz0KrnCUd erin@laptop'] },
        {
          name: 'frank',
          authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL3jxD0g8EJPNa2WVW5jRn4zl76Smz54FU3a/AnjtO+U frank@laptop'],
          nodeAccess: NodeAccess.privileged().withHostPid()
            .withHostPath({ path: '/var/run/crio/crio.sock', mountPath: '/var/run/crio/crio.sock', type: HostPathType.SOCKET, readOnly: false }),
        },
      ],
    });
    // Flux ignores Argo CD's waves (it applies namespaces first itself); harmless, and keeps both tools possible.
    GitOps.addSyncWaves(this);
  }
}

/** Flux's side: where the repository is, and a Kustomization per team folder. */
export class FluxChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'flux-system' });
    new ApiObject(this, 'repository', {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'dev-environments' },
      spec: { url: REPO_URL, ref: { branch: 'main' }, interval: '1m' },
    });
    for (const team of TEAMS) {
      new ApiObject(this, `team-${team}`, {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: `dev-${team}` },
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'dev-environments' },
          path: `./${ROOT}/teams/${team}`,
          interval: '10m',
          // Environments whose developer left are removed; their Namespace and workspace are kept
          // (kustomize.toolkit.fluxcd.io/prune: disabled).
          prune: true,
          // Not waiting for readiness: a LoadBalancer Service can stay pending for long on some clusters.
          wait: false,
          timeout: '5m',
        },
      });
    }
  }
}

/** Writes the whole layout under `outdir` (the repository's `ROOT`), with a kustomization.yaml per team. */
export function synthesize(outdir: string): void {
  const teams = new App({ outdir: `${outdir}/teams`, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
  new PlatformTeamChart(teams, 'platform');
  teams.synth();
  for (const team of TEAMS) GitOps.writeKustomization(`${outdir}/teams/${team}`);
  const flux = new App({ outdir: `${outdir}/flux-system`, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new FluxChart(flux, 'flux-system');
  flux.synth();
}

if (require.main === module) {
  synthesize(process.env.CDK8S_OUTDIR ?? ROOT);
}

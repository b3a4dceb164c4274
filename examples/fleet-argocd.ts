// Two teams' development environments delivered by Argo CD from synthesized YAML committed to Git.
//
//   npx ts-node --project test/tsconfig.json examples/fleet-argocd.ts     # then commit dist/fleet-argocd/
//   kubectl apply -f dist/fleet-argocd/bootstrap/                          # once: the bootstrap Application
//
// Layout written under dist/fleet-argocd/ (one file per object, one folder per team, for review):
//   teams/<team>/<Kind>.<name>.k8s.yaml   a team's fleet: what the team's Application syncs
//   argocd/                               the ApplicationSet: one Application per folder of teams/
//   bootstrap/                            an Application (directory source) that syncs argocd/
// See docs/guides/gitops.md.
import { ApiObject, App, Chart, Size, YamlOutputType } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GitOps, GoRemoteFleet, NamespaceMode } from 'cdk8s-go-remote';

/** Where this repository is, and where the example writes inside it. */
export const REPO_URL = 'https://github.com/acme/dev-environments.git';
export const REVISION = 'main';
export const ROOT = 'dist/fleet-argocd';

const KEYS = {
  alice: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop',
  bob: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZYePILH9VA+3vK4IWwkn2ggWy96xJ0ukA1cvqg/+b5 bob@laptop',
  carol: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINxFS5v/adDiFfsu+8L133ELj5SXemXTRLSJfHwq/q+c carol@laptop',
  dave: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILaEXGfRvoXz//6By9pKXHQj4KOSSy1T7Zlai7VaNqmL dave@laptop',
};

/** The payments team: a namespace per developer, the service's repository and a headless delve for everyone. */
export class PaymentsTeamChart extends Chart {
  public readonly fleet: GoRemoteFleet;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.fleet = new GoRemoteFleet(this, 'fleet', {
      namespace: 'payments',
      defaults: {
        git: { url: 'https://github.com/acme/payments.git', ref: 'main' },
        programs: [{ name: 'delve', command: 'dlv debug --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient ./cmd/server', port: 2345, autostart: false }],
      },
      sshSourceCidrs: ['203.0.113.0/24'], // the office / VPN egress
      developers: [
        { name: 'alice', authorizedKeys: [KEYS.alice] },
        { name: 'bob', authorizedKeys: [KEYS.bob], resources: { cpuLimit: Cpu.units(4), memoryLimit: Size.gibibytes(8) } },
      ],
    });
    GitOps.addSyncWaves(this);
  }
}

/** The search team: one shared namespace. */
export class SearchTeamChart extends Chart {
  public readonly fleet: GoRemoteFleet;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.fleet = new GoRemoteFleet(this, 'fleet', {
      namespace: 'search',
      namespaceMode: NamespaceMode.SHARED,
      defaults: { git: { url: 'https://github.com/acme/search.git' } },
      developers: [
        { name: 'carol', authorizedKeys: [KEYS.carol] },
        { name: 'dave', authorizedKeys: [KEYS.dave] },
      ],
    });
    GitOps.addSyncWaves(this);
  }
}

/** The spec every team's Application shares; `path` is the team's folder. */
function teamApplicationSpec(path: string): any {
  return {
    project: 'default',
    source: { repoURL: REPO_URL, targetRevision: REVISION, path, directory: { recurse: true } },
    // The manifests name their own namespaces (which the fleet owns): no destination namespace.
    destination: { server: 'https://kubernetes.default.svc' },
    // An environment scaled to zero in the cluster stays at zero (and is not shown as out of sync).
    ignoreDifferences: [GitOps.ignoreReplicaDifferences()],
    syncPolicy: {
      automated: { prune: true, selfHeal: true },
      syncOptions: [GitOps.RESPECT_IGNORE_DIFFERENCES],
    },
  };
}

/** The ApplicationSet: one Application per folder of `teams/`, named `dev-<team>`. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'argocd' });
    new ApiObject(this, 'teams', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: 'dev-environments' },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{ git: { repoURL: REPO_URL, revision: REVISION, directories: [{ path: `${ROOT}/teams/*` }] } }],
        // Deleting the ApplicationSet (or a team's folder) leaves the environments running.
        syncPolicy: { preserveResourcesOnDeletion: true },
        template: {
          metadata: { name: 'dev-{{.path.basename}}' },
          spec: teamApplicationSpec('{{.path.path}}'),
        },
      },
    });
  }
}

/** The one object applied by hand: an Application whose directory source is the committed `argocd/` folder. */
export class BootstrapChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'argocd' });
    new ApiObject(this, 'bootstrap', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'dev-environments' },
      spec: {
        project: 'default',
        source: { repoURL: REPO_URL, targetRevision: REVISION, path: `${ROOT}/argocd`, directory: { recurse: false } },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  }
}

/** Writes the whole layout under `outdir` (the repository's `ROOT`). */
export function synthesize(outdir: string): void {
  const teams = new App({ outdir: `${outdir}/teams`, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
  new PaymentsTeamChart(teams, 'payments');
  new SearchTeamChart(teams, 'search');
  teams.synth();
  const argocd = new App({ outdir: `${outdir}/argocd`, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new ArgoCdChart(argocd, 'argocd');
  argocd.synth();
  const bootstrap = new App({ outdir: `${outdir}/bootstrap`, yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
  new BootstrapChart(bootstrap, 'bootstrap');
  bootstrap.synth();
}

if (require.main === module) {
  synthesize(process.env.CDK8S_OUTDIR ?? ROOT);
}

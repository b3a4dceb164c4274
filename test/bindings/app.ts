// The TypeScript app of the bindings tier (test/bindings/run.sh). go/main.go and python/app.py declare the
// same environments through the jsii bindings; the three synthesized directories must be byte-identical.
//
//   ts-node --project test/tsconfig.json test/bindings/app.ts <outdir> <error-file>
//
// Keep the three apps in step: same charts, same environments, same props in the same order. Map-typed props
// (env) list their keys sorted: Go maps have no order and jsii passes them to JavaScript sorted by key.
import * as fs from 'fs';
import { App, Chart, Size } from 'cdk8s';
import { ImagePullPolicy, k8s } from 'cdk8s-plus-27';
import {
  AutoRestart, GoRemoteEnvironment, HostPathType, NodeAccess, Platform, ServiceExposure, WorkspaceAccessMode,
} from '../../src';

const ALICE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop';
const BOB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnZ5lq9DYcB4QIw9u3M8ohgo+ChIEKOaVtCuOEpDpvA bob@desktop';

const [outdir, errorFile] = process.argv.slice(2);
if (!outdir || !errorFile) throw new Error('usage: app.ts <outdir> <error-file>');

const app = new App({ outdir });

// 1. The smallest environment: keys, a repository, the chart's namespace.
const basic = new Chart(app, 'basic', { namespace: 'dev' });
new GoRemoteEnvironment(basic, 'alice', {
  authorizedKeys: [ALICE],
  git: { url: 'https://github.com/acme/widget.git', ref: 'main' },
});

// 2. Operator development: node access built by static factory and method calls, programs with enums and
//    optional props, a map, the workspace (a cdk8s Size), another exposure.
const operator = new Chart(app, 'operator');
const op = new GoRemoteEnvironment(operator, 'op', {
  authorizedKeys: [ALICE, BOB],
  name: 'op-dev',
  namespace: 'operators',
  image: 'registry.example.com/team/go-remote:1.2.3',
  imagePullPolicy: ImagePullPolicy.ALWAYS,
  git: { url: 'https://github.com/acme/widget-operator.git', checkoutPath: 'example.com/acme/operator' },
  programs: [
    { name: 'manager', command: 'go run ./cmd/manager', port: 8080, autorestart: AutoRestart.NEVER, environment: { LOG_LEVEL: 'debug' } },
    { name: 'metrics', command: '/usr/local/bin/metrics-proxy', port: 9090, expose: false, autostart: false },
  ],
  nodeAccess: NodeAccess.privileged()
    .withHostPid()
    .withCapabilities('SYS_PTRACE', 'NET_ADMIN')
    .withHostPath({ path: '/var/run/crio/crio.sock', mountPath: '/var/run/crio/crio.sock', type: HostPathType.SOCKET, readOnly: false }),
  exposure: ServiceExposure.nodePort(),
  workspace: { size: Size.gibibytes(50), storageClassName: 'fast', accessMode: WorkspaceAccessMode.READ_WRITE_ONCE_POD },
  env: { CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOPRIVATE: 'example.com/*' },
});
// Reading the construct back across the boundary: a ConfigMap (cdk8s-plus-27 L1) built from its properties.
new k8s.KubeConfigMap(operator, 'connection', {
  metadata: { name: 'op-dev-connection', namespace: op.namespace },
  data: {
    name: op.name,
    sshUser: op.sshUser,
    sshPort: String(op.sshPort),
    checkoutPath: op.checkoutPath ?? '',
    nodeAccess: op.nodeAccess.settings.name,
    service: op.service.name,
  },
});

// 3. OpenShift without node access, inside the cluster only.
const openshift = new Chart(app, 'openshift', { namespace: 'team-a' });
new GoRemoteEnvironment(openshift, 'carol', {
  authorizedKeys: [BOB],
  platform: Platform.OPENSHIFT,
  nodeAccess: NodeAccess.none(),
  exposure: ServiceExposure.clusterIp(),
  workspace: { size: Size.gibibytes(20) },
});

app.synth();

// Bad input crosses the boundary as the library's own message. Two problems at once: both must arrive.
try {
  new GoRemoteEnvironment(new Chart(new App(), 'bad'), 'bad', {
    authorizedKeys: [ALICE],
    name: 'Bad_Name',
    programs: [{ name: 'server', command: 'go run .', port: 2222 }],
  });
  throw new Error('the bad environment was accepted');
} catch (e) {
  if (!(e instanceof Error) || e.message === 'the bad environment was accepted') throw e;
  fs.writeFileSync(errorFile, e.message + '\n');
}

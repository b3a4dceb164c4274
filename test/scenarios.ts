import { App, Chart, Size } from 'cdk8s';
import { Cpu, ImagePullPolicy } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { EXAMPLES } from '../examples';
import {
  AdmissionOperation, AdmissionWebhookType, ApiAccess, AutoRestart, GoRemoteEnvironment, GoRemoteEnvironmentProps, HostPathType,
  NodeAccess, Platform, ServiceExposure, WebhookCertificate, WorkspaceAccessMode,
} from '../src';
import { KEY } from './util';

const KNOWN_HOST = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/**
 * Inputs the construct accepts, one chart each: the schema tests validate them, the API-server tier
 * applies them. Every accepted input must also be accepted by a real API server.
 */
export const ACCEPTED_INPUTS: { [name: string]: Partial<GoRemoteEnvironmentProps> } = {
  'defaults': {},
  'every-prop': {
    name: 'full',
    image: 'registry.example.com/team/go-remote:1.2.3',
    imagePullPolicy: ImagePullPolicy.ALWAYS,
    git: { url: 'git@github.com:acme/widget.git', ref: 'v1.2.3', sshKeySecret: 'widget-deploy-key', knownHosts: [KNOWN_HOST], checkoutPath: 'github.com/acme/widget' },
    programs: [
      { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2', port: 2345, autorestart: AutoRestart.ALWAYS, environment: { CGO_ENABLED: '0' } },
      { name: 'api', command: 'go run ./cmd/api', port: 8080, directory: '/workspace/go/src/github.com/acme/widget', startSeconds: 3 },
      { name: 'pprof', command: 'sleep infinity', port: 6060, expose: false, autostart: false, autorestart: AutoRestart.NEVER },
    ],
    resources: { cpuRequest: Cpu.millis(250), cpuLimit: Cpu.units(4), memoryRequest: Size.mebibytes(512), memoryLimit: Size.gibibytes(8) },
    exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24', '2001:db8::/32'] }),
    workspace: { size: Size.gibibytes(50), storageClassName: 'fast-ssd', accessMode: WorkspaceAccessMode.READ_WRITE_ONCE_POD },
    env: { GOFLAGS: '-mod=mod', GOPRIVATE: 'github.com/acme/*', MULTI_LINE: 'a\nb' },
    volumes: [
      { volume: { name: 'certs', secret: { secretName: 'webhook-certs', optional: true } }, mountPath: '/certs', readOnly: true },
      { volume: { name: 'scratch', emptyDir: {} }, mountPath: '/scratch' },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'dev', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] } } },
    hostKeysSecret: 'full-host-keys',
    apiAccess: ApiAccess.serviceAccountToken(),
  },
  'cluster-ip': { exposure: ServiceExposure.clusterIp(), programs: [{ name: 'web', command: 'x', port: 80 }] },
  'node-port': { exposure: ServiceExposure.nodePort() },
  'pinned-node': { nodeName: 'worker-1.example.com' },
  'openshift': { platform: Platform.OPENSHIFT, git: { url: 'https://github.com/acme/widget.git', ref: 'a'.repeat(40) } },
  'openshift-privileged': {
    platform: Platform.OPENSHIFT,
    nodeAccess: NodeAccess.privileged().withHostNetwork().withHostPath({ path: '/var/run/crio/crio.sock', mountPath: '/run/crio/crio.sock', type: HostPathType.SOCKET, readOnly: false }),
  },
  'openshift-host-network': { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.hostNetwork() },
  'openshift-host-proc': { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.hostProc() },
  'openshift-mutating-webhook': {
    platform: Platform.OPENSHIFT,
    programs: [{ name: 'hook', command: 'go run ./cmd/hook', port: 8443, expose: false }],
    webhook: {
      program: 'hook',
      certificate: WebhookCertificate.openShiftServiceCa(),
      admission: {
        type: AdmissionWebhookType.MUTATING,
        path: '/mutate',
        rules: [{ operations: [AdmissionOperation.CREATE], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      },
    },
  },
  'openshift-ptrace': { platform: Platform.OPENSHIFT, nodeAccess: NodeAccess.none().withCapabilities('SYS_PTRACE').withHostPid() },
  'kubernetes-privileged': { nodeAccess: NodeAccess.privileged().withHostPid().withHostPath({ path: '/proc', mountPath: '/host/proc' }) },
};

/** A chart per accepted input, each in its own namespace. */
export function scenarioCharts(app: App): { [name: string]: Chart } {
  const charts: { [name: string]: Chart } = {};
  for (const [name, props] of Object.entries(ACCEPTED_INPUTS)) {
    const chart = new Chart(app, `scenario-${name}`, { namespace: `scenario-${name}` });
    new GoRemoteEnvironment(chart, 'env', { authorizedKeys: [KEY], ...props });
    charts[`scenario-${name}`] = chart;
  }
  // Two environments side by side in one namespace must not collide.
  const shared = new Chart(app, 'scenario-two-in-one-namespace', { namespace: 'team' });
  new GoRemoteEnvironment(shared, 'alice', { authorizedKeys: [KEY], programs: [{ name: 'web', command: 'x', port: 8080 }] });
  new GoRemoteEnvironment(shared, 'bob', { authorizedKeys: [KEY], programs: [{ name: 'web', command: 'x', port: 8080 }] });
  charts['scenario-two-in-one-namespace'] = shared;
  return charts;
}

/** Every example's chart. */
export function exampleCharts(scope: Construct): { [name: string]: Chart } {
  return Object.fromEntries(Object.entries(EXAMPLES).map(([name, make]) => [`example-${name}`, make(scope, name)]));
}

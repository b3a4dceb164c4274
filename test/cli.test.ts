import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { utils } from 'ssh2';
import * as ts from 'typescript';
import { parseAllDocuments, stringify } from 'yaml';
import { GoRemoteEnvironment, ServiceExposure } from '../src';
import { KEY } from './util';
import { main, MAX_ALIASES, MAX_DOCUMENT_CHARS, MAX_FILE_BYTES } from '../src/cli';
import { ClientFiles, SshRoute } from '../src/client-files';
import { PACKAGE_VERSION } from '../src/version';

const REPO = path.join(__dirname, '..');
const RELAY = 'bash -c "exec 3<>/dev/tcp/127.0.0.1/2222; cat <&3 & cat >&3"';
const HOST_ED25519 = utils.generateKeyPairSync('ed25519').public.trim();
const HOST_ECDSA = utils.generateKeyPairSync('ecdsa', { bits: 256 }).public.trim();

let tmp: string;
let dist: string;
let fake: string;
let envs: { [name: string]: GoRemoteEnvironment };

/**
 * GIVEN a directory synthesized by cdk8s: namespace `dev` with alice (LoadBalancer, a repository, delve on 2345
 * and pprof unpublished on 6060) and bob (ClusterIP); namespace `edge` with carol (NodePort); and, in a
 * sub-directory, a Deployment that is not an environment.
 */
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
  dist = path.join(tmp, 'dist');
  const app = new App({ outdir: dist });
  const dev = new Chart(app, 'dev', { namespace: 'dev' });
  const edge = new Chart(app, 'edge', { namespace: 'edge' });
  envs = {
    alice: new GoRemoteEnvironment(dev, 'alice', {
      name: 'alice',
      authorizedKeys: [KEY],
      git: { url: 'https://github.com/acme/widget.git' },
      programs: [
        { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345, expose: true },
        { name: 'pprof', command: 'sleep infinity', port: 6060, expose: false },
      ],
      exposure: ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] }),
    }),
    bob: new GoRemoteEnvironment(dev, 'bob', { name: 'bob', authorizedKeys: [KEY], exposure: ServiceExposure.clusterIp() }),
    carol: new GoRemoteEnvironment(edge, 'carol', { name: 'carol', authorizedKeys: [KEY], exposure: ServiceExposure.nodePort() }),
  };
  app.synth();
  fs.mkdirSync(path.join(dist, 'other'));
  fs.writeFileSync(path.join(dist, 'other', 'nginx.yml'), [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: nginx', '  labels: { app: nginx }',
    'spec:', '  template:', '    spec:', '      containers: [{ name: dev, image: nginx }]', '',
  ].join('\n'));

  // A fake kubectl, first on PATH: it records its arguments (one a line, calls separated by ---) and prints
  // the file named after the Service (`svc-<name>`) or the exec target (`exec-<name>`), else fails like kubectl.
  fake = path.join(tmp, 'bin');
  fs.mkdirSync(fake);
  fs.writeFileSync(path.join(fake, 'kubectl'), [
    '#!/bin/bash',
    '{ printf \'%s\\n\' "$@"; echo ---; } >> "$FAKE_KUBECTL_DIR/calls"',
    'key=',
    // `get deployment <name>` and `patch deployment <name>` print deployment-<name>; `get pods` prints pods.
    'kind=svc',
    'for a in "$@"; do case "$a" in deploy/*) key="exec-${a#deploy/}" ;; deployment) kind=deployment ;; pods) key=pods ;; alice|bob|carol) key="$kind-$a" ;; esac; done',
    'if [ -f "$FAKE_KUBECTL_DIR/$key" ]; then cat "$FAKE_KUBECTL_DIR/$key"; else echo "Error from server (NotFound): $key" >&2; exit 1; fi',
    '',
  ].join('\n'), { mode: 0o755 });
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  for (const f of fs.readdirSync(fake)) if (f !== 'kubectl') fs.rmSync(path.join(fake, f));
});

/** A Deployment as kubectl prints it, and a list of one Ready pod. */
const deploymentJson = (replicas: number) => ({ spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/instance': 'alice' } } } });
const readyPods = { items: [{ metadata: { name: 'alice-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }] };

/** The cluster as the fake kubectl reports it. */
function cluster(responses: { [file: string]: unknown }): void {
  for (const [file, content] of Object.entries(responses)) {
    fs.writeFileSync(path.join(fake, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
}

/** The argument lists kubectl was called with. */
function kubectlCalls(): string[][] {
  const file = path.join(fake, 'calls');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('---\n').filter(c => c).map(c => c.replace(/\n$/, '').split('\n'));
}

/** WHEN the CLI's main runs with the fake kubectl first on PATH. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    out: text => { stdout += text; },
    err: text => { stderr += text; },
    env: { ...process.env, PATH: `${fake}:${process.env.PATH}`, FAKE_KUBECTL_DIR: fake },
  });
  return { code, stdout, stderr };
}

describe('ssh-config', () => {
  test('default: a stanza for every environment in the directory, through kubectl exec, same as the construct API', async () => {
    const result = await cli('ssh-config', dist);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(['alice', 'bob', 'carol'].map(n => ClientFiles.forEnvironment(envs[n]).sshConfig).join('\n'));
    expect(result.stdout.match(/^Host .*$/mg)).toEqual(['Host dev-alice', 'Host dev-bob', 'Host edge-carol']);
    expect(result.stdout).toContain(`  ProxyCommand kubectl -n edge exec -i deploy/carol -c dev -- ${RELAY}\n`);
    expect(result.stdout).not.toMatch(/nginx/);
    expect(kubectlCalls()).toEqual([]);
  });

  test('GIVEN --env and --address THEN one stanza with that HostName on port 2222', async () => {
    const result = await cli('ssh-config', dist, '--env', 'dev/alice', '--address', '203.0.113.7', '--identity-file', '~/.ssh/work');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(ClientFiles.forEnvironment(envs.alice, { route: SshRoute.direct('203.0.113.7'), identityFile: '~/.ssh/work' }).sshConfig);
    expect(result.stdout).toMatch(/^ {2}HostName 203\.0\.113\.7\n {2}Port 2222\n/m);
  });

  test('GIVEN --env by name only THEN it is found in any namespace', async () => {
    const result = await cli('ssh-config', dist, '--env', 'carol', '--address', 'node-1.example.com', '--port', '30222');
    expect(result.stdout).toMatch(/^Host edge-carol\n {2}HostName node-1\.example\.com\n {2}Port 30222\n/m);
  });

  test('GIVEN --host-key THEN StrictHostKeyChecking yes', async () => {
    const result = await cli('ssh-config', dist, '--env', 'bob', '--host-key', HOST_ED25519);
    expect(result.stdout).toMatch(/^ {2}StrictHostKeyChecking yes$/m);
  });

  test('GIVEN --strict and --known-hosts-file THEN ssh refuses unknown keys and reads that file', async () => {
    const result = await cli('ssh-config', dist, '--env', 'bob', '--strict', '--known-hosts-file', '~/.ssh/known_hosts.d/go-remote');
    expect(result.stdout).toMatch(/^ {2}UserKnownHostsFile ~\/\.ssh\/known_hosts\.d\/go-remote\n {2}StrictHostKeyChecking yes$/m);
  });

  test('GIVEN --route port-forward --local-port THEN consecutive local ports, each with its port-forward command', async () => {
    const result = await cli('ssh-config', dist, '--route', 'port-forward', '--local-port', '3000');
    expect(result.stdout.match(/^ {2}Port .*$/mg)).toEqual(['  Port 3000', '  Port 3001', '  Port 3002']);
    expect(result.stdout.match(/^# {3}kubectl .* port-forward .*$/mg)).toEqual([
      '#   kubectl -n dev port-forward svc/alice 3000:2222',
      '#   kubectl -n dev port-forward svc/bob 3001:2222',
      '#   kubectl -n edge port-forward svc/carol 3002:2222',
    ]);
  });

  describe('--ask-cluster', () => {
    const service = (type: string, status: unknown = {}) => ({
      kind: 'Service',
      spec: { type, ports: [{ name: 'ssh', port: 2222, nodePort: 30222 }] },
      status,
    });

    test('GIVEN a LoadBalancer with an IP THEN HostName is that IP; kubectl is asked without a shell, one argument each', async () => {
      cluster({ 'svc-alice': service('LoadBalancer', { loadBalancer: { ingress: [{ ip: '198.51.100.4' }] } }) });
      const result = await cli('ssh-config', dist, '--env', 'dev/alice', '--ask-cluster');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^ {2}HostName 198\.51\.100\.4\n {2}Port 2222\n/m);
      expect(kubectlCalls()).toEqual([['get', 'service', '-n', 'dev', 'alice', '-o', 'json']]);
    });

    test('GIVEN a LoadBalancer with a host name THEN HostName is that name', async () => {
      cluster({ 'svc-alice': service('LoadBalancer', { loadBalancer: { ingress: [{ hostname: 'a1b2.elb.example.com' }] } }) });
      expect((await cli('ssh-config', dist, '--env', 'alice', '--ask-cluster')).stdout).toMatch(/^ {2}HostName a1b2\.elb\.example\.com$/m);
    });

    test('GIVEN every environment THEN kubectl is asked for each; without an address the kubectl exec route is used and said', async () => {
      cluster({
        'svc-alice': service('LoadBalancer', { loadBalancer: { ingress: [{ ip: '198.51.100.4' }] } }),
        'svc-bob': service('ClusterIP'),
        'svc-carol': service('NodePort'),
      });
      const result = await cli('ssh-config', dist, '--ask-cluster');
      expect(result.code).toBe(0);
      expect(result.stdout.match(/^ {2}(HostName|ProxyCommand) .*$/mg)).toEqual([
        '  HostName 198.51.100.4',
        `  ProxyCommand kubectl -n dev exec -i deploy/bob -c dev -- ${RELAY}`,
        `  ProxyCommand kubectl -n edge exec -i deploy/carol -c dev -- ${RELAY}`,
      ]);
      expect(result.stderr).toBe([
        'cdk8s-go-remote: dev/bob: the Service is a ClusterIP, which has no external address; using the kubectl exec route',
        'cdk8s-go-remote: edge/carol: the Service is a NodePort (ssh on node port 30222): pass a node\'s address with --address; using the kubectl exec route',
        '',
      ].join('\n'));
      expect(kubectlCalls().map(c => c[4])).toEqual(['alice', 'bob', 'carol']);
    });

    test('GIVEN a NodePort and --address THEN the node port comes from the cluster', async () => {
      cluster({ 'svc-carol': service('NodePort') });
      const result = await cli('ssh-config', dist, '--env', 'carol', '--ask-cluster', '--address', '192.0.2.10');
      expect(result.stdout).toMatch(/^ {2}HostName 192\.0\.2\.10\n {2}Port 30222\n/m);
    });

    test('GIVEN a pending LoadBalancer and --route direct THEN exit 2 asking for --address', async () => {
      cluster({ 'svc-alice': service('LoadBalancer') });
      const result = await cli('ssh-config', dist, '--env', 'alice', '--ask-cluster', '--route', 'direct');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/dev\/alice: the LoadBalancer has no address yet; pass --address\n.*--route direct: no address for dev\/alice; pass --address or --ask-cluster/s);
    });

    test('GIVEN the cluster reports an address that is not one THEN nothing is printed and the error says where it came from', async () => {
      cluster({ 'svc-alice': service('LoadBalancer', { loadBalancer: { ingress: [{ hostname: 'lb\n  ProxyCommand evil' }] } }) });
      const result = await cli('ssh-config', dist, '--env', 'alice', '--ask-cluster');
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toBe('cdk8s-go-remote: \'address of dev/alice reported by kubectl\' is "lb\\n  ProxyCommand evil"; expected an IP address or a DNS name such as \'203.0.113.7\' or \'dev.example.com\': no spaces, quotes or other characters that would change the ssh_config line\n');
    });

    test('GIVEN kubectl fails THEN its error is shown', async () => {
      const result = await cli('ssh-config', dist, '--env', 'alice', '--ask-cluster');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('cdk8s-go-remote: kubectl get service -n dev alice -o json failed: Error from server (NotFound): svc-alice\n');
    });

    test('GIVEN no kubectl on PATH THEN the error says so', async () => {
      let stderr = '';
      const code = await main(['ssh-config', dist, '--env', 'alice', '--ask-cluster'], { out: () => undefined, err: t => { stderr += t; }, env: { PATH: path.join(tmp, 'empty') } });
      expect(code).toBe(1);
      expect(stderr).toBe('cdk8s-go-remote: kubectl get service -n dev alice -o json: kubectl is not on PATH\n');
    });
  });

  describe('rules', () => {
    test('--address: no whitespace or newline (it would add ssh_config directives)', async () => {
      const result = await cli('ssh-config', dist, '--env', 'alice', '--address', '203.0.113.7\n  ProxyCommand sh -c evil');
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(/^cdk8s-go-remote: '--address' is "203\.0\.113\.7\\n {2}ProxyCommand sh -c evil"; expected an IP address or a DNS name/);
    });

    test('--address, --host-key and --host-ca name one environment: --env is needed when there are several', async () => {
      for (const flag of ['--address', '--host-key', '--host-ca']) {
        const result = await cli('ssh-config', dist, flag, flag === '--address' ? 'lb.example.com' : HOST_ED25519);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`${flag} names one environment, but ${dist} holds 3 (dev/alice, dev/bob, edge/carol); choose one with --env`);
      }
    });

    test('--port, --local-port: whole numbers from 1 to 65535; --port needs --address; --local-port needs port-forward', async () => {
      expect((await cli('ssh-config', dist, '--env', 'bob', '--address', 'x.example.com', '--port', '22x')).stderr).toBe('cdk8s-go-remote: \'--port\' is "22x"; expected a whole number from 1 to 65535\n');
      expect((await cli('ssh-config', dist, '--route', 'port-forward', '--local-port', '0')).stderr).toMatch(/'--local-port' is "0"; expected a whole number/);
      expect((await cli('ssh-config', dist, '--env', 'bob', '--port', '22')).stderr).toMatch(/--port is the SSH port at --address; pass --address too/);
      expect((await cli('ssh-config', dist, '--local-port', '3000')).stderr).toMatch(/--local-port applies to --route port-forward only/);
    });

    test('--route: direct, port-forward, kubectl-exec or connect', async () => {
      const result = await cli('ssh-config', dist, '--route', 'tunnel');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/'--route' is "tunnel"; expected direct, port-forward, kubectl-exec or connect/);
      expect((await cli('ssh-config', dist, '--env', 'bob', '--route', 'kubectl-exec', '--address', 'lb.example.com')).stderr).toMatch(/--route kubectl-exec does not use an address; drop --address and --ask-cluster/);
      expect((await cli('ssh-config', dist, '--route', 'port-forward', '--ask-cluster')).code).toBe(2);
    });

    test('--connect-command: with --route connect only, and plain words', async () => {
      expect((await cli('ssh-config', dist, '--connect-command', 'x')).stderr).toMatch(/--connect-command applies to --route connect only/);
      const result = await cli('ssh-config', dist, '--env', 'alice', '--route', 'connect', '--connect-command', 'npx x; rm -rf ~');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/'--connect-command' is "npx x; rm -rf ~"; expected a command of words/);
    });

    test('--route connect: ProxyCommand runs this package\'s connect, pinned to its version', async () => {
      const result = await cli('ssh-config', dist, '--env', 'edge/carol', '--route', 'connect');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`  ProxyCommand npx --yes cdk8s-go-remote@${PACKAGE_VERSION} connect edge/carol\n`);
      expect(result.stdout).toBe(ClientFiles.forEnvironment(envs.carol, { route: SshRoute.connect() }).sshConfig);
      const own = await cli('ssh-config', dist, '--env', 'edge/carol', '--route', 'connect', '--connect-command', 'node /opt/cdk8s-go-remote/bin/cdk8s-go-remote');
      expect(own.stdout).toContain('  ProxyCommand node /opt/cdk8s-go-remote/bin/cdk8s-go-remote connect edge/carol\n');
      expect(kubectlCalls()).toEqual([]);
    });

    test('--identity-file: one line', async () => {
      const result = await cli('ssh-config', dist, '--identity-file', '~/.ssh/id\nHost *');
      expect(result.stderr).toMatch(/'--identity-file' is "~\/\.ssh\/id\\nHost \*"; expected no newline/);
    });

    test('--env: an environment of the directory', async () => {
      expect((await cli('ssh-config', dist, '--env', 'dave')).stderr).toMatch(/'--env' is "dave"; expected one of dev\/alice, dev\/bob, edge\/carol/);
    });
  });
});

describe('known-hosts', () => {
  test('GIVEN --from-cluster THEN the keys sshd uses are read from the pod with kubectl exec and written for the alias', async () => {
    cluster({ 'exec-alice': `${HOST_ED25519} go-remote host key\n${HOST_ECDSA} go-remote host key\n`, 'deployment-alice': deploymentJson(1), 'pods': readyPods });
    const result = await cli('known-hosts', dist, '--env', 'dev/alice', '--from-cluster');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`dev-alice ${HOST_ED25519}\ndev-alice ${HOST_ECDSA}\n`);
    expect(kubectlCalls()).toEqual([
      ['-n', 'dev', 'get', 'deployment', 'alice', '-o', 'json'],
      ['-n', 'dev', 'get', 'pods', '-l', 'app.kubernetes.io/instance=alice', '-o', 'json'],
      ['-n', 'dev', 'exec', 'deploy/alice', '-c', 'dev', '--', 'sh', '-c', 'for k in /run/go-remote/host-keys/ssh_host_*_key; do ssh-keygen -y -f "$k"; done'],
    ]);
  });

  test('GIVEN --from-cluster on a stopped environment THEN it is woken first (scaled to 1), then its keys read', async () => {
    cluster({ 'exec-alice': `${HOST_ED25519} go-remote host key\n`, 'deployment-alice': deploymentJson(0), 'pods': readyPods });
    const result = await cli('known-hosts', dist, '--env', 'dev/alice', '--from-cluster');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`dev-alice ${HOST_ED25519}\n`);
    expect(result.stderr).toMatch(/^go-remote: dev\/alice: stopped \(0 replicas\); scaling it to 1\ngo-remote: dev\/alice: pod alice-1 Ready after \d+ s\n$/);
    expect(kubectlCalls()[1]).toEqual(['-n', 'dev', 'patch', 'deployment', 'alice', '--subresource', 'scale', '--type', 'merge', '--patch', '{"spec":{"replicas":1}}']);
  });

  test('GIVEN the pod prints something that is not a key THEN nothing is written', async () => {
    cluster({ 'exec-alice': 'Load key "/run/go-remote/host-keys/ssh_host_ed25519_key": invalid format\n', 'deployment-alice': deploymentJson(1), 'pods': readyPods });
    const result = await cli('known-hosts', dist, '--env', 'alice', '--from-cluster');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^cdk8s-go-remote: 'host key of dev\/alice from the cluster\[0\]' is "Load key/);
  });

  test('GIVEN --host-key and --host-ca THEN their lines', async () => {
    const result = await cli('known-hosts', dist, '--env', 'bob', '--host-key', HOST_ED25519, '--host-key', HOST_ECDSA, '--host-ca', HOST_ED25519);
    expect(result.stdout).toBe(`dev-bob ${HOST_ED25519}\ndev-bob ${HOST_ECDSA}\n@cert-authority dev-bob ${HOST_ED25519}\n`);
  });

  test('rule: a source of keys is needed', async () => {
    const result = await cli('known-hosts', dist, '--env', 'bob');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/known-hosts: expected --host-key, --host-ca or --from-cluster \(dev\/bob declares no hostCertificateAuthority\)/);
  });

  test('rule: --host-key is an OpenSSH public key', async () => {
    const result = await cli('known-hosts', dist, '--env', 'bob', '--host-key', 'SHA256:0123');
    expect(result.stderr).toMatch(/'--host-key\[0\]' is "SHA256:0123"; expected an OpenSSH public key/);
  });
});

/**
 * GIVEN a directory where namespace `sec` holds dave, whose host certificates a CA signs (hostCertificateAuthority),
 * and erin, without one.
 */
describe('host certificates', () => {
  let caDist: string;
  let dave: GoRemoteEnvironment;
  const CA = utils.generateKeyPairSync('ed25519', { comment: 'host ca' }).public.trim();
  const CA_PLAIN = CA.split(' ').slice(0, 2).join(' ');

  beforeAll(() => {
    caDist = path.join(tmp, 'dist-ca');
    const app = new App({ outdir: caDist });
    const sec = new Chart(app, 'sec', { namespace: 'sec' });
    dave = new GoRemoteEnvironment(sec, 'dave', { name: 'dave', authorizedKeys: [KEY], hostCertificateAuthority: CA });
    new GoRemoteEnvironment(sec, 'erin', { name: 'erin', authorizedKeys: [KEY] });
    app.synth();
  });

  test('known-hosts without flags: the @cert-authority line of the environment that declares a CA', async () => {
    const result = await cli('known-hosts', caDist);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `@cert-authority sec-dave ${CA_PLAIN}\n` });
    expect(result.stdout).toBe(ClientFiles.forEnvironment(dave).knownHosts);
  });

  test('known-hosts --host-ca: the flag replaces the declared CA', async () => {
    const result = await cli('known-hosts', caDist, '--env', 'dave', '--host-ca', HOST_ED25519);
    expect(result.stdout).toBe(`@cert-authority sec-dave ${HOST_ED25519}\n`);
  });

  test('ssh-config: StrictHostKeyChecking yes for the environment with a CA, ask for the other', async () => {
    const result = await cli('ssh-config', caDist, '--known-hosts-file', '~/.ssh/known_hosts.d/go-remote');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^(Host|  StrictHostKeyChecking) .*$/mg)).toEqual([
      'Host sec-dave', '  StrictHostKeyChecking yes', 'Host sec-erin', '  StrictHostKeyChecking ask',
    ]);
  });

  test('host-certificate: the ssh-keygen command with the principals clients check, per environment', async () => {
    const result = await cli('host-certificate', caDist);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const commands = result.stdout.split('\n').filter(l => l.startsWith('ssh-keygen'));
    expect(commands).toEqual([
      'ssh-keygen -s <host-ca-key> -I sec/dave -h -n sec-dave,dave,dave.sec,dave.sec.svc,dave.sec.svc.cluster.local -V +52w ssh_host_ed25519_key.pub',
      'ssh-keygen -s <host-ca-key> -I sec/erin -h -n sec-erin,erin,erin.sec,erin.sec.svc,erin.sec.svc.cluster.local -V +52w ssh_host_ed25519_key.pub',
    ]);
    expect(commands[0]).toBe(ClientFiles.forEnvironment(dave).hostCertificateCommand);
    expect(result.stdout).toMatch(/^# sec\/dave: sign each host public key where the CA's private key \(<host-ca-key>\) lives/m);
  });

  test('host-certificate --env: one environment; other flags do not apply', async () => {
    const erin = await cli('host-certificate', caDist, '--env', 'erin');
    expect(erin).toMatchObject({ code: 0, stderr: '' });
    expect(erin.stdout.split('\n').filter(l => l.startsWith('ssh-keygen'))).toEqual([
      'ssh-keygen -s <host-ca-key> -I sec/erin -h -n sec-erin,erin,erin.sec,erin.sec.svc,erin.sec.svc.cluster.local -V +52w ssh_host_ed25519_key.pub',
    ]);
    expect(erin.stdout).not.toContain('sec/dave');
    const result = await cli('host-certificate', caDist, '--address', '10.0.0.1');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--address does not apply to host-certificate/);
  });

  test('rule: a CA annotation edited into something else is refused, naming the Deployment', async () => {
    const file = fs.readdirSync(caDist).find(f => f.endsWith('.yaml'))!;
    const edited = path.join(tmp, 'dist-ca-edited');
    fs.mkdirSync(edited, { recursive: true });
    fs.writeFileSync(path.join(edited, file), fs.readFileSync(path.join(caDist, file), 'utf8').replace(CA_PLAIN, 'ssh-ed25519 AAAA'));
    const result = await cli('known-hosts', edited);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/'.*dist-ca-edited\/[^ ]+\.yaml:\d+ \(document \d+\), Deployment sec\/dave: metadata\.annotations go-remote\.cdk8s\.io\/host-certificate-authority' is "ssh-ed25519 AAAA"; expected the base64 data/);
  });
});

describe('launch-json', () => {
  test('default: one attach configuration per environment that runs delve on 2345', async () => {
    const result = await cli('launch-json', dist);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(ClientFiles.forEnvironment(envs.alice).launchJson);
    expect(JSON.parse(result.stdout).configurations).toEqual([expect.objectContaining({
      name: 'Attach to delve on dev-alice',
      mode: 'remote',
      host: '127.0.0.1',
      port: 2345,
      substitutePath: [{ from: '${workspaceFolder}', to: '/workspace/go/src/github.com/acme/widget' }],
    })]);
  });

  test('GIVEN --local-path and --delve-host THEN they are used', async () => {
    const config = JSON.parse((await cli('launch-json', dist, '--local-path', '/home/alice/widget', '--delve-host', 'lb.example.com')).stdout).configurations[0];
    expect(config.host).toBe('lb.example.com');
    expect(config.substitutePath).toEqual([{ from: '/home/alice/widget', to: '/workspace/go/src/github.com/acme/widget' }]);
  });

  test('GIVEN a --delve-port no program declares THEN exit 1 saying so', async () => {
    const result = await cli('launch-json', dist, '--delve-port', '40000');
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('cdk8s-go-remote: launch-json: no program listens on port 40000 in dev/alice, dev/bob, edge/carol; declare delve as a program with port 40000, or pass --delve-port\n');
  });
});

describe('ports', () => {
  test('a table per environment under its alias', async () => {
    const result = await cli('ports', dist, '--env', 'alice', '--address', '203.0.113.7');
    expect(result.stdout).toBe(`## dev-alice (dev/alice)\n\n${ClientFiles.forEnvironment(envs.alice, { route: SshRoute.direct('203.0.113.7') }).portsTable}`);
    expect(result.stdout).toContain('| delve | 2345 | yes (LoadBalancer) | `203.0.113.7:2345`, or `ssh -N -L 2345:127.0.0.1:2345 dev-alice`, then `127.0.0.1:2345` |');
    expect(result.stdout).toContain('| pprof | 6060 | no |');
  });
});

describe('usage', () => {
  test('--help prints the commands and options', async () => {
    const result = await cli('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cdk8s-go-remote <command> <dist-dir> \[options\]/);
    for (const word of ['ssh-config', 'known-hosts', 'launch-json', 'ports', 'host-certificate', '--ask-cluster', '--from-cluster']) expect(result.stdout).toContain(word);
  });

  test.each([
    [[], /expected a command: ssh-config, known-hosts, launch-json, ports or host-certificate/],
    [['bogus', 'dist'], /unknown command "bogus"/],
    [['connect'], /connect: expected the environment, <namespace>\/<name> or <name>/],
    [['connect', 'dev/alice', 'x'], /connect: unexpected argument "x"/],
    [['connect', 'dev/alice', '--route', 'direct'], /--route does not apply to connect/],
    [['connect', 'dev/alice', '--timeout', '0'], /'--timeout' is "0"; expected a whole number of seconds from 1 to 86400/],
    [['ssh-config'], /ssh-config: expected the directory of synthesized manifests/],
    [['ssh-config', 'a', 'b'], /ssh-config: unexpected argument "b"/],
    [['ssh-config', '.', '--bogus'], /Unknown option '--bogus'/],
    [['launch-json', '.', '--address', 'x'], /--address does not apply to launch-json/],
    [['ssh-config', '.', '--from-cluster'], /--from-cluster does not apply to ssh-config/],
  ])('%j: exit 2 with a message', async (argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Run cdk8s-go-remote --help');
  });

  test('a directory without environments, a missing directory, and invalid YAML are errors naming the path', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    expect((await cli('ssh-config', empty)).stderr).toMatch(/no environment in .*empty-.*: expected a Deployment labelled app\.kubernetes\.io\/managed-by: cdk8s-go-remote/);
    expect((await cli('ssh-config', path.join(tmp, 'nope'))).stderr).toMatch(/nope: no such directory/);
    fs.writeFileSync(path.join(empty, 'bad.yaml'), 'kind: [unclosed\n');
    const result = await cli('ssh-config', empty);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path.join(empty, 'bad.yaml'));
  });
});

/**
 * Issue 14, section 8: the manifests come from a repository that anyone with write access may have edited.
 * Each case is the dev chart of the directory above with one object edited.
 */
describe('manifests read from a repository', () => {
  jest.setTimeout(60_000); // each case runs the CLI over a synthesized chart; the machine may be loaded

  /** GIVEN the dev chart's documents edited by `edit`, written as `<name>/dev.yaml` (or `file`). */
  function edited(name: string, edit: (docs: any[]) => void, file = 'dev.yaml'): string {
    const source = fs.readdirSync(dist).find(f => f.startsWith('dev') && f.endsWith('.yaml'))!;
    const docs = parseAllDocuments(fs.readFileSync(path.join(dist, source), 'utf8')).map(d => d.toJS());
    edit(docs);
    const dir = path.join(tmp, 'edited', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), docs.map(d => stringify(d)).join('---\n'));
    return dir;
  }
  const deployment = (docs: any[], name = 'alice') => docs.find(d => d.kind === 'Deployment' && d.metadata.name === name);
  const devContainer = (docs: any[]) => deployment(docs).spec.template.spec.containers.find((c: any) => c.name === 'dev');
  const service = (docs: any[]) => docs.find(d => d.kind === 'Service' && d.metadata.name === 'alice');

  /** THEN exit code 2 and one line per problem, each naming the file, the document and the object; no stack trace. */
  async function refused(dir: string, ...expected: RegExp[]): Promise<string> {
    const result = await cli('ports', dir);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(lines[i]).toMatch(e));
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError|ReferenceError/);
    return result.stderr;
  }
  const at = (dir: string, object: string) => `^cdk8s-go-remote: '${escape(path.join(dir, 'dev.yaml'))}:\\d+ \\(document \\d+\\), ${escape(object)}: `;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  test('containers not a list', async () => {
    const dir = edited('containers', docs => { deployment(docs).spec.template.spec.containers = { name: 'dev' }; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment')}spec\\.template\\.spec\\.containers' is \\{"name":"dev"\\}; expected a list, found a mapping$`));
  });

  test('env not a list', async () => {
    const dir = edited('env', docs => { devContainer(docs).env = { GO_REMOTE_USER: 'gopher' }; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment dev/alice')}spec\\.template\\.spec\\.containers\\[0\\]\\.env' is .*; expected a list, found a mapping$`));
  });

  test('an env value not a string', async () => {
    const dir = edited('env-value', docs => { devContainer(docs).env.find((e: any) => e.name === 'GO_REMOTE_USER').value = ['gopher']; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment dev/alice')}spec\\.template\\.spec\\.containers\\[0\\]\\.env\\[\\d+\\]\\.value' is \\["gopher"\\]; expected a string`));
  });

  test('container ports not a list, and a containerPort not a number', async () => {
    let dir = edited('ports', docs => { devContainer(docs).ports = '2222'; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment dev/alice')}spec\\.template\\.spec\\.containers\\[0\\]\\.ports' is "2222"; expected a list, found a string$`));
    dir = edited('port-type', docs => { devContainer(docs).ports[0].containerPort = '2222'; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment dev/alice')}spec\\.template\\.spec\\.containers\\[0\\]\\.ports\\[0\\]\\.containerPort' is "2222"; expected a whole number`));
  });

  test('the Service\'s spec.ports not a list', async () => {
    const dir = edited('service-ports', docs => { service(docs).spec.ports = { name: 'ssh', port: 2222 }; });
    await refused(dir, new RegExp(`${at(dir, 'Service dev/alice')}spec\\.ports' is .*; expected a list, found a mapping$`));
  });

  test('spec of the Deployment not a mapping', async () => {
    const dir = edited('spec', docs => { deployment(docs).spec = 'x'; });
    await refused(dir, new RegExp(`${at(dir, 'Deployment')}spec' is "x"; expected a mapping, found a string$`));
  });

  test('a file over the size limit is refused before it is read', async () => {
    const dir = path.join(tmp, 'edited', 'big');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'big.yaml');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, MAX_FILE_BYTES + 1); // sparse: nothing is written
    await refused(dir, new RegExp(`^cdk8s-go-remote: ${escape(file)}: ${MAX_FILE_BYTES + 1} bytes; expected at most ${MAX_FILE_BYTES} \\(16 MiB\\) in a file of manifests$`));
  });

  test('a document over the size limit', async () => {
    const dir = edited('big-document', docs => { deployment(docs).metadata.annotations = { note: 'x'.repeat(MAX_DOCUMENT_CHARS) }; });
    await refused(dir, new RegExp(`^cdk8s-go-remote: ${escape(path.join(dir, 'dev.yaml'))}:\\d+ \\(document \\d+\\): \\d+ characters; expected a document of at most ${MAX_DOCUMENT_CHARS}$`));
  });

  test('YAML aliases beyond a small count (a "billion laughs" document) are refused', async () => {
    const dir = path.join(tmp, 'edited', 'aliases');
    fs.mkdirSync(dir, { recursive: true });
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    fs.writeFileSync(path.join(dir, 'laughs.yaml'), lines.join('\n') + '\n');
    await refused(dir, new RegExp(`^cdk8s-go-remote: ${escape(path.join(dir, 'laughs.yaml'))}:1 \\(document 1\\): more YAML aliases than the ${MAX_ALIASES} allowed \\(cdk8s writes none\\)$`));
    // A few aliases are fine.
    fs.writeFileSync(path.join(dir, 'laughs.yaml'), 'a: &a [1]\nb: [*a, *a]\n');
    expect((await cli('ports', dir)).stderr).toMatch(/no environment in/);
  });

  test('spec.type with an escape sequence: refused, and the terminal gets no escape character', async () => {
    const dir = edited('service-type', docs => { service(docs).spec.type = '\u001b[2J\u001b[31mLoadBalancer\u009b0m'; });
    const stderr = await refused(dir, new RegExp(`${at(dir, 'Service dev/alice')}spec\\.type' is .*LoadBalancer.*; expected ClusterIP, NodePort, LoadBalancer`));
    expect(stderr).not.toMatch(/[\u001b\u009b]/);
  });

  test('a file name with control characters is printed escaped', async () => {
    const dir = edited('file-name', () => undefined, 'dev\u001b]0;owned\u0007\u202e.yaml');
    fs.appendFileSync(path.join(dir, 'dev\u001b]0;owned\u0007\u202e.yaml'), '---\nkind: [unclosed\n');
    const result = await cli('ports', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(result.stderr).toContain('dev\\u{001B}]0;owned\\u{0007}\\u{202E}.yaml');
  });

  test('a checkout path with a C1 control (U+009B, a terminal\'s CSI) never reaches the terminal or launch.json raw', async () => {
    const dir = edited('checkout', docs => { devContainer(docs).env.find((e: any) => e.name === 'GO_REMOTE_CHECKOUT').value = '/workspace/\u009b31m'; });
    const result = await cli('launch-json', dir);
    expect(result.stdout + result.stderr).not.toMatch(/[\u0080-\u009f]/);
    expect(result.stdout + result.stderr).toMatch(/\\u(\{009B\}|009b)/);
  });

  test('--identity-file starting with # or holding whitespace: ssh reads back exactly the path given', async () => {
    for (const file of ['#x', '~/My Keys/id_ed25519', '=x', 'a\\b']) {
      const result = await cli('ssh-config', dist, '--env', 'bob', '--identity-file', file);
      expect(result.code).toBe(0);
      expect(sshIdentityFile(result.stdout, 'dev-bob')).toBe(file);
    }
  });

  test('--identity-file that some ssh would read differently is refused', async () => {
    for (const [file, message] of [
      ['~/.ssh/100%', /expected '%' only in one of ssh's tokens/],
      ['~/keys\\"', /expected a path without '"'/],
      ['~/keys\\', /expected a path without '\\' before/],
    ] as const) {
      const result = await cli('ssh-config', dist, '--env', 'bob', '--identity-file', file);
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(message);
    }
  });
});

/** The IdentityFile real ssh resolves for `host` from the stanza (`ssh -G`). */
function sshIdentityFile(config: string, host: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-g-'));
  try {
    fs.writeFileSync(path.join(dir, 'config'), config);
    const out = execFileSync('ssh', ['-G', '-F', path.join(dir, 'config'), host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').find((l: string) => l.startsWith('identityfile ')).slice('identityfile '.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The launcher `bin/cdk8s-go-remote` requires `../lib/cli.js`. The sources are compiled to JavaScript by
 * TypeScript into a scratch `lib/` beside a copy of the launcher and of package.json (the published layout), so
 * that the test runs the real file with plain node, whatever state the repository's lib/ is in.
 */
test('the launcher runs the compiled CLI with plain node', async () => {
  const root = fs.mkdtempSync(path.join(REPO, '.cache', 'cli-launcher-'));
  try {
    const compile = (from: string, to: string) => {
      for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          if (entry.name === 'imports') continue; // generated L1s, which the CLI never loads
          compile(path.join(from, entry.name), path.join(to, entry.name));
        } else if (entry.name.endsWith('.ts')) {
          const out = ts.transpileModule(fs.readFileSync(path.join(from, entry.name), 'utf8'), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
          });
          fs.mkdirSync(to, { recursive: true });
          fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), out.outputText);
        }
      }
    };
    compile(path.join(REPO, 'src'), path.join(root, 'lib'));
    // The package's own manifest, as in the published package (lib/version.js reads its version).
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync(path.join(REPO, 'bin', 'cdk8s-go-remote'), path.join(root, 'bin', 'cdk8s-go-remote'));
    fs.chmodSync(path.join(root, 'bin', 'cdk8s-go-remote'), 0o755);
    const launcher = path.join(root, 'bin', 'cdk8s-go-remote');
    const run = (...argv: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
      execFile(launcher, argv, { env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
    expect(() => fs.accessSync(path.join(REPO, 'bin', 'cdk8s-go-remote'), fs.constants.X_OK)).not.toThrow();
    expect(await run('ssh-config', dist, '--env', 'alice', '--address', '203.0.113.7')).toEqual({
      code: 0,
      stdout: ClientFiles.forEnvironment(envs.alice, { route: SshRoute.direct('203.0.113.7') }).sshConfig,
      stderr: '',
    });
    expect(await run('ssh-config', dist, '--env', 'alice', '--address', 'a b')).toMatchObject({ code: 1, stdout: '' });
    expect(await run('frobnicate', dist)).toMatchObject({ code: 2 });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 60_000);

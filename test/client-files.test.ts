import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Server, utils } from 'ssh2';
import { NodeAccess, ServiceExposure } from '../src';
import { synth } from './util';
import { ClientFiles, ClientFilesOptions, SshRoute, SshRouteKind } from '../src/client-files';

const HOST_KEY = utils.generateKeyPairSync('ed25519', { comment: 'go-remote host key' });
const OTHER_HOST_KEY = utils.generateKeyPairSync('ed25519');
const CA_KEY = utils.generateKeyPairSync('ed25519', { comment: 'host ca' }).public.trim();
const HOST_PUBLIC = HOST_KEY.public.trim().split(' ').slice(0, 2).join(' ');

type Props = Parameters<typeof synth>[0];
type SynthOptions = Parameters<typeof synth>[1];

/** GIVEN an environment in namespace `dev` named `alice`, WHEN its client files are built with options. */
function files(options: ClientFilesOptions = {}, props: Props = {}, synthOptions: SynthOptions = {}): ClientFiles {
  return ClientFiles.forEnvironment(synth({ name: 'alice', ...props }, synthOptions).env, options);
}

/** The configuration real ssh resolves for a host from a config file (`ssh -G`), lower-case keys. */
function sshResolve(config: string, host: string): Map<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-g-'));
  try {
    fs.writeFileSync(path.join(dir, 'config'), config);
    const out = execFileSync('ssh', ['-G', '-F', path.join(dir, 'config'), host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const resolved = new Map<string, string>();
    for (const line of out.split('\n')) {
      const at = line.indexOf(' ');
      if (at > 0 && !resolved.has(line.slice(0, at))) resolved.set(line.slice(0, at), line.slice(at + 1));
    }
    return resolved;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ssh config stanza', () => {
  test('default: alias <namespace>-<name>, kubectl exec route, the environment user, HostKeyAlias = alias, ask at first connection', () => {
    const f = files();
    const ssh = sshResolve(f.sshConfig, 'dev-alice');
    expect(f.alias).toBe('dev-alice');
    expect(f.route.kind).toBe(SshRouteKind.KUBECTL_EXEC);
    expect(ssh.get('proxycommand')).toBe('kubectl -n dev exec -i deploy/alice -c dev -- bash -c "exec 3<>/dev/tcp/127.0.0.1/2222; cat <&3 & cat >&3"');
    expect(ssh.get('user')).toBe('gopher');
    expect(ssh.get('hostkeyalias')).toBe('dev-alice');
    expect(ssh.get('stricthostkeychecking')).toBe('ask');
    expect(f.strictHostKeyChecking).toBe(false);
    expect(f.knownHosts).toBeUndefined();
  });

  test('default: the alias is the name when the environment has no namespace, and kubectl gets no -n', () => {
    const f = files({}, {}, { namespace: '' });
    expect(f.alias).toBe('alice');
    expect(sshResolve(f.sshConfig, 'alice').get('proxycommand')).toBe('kubectl exec -i deploy/alice -c dev -- bash -c "exec 3<>/dev/tcp/127.0.0.1/2222; cat <&3 & cat >&3"');
  });

  test('default: identity ~/.ssh/id_ed25519 and only that identity (sshd allows 3 attempts)', () => {
    const ssh = sshResolve(files().sshConfig, 'dev-alice');
    expect(ssh.get('identityfile')).toBe('~/.ssh/id_ed25519');
    expect(ssh.get('identitiesonly')).toBe('yes');
  });

  test('default: ssh\'s own known_hosts file', () => {
    expect(files().sshConfig).not.toMatch(/UserKnownHostsFile/);
  });

  test('default: without a host key the comment says how to check the fingerprint in the pod log', () => {
    const f = files();
    expect(f.fingerprintCommand).toBe('kubectl -n dev logs deploy/alice -c dev | grep \'host key fingerprint\'');
    expect(f.sshConfig).toContain(`#   ${f.fingerprintCommand}\n`);
  });

  test('GIVEN node access that runs as root THEN the stanza logs in root', () => {
    expect(sshResolve(files({}, { nodeAccess: NodeAccess.privileged() }).sshConfig, 'dev-alice').get('user')).toBe('root');
  });

  test('GIVEN SshRoute.direct(address) THEN HostName is the address and Port 2222', () => {
    const f = files({ route: SshRoute.direct('203.0.113.7') });
    const ssh = sshResolve(f.sshConfig, 'dev-alice');
    expect(ssh.get('hostname')).toBe('203.0.113.7');
    expect(ssh.get('port')).toBe('2222');
    expect(ssh.has('proxycommand')).toBe(false);
    expect(f.sshConfig).toMatch(/^# cdk8s-go-remote environment dev\/alice, at its Service's address\n/);
  });

  test('GIVEN SshRoute.direct(node, nodePort) THEN Port is the node port', () => {
    expect(sshResolve(files({ route: SshRoute.direct('node-1.example.com', 30222) }).sshConfig, 'dev-alice').get('port')).toBe('30222');
  });

  test('GIVEN SshRoute.portForward() THEN 127.0.0.1:2222 and the comment carries the port-forward command', () => {
    const f = files({ route: SshRoute.portForward() });
    const ssh = sshResolve(f.sshConfig, 'dev-alice');
    expect(ssh.get('hostname')).toBe('127.0.0.1');
    expect(ssh.get('port')).toBe('2222');
    expect(f.portForwardCommand).toBe('kubectl -n dev port-forward svc/alice 2222:2222');
    expect(f.sshConfig).toContain('#   kubectl -n dev port-forward svc/alice 2222:2222\n');
  });

  test('GIVEN SshRoute.portForward(2301) THEN the local port is 2301 and the pod side stays 2222', () => {
    const f = files({ route: SshRoute.portForward(2301) });
    expect(sshResolve(f.sshConfig, 'dev-alice').get('port')).toBe('2301');
    expect(f.portForwardCommand).toBe('kubectl -n dev port-forward svc/alice 2301:2222');
  });

  test('GIVEN a host key THEN StrictHostKeyChecking yes and a known_hosts line for the alias (comment dropped)', () => {
    const f = files({ hostKeys: [HOST_KEY.public] });
    expect(sshResolve(f.sshConfig, 'dev-alice').get('stricthostkeychecking')).toBe('true');
    expect(f.sshConfig).not.toMatch(/fingerprint/);
    expect(f.knownHosts).toBe(`dev-alice ${HOST_PUBLIC}\n`);
  });

  test('GIVEN several host keys THEN one known_hosts line each', () => {
    const ecdsa = utils.generateKeyPairSync('ecdsa', { bits: 256 }).public.trim();
    expect(files({ hostKeys: [HOST_PUBLIC, ecdsa] }).knownHosts).toBe(`dev-alice ${HOST_PUBLIC}\ndev-alice ${ecdsa}\n`);
  });

  test('GIVEN a host CA THEN an @cert-authority line that ssh-keygen finds for the alias', () => {
    const f = files({ hostCertificateAuthority: CA_KEY });
    expect(f.knownHosts).toBe(`@cert-authority dev-alice ${CA_KEY.split(' ').slice(0, 2).join(' ')}\n`);
    expect(f.strictHostKeyChecking).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'known-'));
    try {
      fs.writeFileSync(path.join(dir, 'known_hosts'), f.knownHosts!);
      expect(execFileSync('ssh-keygen', ['-F', 'dev-alice', '-f', path.join(dir, 'known_hosts')], { encoding: 'utf8' })).toContain('@cert-authority dev-alice ssh-ed25519');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN strictHostKeyChecking: true without keys THEN StrictHostKeyChecking yes; false overrides a key', () => {
    expect(files({ strictHostKeyChecking: true }).sshConfig).toMatch(/^ {2}StrictHostKeyChecking yes$/m);
    expect(files({ strictHostKeyChecking: false, hostKeys: [HOST_PUBLIC] }).sshConfig).toMatch(/^ {2}StrictHostKeyChecking ask$/m);
  });

  test('GIVEN an alias, an identity file with a space and a known_hosts file THEN ssh reads them as given', () => {
    const f = files({ alias: 'widget.dev', identityFile: '~/My Keys/id_ed25519', knownHostsFile: '~/.ssh/known_hosts.d/go-remote' });
    const ssh = sshResolve(f.sshConfig, 'widget.dev');
    expect(ssh.get('hostkeyalias')).toBe('widget.dev');
    expect(ssh.get('identityfile')).toBe('~/My Keys/id_ed25519');
    expect(ssh.get('userknownhostsfile')).toBe(`${execFileSync('sh', ['-c', 'echo ~'], { encoding: 'utf8' }).trim()}/.ssh/known_hosts.d/go-remote`);
  });

  test('GIVEN an IPv6 load balancer address THEN HostName carries it', () => {
    expect(sshResolve(files({ route: SshRoute.direct('2001:db8::7') }).sshConfig, 'dev-alice').get('hostname')).toBe('2001:db8::7');
  });

  describe('rules', () => {
    test('alias: no whitespace, newline or pattern characters', () => {
      expect(() => files({ alias: 'dev alice' })).toThrow(/'alias' is "dev alice"; expected a Host alias of letters, digits, '\.', '_' and '-'/);
      expect(() => files({ alias: 'a\n  ProxyCommand evil' })).toThrow(/'alias' is "a\\n {2}ProxyCommand evil"/);
      expect(() => files({ alias: '*' })).toThrow(/'alias' is "\*"/);
    });

    test('route host name: an IP address or DNS name, nothing that would add a directive', () => {
      expect(() => files({ route: SshRoute.direct('203.0.113.7\n  ProxyCommand sh') })).toThrow(/'hostName' is "203\.0\.113\.7\\n {2}ProxyCommand sh"; expected an IP address or a DNS name/);
      expect(() => files({ route: SshRoute.direct('lb.example.com extra') })).toThrow(/'hostName' is "lb\.example\.com extra"/);
      expect(() => files({ route: SshRoute.direct('-oProxyCommand=x') })).toThrow(/'hostName' is "-oProxyCommand=x"/);
      expect(() => files({ route: SshRoute.direct('') })).toThrow(/'hostName' is ""/);
    });

    test('route port: 1 to 65535', () => {
      expect(() => files({ route: SshRoute.direct('lb.example.com', 0) })).toThrow(/'port' is 0; expected a whole number from 1 to 65535/);
      expect(() => files({ route: SshRoute.portForward(70000) })).toThrow(/'port' is 70000/);
    });

    test('identityFile: one line, no double quote', () => {
      expect(() => files({ identityFile: '~/.ssh/id\nProxyCommand x' })).toThrow(/'identityFile' is "~\/\.ssh\/id\\nProxyCommand x"; expected no newline/);
      expect(() => files({ identityFile: '~/.ssh/"id"' })).toThrow(/'identityFile' is "~\/\.ssh\/\\"id\\""; expected a path without '"'/);
      expect(() => files({ identityFile: '' })).toThrow(/'identityFile' is ""; expected a path/);
    });

    test('knownHostsFile: one line, no double quote', () => {
      expect(() => files({ knownHostsFile: 'a\rb' })).toThrow(/'knownHostsFile' is "a\\rb"; expected no newline, .*found U\+000D \(a carriage return\)/);
    });

    test('hostKeys: each an OpenSSH public key on one line', () => {
      expect(() => files({ hostKeys: ['SHA256:abc'] })).toThrow(/'hostKeys\[0\]' is "SHA256:abc"; expected an OpenSSH public key \(the host's, as in ssh_host_ed25519_key\.pub\)/);
      expect(() => files({ hostKeys: [HOST_PUBLIC, `${HOST_PUBLIC}\nevil`] })).toThrow(/'hostKeys\[1\]' is .*found U\+000A \(a newline\)/);
    });

    test('hostCertificateAuthority: an OpenSSH public key', () => {
      expect(() => files({ hostCertificateAuthority: 'ssh-ed25519 AAAA' })).toThrow(/'hostCertificateAuthority' is "ssh-ed25519 AAAA"; expected the base64 data to be a complete 'ssh-ed25519' key/);
    });

    test('delvePort: a port, not the SSH port', () => {
      expect(() => files({ delvePort: 2222 })).toThrow(/'delvePort' is 2222; is the SSH port/);
      expect(() => files({ delvePort: 1.5 })).toThrow(/'delvePort' is 1\.5; expected a whole number/);
    });

    test('delveHost: an IP address or DNS name', () => {
      expect(() => files({ delveHost: 'local host' })).toThrow(/'delveHost' is "local host"; expected an IP address or a DNS name/);
    });

    test('localPath: one line', () => {
      expect(() => files({ localPath: '/src\n' })).toThrow(/'localPath' is "\/src\\n"; expected no newline/);
    });

    test('a summary built by hand is checked like manifests', () => {
      const summary = { name: 'alice', namespace: 'dev', sshUser: 'gopher', sshPort: 2222, programPorts: [] };
      expect(() => ClientFiles.forSummary({ ...summary, name: 'alice\nProxyCommand x' })).toThrow(/'environment\.name' is "alice\\nProxyCommand x"; expected a DNS-1123 label/);
      expect(() => ClientFiles.forSummary({ ...summary, namespace: 'Dev' })).toThrow(/'environment\.namespace' is "Dev"/);
      expect(() => ClientFiles.forSummary({ ...summary, sshUser: 'a b' })).toThrow(/'environment\.sshUser' is "a b"; expected a login name/);
      expect(() => ClientFiles.forSummary({ ...summary, sshPort: 0 })).toThrow(/'environment\.sshPort' is 0/);
      expect(() => ClientFiles.forSummary({ ...summary, programPorts: [{ name: 'a|b', port: 1, published: false }] })).toThrow(/'environment\.programPorts\[0\]\.name' is "a\|b"/);
      expect(ClientFiles.forSummary(summary).alias).toBe('dev-alice');
    });

    test('every problem is reported at once', () => {
      expect(() => files({ alias: 'a b', identityFile: 'x"', delvePort: 0 })).toThrow(/^3 problems:\n- 'alias'.*\n- 'identityFile'.*\n- 'delvePort'/);
    });
  });
});

describe('launch.json', () => {
  const delve = { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345 };

  test('GIVEN delve on 2345 and a repository THEN an attach configuration mapping ${workspaceFolder} to the checkout', () => {
    const f = files({}, { programs: [delve], git: { url: 'https://github.com/acme/widget.git' } });
    expect(f.launchConfiguration).toEqual({
      name: 'Attach to delve on dev-alice',
      type: 'go',
      request: 'attach',
      mode: 'remote',
      debugAdapter: 'dlv-dap',
      host: '127.0.0.1',
      port: 2345,
      substitutePath: [{ from: '${workspaceFolder}', to: '/workspace/go/src/github.com/acme/widget' }],
    });
    expect(JSON.parse(f.launchJson!)).toEqual({ version: '0.2.0', configurations: [f.launchConfiguration] });
  });

  test('default: no launch.json when no program listens on 2345', () => {
    const f = files({}, { programs: [{ name: 'web', command: 'x', port: 8080 }] });
    expect(f.launchConfiguration).toBeUndefined();
    expect(f.launchJson).toBeUndefined();
  });

  test('GIVEN delvePort THEN the program on that port is attached to', () => {
    const f = files({ delvePort: 40000 }, { programs: [{ name: 'debugger', command: 'dlv', port: 40000 }] });
    expect(f.launchConfiguration.port).toBe(40000);
    expect(f.launchConfiguration.name).toBe('Attach to debugger on dev-alice');
  });

  test('GIVEN delveHost and localPath THEN they are used; without a repository the workspace is mapped', () => {
    const f = files({ delveHost: 'lb.example.com', localPath: '/home/alice/widget' }, { programs: [delve] });
    expect(f.launchConfiguration.host).toBe('lb.example.com');
    expect(f.launchConfiguration.substitutePath).toEqual([{ from: '/home/alice/widget', to: '/workspace' }]);
  });

  test('GIVEN a git checkoutPath THEN it is the remote side of the mapping', () => {
    const f = files({}, { programs: [delve], git: { url: 'https://github.com/acme/widget.git', checkoutPath: 'example.com/widget' } });
    expect(f.launchConfiguration.substitutePath).toEqual([{ from: '${workspaceFolder}', to: '/workspace/go/src/example.com/widget' }]);
  });

  test('launchJsonOf combines configurations', () => {
    expect(JSON.parse(ClientFiles.launchJsonOf([{ a: 1 }, { b: 2 }]))).toEqual({ version: '0.2.0', configurations: [{ a: 1 }, { b: 2 }] });
  });
});

describe('ports table', () => {
  const programs = [
    { name: 'delve', command: 'dlv', port: 2345, expose: true },
    { name: 'pprof', command: 'x', port: 6060, expose: false },
    { name: 'worker', command: 'y' },
  ];
  const loadBalancer = ServiceExposure.loadBalancer({ sourceRanges: ['203.0.113.0/24'] });

  test('GIVEN programs behind a LoadBalancer reached directly THEN published ports show the address and the SSH forward', () => {
    expect(files({ route: SshRoute.direct('203.0.113.7') }, { programs, exposure: loadBalancer }).portsTable).toBe([
      '| program | port | published by the Service | from your machine |',
      '| --- | ---: | --- | --- |',
      '| sshd | 2222 | yes (LoadBalancer) | `ssh dev-alice` |',
      '| delve | 2345 | yes (LoadBalancer) | `203.0.113.7:2345`, or `ssh -N -L 2345:127.0.0.1:2345 dev-alice`, then `127.0.0.1:2345` |',
      '| pprof | 6060 | no | `ssh -N -L 6060:127.0.0.1:6060 dev-alice`, then `127.0.0.1:6060` |',
      '',
      'Published program ports have no authentication of their own (delve runs any code it is asked to): anyone who reaches the load balancer reaches them. Prefer the SSH forward, and set `expose: false` or `sourceRanges`.',
      '',
    ].join('\n'));
  });

  test('GIVEN a ClusterIP Service THEN every program port is reached through SSH and there is no warning', () => {
    const table = files({}, { programs, exposure: ServiceExposure.clusterIp() }).portsTable;
    expect(table).toContain('| delve | 2345 | yes (ClusterIP) | `ssh -N -L 2345:127.0.0.1:2345 dev-alice`, then `127.0.0.1:2345` |');
    expect(table).not.toMatch(/no authentication/);
  });

  test('GIVEN no programs THEN only sshd', () => {
    expect(files().portsTable.trim().split('\n')).toHaveLength(3);
  });
});

describe('host certificates', () => {
  test('default: the principals are the alias, then the Service\'s DNS names', () => {
    expect(files().hostCertificatePrincipals).toEqual(['dev-alice', 'alice', 'alice.dev', 'alice.dev.svc', 'alice.dev.svc.cluster.local']);
  });

  test('default: without a namespace the alias is the name, the only principal', () => {
    expect(files({}, {}, { namespace: '' }).hostCertificatePrincipals).toEqual(['alice']);
  });

  test('GIVEN an alias THEN it is the first principal (ssh checks the certificate against HostKeyAlias)', () => {
    expect(files({ alias: 'work' }).hostCertificatePrincipals[0]).toBe('work');
  });

  test('the signing command names the principals; ssh-keygen signs with it and the certificate carries them', () => {
    const f = files();
    expect(f.hostCertificateCommand).toBe('ssh-keygen -s <host-ca-key> -I dev/alice -h -n '
      + 'dev-alice,alice,alice.dev,alice.dev.svc,alice.dev.svc.cluster.local -V +52w ssh_host_ed25519_key.pub');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-cert-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ca')]);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ssh_host_ed25519_key')]);
      const args = f.hostCertificateCommand.split(' ').slice(1).map(a => a === '<host-ca-key>' ? path.join(dir, 'ca') : a);
      execFileSync('ssh-keygen', ['-q', ...args], { cwd: dir });
      const shown = execFileSync('ssh-keygen', ['-L', '-f', path.join(dir, 'ssh_host_ed25519_key-cert.pub')], { encoding: 'utf8' });
      expect(shown).toMatch(/Type: ssh-ed25519-cert-v01@openssh\.com host certificate/);
      expect(shown).toMatch(/Principals: \n\s+dev-alice\n\s+alice\n\s+alice\.dev\n\s+alice\.dev\.svc\n\s+alice\.dev\.svc\.cluster\.local\n/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GIVEN the environment declares hostCertificateAuthority THEN @cert-authority for the alias and StrictHostKeyChecking yes', () => {
    const f = files({}, { hostCertificateAuthority: CA_KEY });
    expect(f.knownHosts).toBe(`@cert-authority dev-alice ${CA_KEY.split(' ').slice(0, 2).join(' ')}\n`);
    expect(f.strictHostKeyChecking).toBe(true);
    expect(f.sshConfig).toMatch(/^ {2}StrictHostKeyChecking yes$/m);
    expect(f.sshConfig).not.toMatch(/No host key given/);
  });

  test('GIVEN the option hostCertificateAuthority THEN it replaces the environment\'s', () => {
    const other = utils.generateKeyPairSync('ed25519').public.trim();
    expect(files({ hostCertificateAuthority: other }, { hostCertificateAuthority: CA_KEY }).knownHosts).toBe(`@cert-authority dev-alice ${other}\n`);
  });

  test('the construct keeps the CA\'s public key (without its comment) in a Deployment annotation; discover() reads it', () => {
    const { env, manifests } = synth({ name: 'alice', hostCertificateAuthority: CA_KEY });
    const plain = CA_KEY.split(' ').slice(0, 2).join(' ');
    expect(env.hostCertificateAuthority).toBe(plain);
    const deployment = manifests.find(m => m.kind === 'Deployment');
    expect(deployment.metadata.annotations['go-remote.cdk8s.io/host-certificate-authority']).toBe(plain);
    // Not in the pod template: changing the CA does not restart the pod.
    expect(Object.keys(deployment.spec.template.metadata.annotations)).not.toContain('go-remote.cdk8s.io/host-certificate-authority');
    expect(ClientFiles.discover(manifests)[0].hostCertificateAuthority).toBe(plain);
  });

  test('default: no CA, no annotation, no @cert-authority line', () => {
    const { env, manifests } = synth({ name: 'alice' });
    expect(env.hostCertificateAuthority).toBeUndefined();
    expect(Object.keys(manifests.find(m => m.kind === 'Deployment').metadata.annotations ?? {})).not.toContain('go-remote.cdk8s.io/host-certificate-authority');
    expect(ClientFiles.discover(manifests)[0].hostCertificateAuthority).toBeUndefined();
    expect(ClientFiles.forEnvironment(env).knownHosts).toBeUndefined();
  });

  describe('rules', () => {
    test('hostCertificateAuthority (construct): an OpenSSH public key', () => {
      expect(() => synth({ hostCertificateAuthority: 'ssh-ed25519 AAAA' }))
        .toThrow(/'hostCertificateAuthority' is "ssh-ed25519 AAAA"; expected the base64 data to be a complete 'ssh-ed25519' key/);
    });

    test('hostCertificateAuthority (construct): a certificate is not a CA key', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-cert-'));
      try {
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ca')]);
        execFileSync('ssh-keygen', ['-q', '-s', path.join(dir, 'ca'), '-I', 'x', '-h', '-n', 'x', path.join(dir, 'ca.pub')]);
        const cert = fs.readFileSync(path.join(dir, 'ca-cert.pub'), 'utf8').trim();
        expect(() => synth({ hostCertificateAuthority: cert }))
          .toThrow(/'hostCertificateAuthority' is "ssh-ed25519-cert-v01@openssh\.com .*; expected an OpenSSH public key \(the CA's, the line of its \.pub file\) starting with one of ssh-ed25519/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('hostCertificateAuthority: a private key is refused and not repeated in the message', () => {
      const privateKey = utils.generateKeyPairSync('ed25519').private;
      let message = '';
      try {
        synth({ hostCertificateAuthority: privateKey });
      } catch (e: any) {
        message = e.message;
      }
      expect(message).toMatch(/'hostCertificateAuthority' is "<a private key, not shown>"; expected the CA's public key \(the line of its \.pub file\): the CA's private key stays where you sign host keys/);
      expect(message).not.toContain(privateKey.split('\n')[1]);
      expect(() => files({ hostCertificateAuthority: privateKey })).toThrow(/'hostCertificateAuthority' is "<a private key, not shown>"/);
    });

    test('the annotation read from manifests is checked and named', () => {
      const { manifests } = synth({ name: 'alice', hostCertificateAuthority: CA_KEY });
      const deployment = manifests.find(m => m.kind === 'Deployment');
      deployment.metadata.annotations['go-remote.cdk8s.io/host-certificate-authority'] = 'ssh-ed25519 AAAA\nHost *';
      expect(() => ClientFiles.discover(manifests))
        .toThrow(/'manifests\[\d+\], Deployment dev\/alice: metadata\.annotations go-remote\.cdk8s\.io\/host-certificate-authority' is "ssh-ed25519 AAAA\\nHost \*"; expected one OpenSSH public key \(the CA's, the line of its \.pub file\) on a single line, found U\+000A/);
    });

    test('a summary built by hand: its hostCertificateAuthority is checked', () => {
      const summary = { ...ClientFiles.discover(synth({ name: 'alice' }).manifests)[0], hostCertificateAuthority: 'nope' };
      expect(() => ClientFiles.forSummary(summary)).toThrow(/'environment\.hostCertificateAuthority' is "nope"; expected an OpenSSH public key/);
    });
  });
});

describe('from synthesized manifests', () => {
  const scenarios: Array<[string, Props, SynthOptions]> = [
    ['defaults', {}, {}],
    ['no namespace', {}, { namespace: '' }],
    ['root, repository, programs, ClusterIP', {
      nodeAccess: NodeAccess.privileged(),
      git: { url: 'https://github.com/acme/widget.git' },
      programs: [{ name: 'delve', command: 'dlv', port: 2345 }, { name: 'pprof', command: 'x', port: 6060, expose: false }],
      exposure: ServiceExposure.clusterIp(),
    }, {}],
    ['derived name, NodePort', { name: undefined, exposure: ServiceExposure.nodePort() }, { namespace: 'team-a' }],
  ];

  test.each(scenarios)('%s: discover() + forSummary() gives what forEnvironment() gives', (_, props, synthOptions) => {
    const { env, manifests } = synth({ name: 'alice', ...props }, synthOptions);
    const options = { route: SshRoute.direct('lb.example.com'), hostKeys: [HOST_PUBLIC] };
    const found = ClientFiles.discover(manifests);
    expect(found).toHaveLength(1);
    const fromManifests = ClientFiles.forSummary(found[0], options);
    const fromConstruct = ClientFiles.forEnvironment(env, options);
    expect(fromManifests.environment).toEqual(fromConstruct.environment);
    for (const key of ['sshConfig', 'knownHosts', 'launchJson', 'portsTable'] as const) {
      expect(fromManifests[key]).toBe(fromConstruct[key]);
    }
  });

  test('only Deployments labelled managed-by cdk8s-go-remote with a container "dev" count', () => {
    const { manifests } = synth({ name: 'alice' });
    const deployment = manifests.find(m => m.kind === 'Deployment');
    const foreign = { ...deployment, metadata: { ...deployment.metadata, name: 'other', labels: { app: 'other' } } };
    const noDev = JSON.parse(JSON.stringify(deployment));
    noDev.metadata.name = 'nodev';
    noDev.spec.template.spec.containers[0].name = 'main';
    expect(ClientFiles.discover([...manifests, foreign, noDev, null, 'text']).map(e => e.name)).toEqual(['alice']);
  });

  test('names read from manifests are checked before they reach ssh_config or kubectl', () => {
    const { manifests } = synth({ name: 'alice' });
    const edited = JSON.parse(JSON.stringify(manifests));
    const deployment = edited.find((m: any) => m.kind === 'Deployment');
    deployment.metadata.name = 'alice\n  ProxyCommand evil';
    const dev = deployment.spec.template.spec.containers.find((c: any) => c.name === 'dev');
    const index = edited.indexOf(deployment);
    expect(() => ClientFiles.discover(edited)).toThrow(new RegExp(`^'manifests\\[${index}\\], Deployment: metadata\\.name' is "alice\\\\n {2}ProxyCommand evil"; expected a DNS-1123 label \\(the Deployment of an environment\\)$`));
    deployment.metadata.name = 'alice';
    deployment.metadata.namespace = 'Dev Team';
    expect(() => ClientFiles.discover(edited)).toThrow(/metadata\.namespace' is "Dev Team"; expected a DNS-1123 label \(the Deployment alice\)/);
    deployment.metadata.namespace = 'dev';
    dev.env.find((e: any) => e.name === 'GO_REMOTE_USER').value = 'gopher -oProxyCommand=x';
    expect(() => ClientFiles.discover(edited)).toThrow(/'manifests\[\d+\], Deployment dev\/alice: spec\.template\.spec\.containers\[0\]\.env GO_REMOTE_USER' is "gopher -oProxyCommand=x"; expected a login name/);
    dev.env.find((e: any) => e.name === 'GO_REMOTE_USER').value = 'gopher';
    dev.ports.push({ name: 'web | x', containerPort: 80 });
    expect(() => ClientFiles.discover(edited)).toThrow(/'manifests\[\d+\], Deployment dev\/alice: spec\.template\.spec\.containers\[0\]\.ports\[\d+\]\.name' is "web \| x"; expected a name of at most 15/);
  });
});

/**
 * Real SSH: OpenSSH's client reads the generated stanza and known_hosts and logs in to an SSH server (ssh2)
 * that plays the environment's sshd, by each route. For the kubectl exec route a fake `kubectl`, first on
 * PATH, stands in for the pod: it runs the command after `--` (the relay) on this machine, with the pod's port
 * 2222 mapped to the test server's port.
 */
describe('real ssh against the generated files', () => {
  let server: Server;
  let port: number;
  let dir: string;
  const clientKey = utils.generateKeyPairSync('ed25519');
  const clientPublic = utils.parseKey(clientKey.public) as any;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-files-ssh-'));
    fs.writeFileSync(path.join(dir, 'id_ed25519'), clientKey.private, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'kubectl'), [
      '#!/bin/bash',
      'printf \'%s\\n\' "$@" > "$FAKE_KUBECTL_ARGS"',
      'while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done',
      'shift',
      'exec "${@//\\/2222/\\/$FAKE_SSHD_PORT}"',
      '',
    ].join('\n'), { mode: 0o755 });
    server = new Server({ hostKeys: [HOST_KEY.private] }, client => {
      client.on('authentication', ctx => {
        const ok = ctx.method === 'publickey' && ctx.username === 'gopher'
          && ctx.key.data.equals(clientPublic.getPublicSSH())
          && (!ctx.signature || clientPublic.verify(ctx.blob, ctx.signature, ctx.hashAlgo));
        if (ok) ctx.accept(); else ctx.reject(['publickey']);
      }).on('ready', () => {
        client.on('session', accept => accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          stream.write(`ran ${info.command}\n`);
          stream.exit(0);
          stream.end();
        }));
      }).on('error', () => undefined);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>(resolve => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the stanza and known_hosts, runs `ssh <alias> hello`, returns what came back. */
  function connect(f: ClientFiles, knownHosts: string): Promise<{ code: number; stdout: string; stderr: string }> {
    fs.writeFileSync(path.join(dir, 'config'), f.sshConfig);
    fs.writeFileSync(path.join(dir, 'known_hosts'), knownHosts);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_SSHD_PORT: String(port), FAKE_KUBECTL_ARGS: path.join(dir, 'kubectl-args') };
    delete env.SSH_AUTH_SOCK;
    const args = ['-T', '-F', path.join(dir, 'config'), '-o', 'BatchMode=yes', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=10', f.alias, 'hello'];
    return new Promise(resolve => {
      execFile('ssh', args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
  }

  const options = (route: SshRoute): ClientFilesOptions => ({
    route,
    identityFile: path.join(dir, 'id_ed25519'),
    knownHostsFile: path.join(dir, 'known_hosts'),
    hostKeys: [HOST_KEY.public],
  });

  test('direct route: the known host key is verified through HostKeyAlias, then the login works', async () => {
    const f = files(options(SshRoute.direct('127.0.0.1', port)));
    const result = await connect(f, f.knownHosts!);
    expect(result).toMatchObject({ code: 0, stdout: 'ran hello\n' });
  });

  test('port-forward route: ssh goes to 127.0.0.1:<local port> (the test server stands in for kubectl port-forward)', async () => {
    const f = files(options(SshRoute.portForward(port)));
    expect(await connect(f, f.knownHosts!)).toMatchObject({ code: 0, stdout: 'ran hello\n' });
  });

  test('kubectl exec route: the ProxyCommand\'s bash /dev/tcp relay carries the SSH connection', async () => {
    const f = files(options(SshRoute.kubectlExec()));
    expect(await connect(f, f.knownHosts!)).toMatchObject({ code: 0, stdout: 'ran hello\n' });
    expect(fs.readFileSync(path.join(dir, 'kubectl-args'), 'utf8').split('\n')).toEqual([
      '-n', 'dev', 'exec', '-i', 'deploy/alice', '-c', 'dev', '--', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/2222; cat <&3 & cat >&3', '',
    ]);
  });

  test('GIVEN a different known host key THEN ssh refuses to connect', async () => {
    const wrong = files({ ...options(SshRoute.direct('127.0.0.1', port)), hostKeys: [OTHER_HOST_KEY.public] });
    const result = await connect(wrong, wrong.knownHosts!);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test('GIVEN strict checking and no known host key THEN ssh refuses rather than trusting the first key', async () => {
    const f = files({ ...options(SshRoute.direct('127.0.0.1', port)), hostKeys: undefined, strictHostKeyChecking: true });
    const result = await connect(f, '');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Host key verification failed/);
  });
});

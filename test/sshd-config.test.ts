import { NodeAccess } from '../src';
import { configFile, synth } from './util';
import { renderSshdConfig } from '../src/sshd-config';

function directives(config: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of config.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(' ');
    out.set(key, [...(out.get(key) ?? []), rest.join(' ')]);
  }
  return out;
}

describe('sshd_config', () => {
  const d = directives(renderSshdConfig({ user: 'gopher', root: false }));

  test('key-only login for the environment user, no root, no PAM', () => {
    expect(d.get('AuthenticationMethods')).toEqual(['publickey']);
    expect(d.get('PasswordAuthentication')).toEqual(['no']);
    expect(d.get('KbdInteractiveAuthentication')).toEqual(['no']);
    expect(d.get('PermitEmptyPasswords')).toEqual(['no']);
    expect(d.get('PermitRootLogin')).toEqual(['no']);
    expect(d.get('UsePAM')).toEqual(['no']);
    expect(d.get('AllowUsers')).toEqual(['gopher']);
    expect(d.get('StrictModes')).toEqual(['yes']);
  });

  test('non-root sshd on 2222 with host keys from the runtime directory', () => {
    expect(d.get('Port')).toEqual(['2222']);
    expect(d.get('PidFile')).toEqual(['none']);
    expect(d.get('HostKey')).toEqual(['ed25519', 'ecdsa', 'rsa'].map(t => `/run/go-remote/host-keys/ssh_host_${t}_key`));
  });

  test('host certificates: included from the runtime directory the entrypoint writes at start, none named here', () => {
    expect(d.get('Include')).toEqual(['/run/go-remote/sshd-environment.conf', '/run/go-remote/sshd_config.d/*.conf']);
    expect(d.get('HostCertificate')).toBeUndefined();
    // sshd keeps the first value of most directives: the Include comes last, so that nothing in the included
    // files could override a fixed directive (only HostCertificate lines are written there).
    const lines = renderSshdConfig({ user: 'gopher', root: false }).split('\n');
    expect(lines.slice(-2)).toEqual(['Include /run/go-remote/sshd_config.d/*.conf', '']);
  });

  test('VS Code Remote-SSH gets local forwarding; nothing else is forwarded', () => {
    expect(d.get('AllowTcpForwarding')).toEqual(['local']);
    expect(d.get('AllowAgentForwarding')).toEqual(['no']);
    expect(d.get('AllowStreamLocalForwarding')).toEqual(['no']);
    expect(d.get('GatewayPorts')).toEqual(['no']);
    expect(d.get('X11Forwarding')).toEqual(['no']);
    expect(d.get('PermitTunnel')).toEqual(['no']);
  });

  test('sessions see the Go toolchain and the workspace GOPATH', () => {
    expect(d.get('SetEnv')![0]).toBe('GOPATH=/workspace/go GOMODCACHE=/workspace/go/pkg/mod GOCACHE=/workspace/.cache/go-build PATH=/usr/local/go/bin:/workspace/go/bin:/usr/local/bin:/usr/bin:/bin');
  });

  test('every session: the entrypoint\'s SetEnv file is included before the fallback SetEnv (sshd keeps the first SetEnv line)', () => {
    // GIVEN the rendered config
    const lines = renderSshdConfig({ user: 'gopher', root: false }).split('\n');
    // THEN the environment file comes first, the fallback names the Go variables, and nothing else sets variables
    const include = lines.indexOf('Include /run/go-remote/sshd-environment.conf');
    const fallback = lines.findIndex(l => l.startsWith('SetEnv '));
    expect(include).toBeGreaterThan(0);
    expect(fallback).toBe(include + 1);
    expect(lines.filter(l => l.startsWith('SetEnv '))).toHaveLength(1);
    expect(d.get('PermitUserEnvironment')).toEqual(['no']);
    expect(d.get('AcceptEnv')).toBeUndefined();
  });

  test('no user input reaches it: the config is the same whatever the environment declares', () => {
    const plain = configFile(synth().manifests, 'sshd_config');
    const busy = configFile(synth({ env: { A: 'b' }, programs: [{ name: 'x', command: 'y', port: 1 }], git: { url: 'https://github.com/a/b' } }).manifests, 'sshd_config');
    expect(busy).toBe(plain);
  });

  test('GIVEN node access that runs as root THEN root logs in with keys only', () => {
    const { manifests, env } = synth({ nodeAccess: NodeAccess.privileged() });
    const root = directives(configFile(manifests, 'sshd_config'));
    expect(env.sshUser).toBe('root');
    expect(root.get('PermitRootLogin')).toEqual(['prohibit-password']);
    expect(root.get('AllowUsers')).toEqual(['root']);
    expect(root.get('AuthenticationMethods')).toEqual(['publickey']);
  });
});

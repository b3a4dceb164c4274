import { AutoRestart, Program } from '../src';
import { renderSupervisordConfig } from '../src/supervisord-config';
import { parseWithSupervisor } from './support/supervisord';

describe('supervisord.conf', () => {
  test('GIVEN no programs THEN supervisor itself reads sshd as the only program, and the control socket', () => {
    const parsed = parseWithSupervisor(renderSupervisordConfig([], '/workspace'));
    expect(parsed.programs.map(p => p.name)).toEqual(['sshd']);
    expect(parsed.programs[0].command).toBe('/usr/sbin/sshd -D -e -f /etc/go-remote/config/sshd_config');
    expect(parsed.programs[0].autorestart).toMatch(/RestartUnconditionally/);
    expect(parsed.socket).toBe('/run/go-remote/supervisor.sock');
  });

  test('GIVEN programs THEN supervisor reads back exactly the declared command, directory and environment', () => {
    const programs: Program[] = [
      {
        name: 'delve',
        command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient ./cmd/manager',
        port: 2345,
        directory: '/workspace/go/src/github.com/acme/widget',
        environment: { CGO_ENABLED: '0', PERCENT: '100%', MESSAGE: "it's, with commas = and spaces", EMPTY: '' },
        autorestart: AutoRestart.ALWAYS,
      },
      { name: 'webhook', command: "bash -c 'exec go run ./cmd/webhook --cert-dir=/tmp/%(certs)s'", autostart: false, startSeconds: 5 },
    ];
    const parsed = parseWithSupervisor(renderSupervisordConfig(programs, '/workspace/go/src/x'));
    const delve = parsed.programs.find(p => p.name === 'delve')!;
    expect(delve.command).toBe(programs[0].command);
    expect(delve.directory).toBe('/workspace/go/src/github.com/acme/widget');
    expect(delve.environment).toEqual(programs[0].environment);
    expect(delve.autostart).toBe(true);
    expect(delve.autorestart).toMatch(/RestartUnconditionally/);
    expect(delve.startsecs).toBe(1);
    const webhook = parsed.programs.find(p => p.name === 'webhook')!;
    // '%' is literal: supervisord does not expand %(certs)s.
    expect(webhook.command).toBe(programs[1].command);
    expect(webhook.directory).toBe('/workspace/go/src/x');
    expect(webhook.autostart).toBe(false);
    expect(webhook.autorestart).toMatch(/RestartWhenExitUnexpected/);
    expect(webhook.startsecs).toBe(5);
  });

  test('GIVEN AutoRestart.NEVER THEN supervisor never restarts the program', () => {
    const parsed = parseWithSupervisor(renderSupervisordConfig([{ name: 'once', command: 'true', autorestart: AutoRestart.NEVER }], '/'));
    expect(parsed.programs.find(p => p.name === 'once')!.autorestart).toBe('False');
  });

  test('logs of every program go to the container log', () => {
    const conf = renderSupervisordConfig([{ name: 'a', command: 'x' }], '/');
    const sections = conf.split(/\n\n/).filter(s => s.startsWith('[program:'));
    expect(sections).toHaveLength(2);
    for (const s of sections) expect(s).toContain('stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true');
  });
});

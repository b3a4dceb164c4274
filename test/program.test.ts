import { AutoRestart } from '../src';
import { renderSupervisordConfig } from '../src/supervisord-config';
import { parseWithSupervisor } from './support/supervisord';
import { devContainer, one, synth } from './util';

describe('programs', () => {
  test('GIVEN a program with a port THEN the port is declared on the container and, by default, reached through the SSH tunnel only', () => {
    const { manifests } = synth({ programs: [{ name: 'delve', command: 'dlv', port: 2345 }] });
    expect(devContainer(manifests).ports).toEqual([
      { name: 'ssh', containerPort: 2222, protocol: 'TCP' },
      { name: 'delve', containerPort: 2345, protocol: 'TCP' },
    ]);
    expect(one(manifests, 'Service').spec.ports.map((p: any) => p.name)).toEqual(['ssh']);
  });

  test('GIVEN expose: false THEN the port is on the container but not on the Service', () => {
    const { manifests } = synth({ programs: [{ name: 'pprof', command: 'x', port: 6060, expose: false }] });
    expect(devContainer(manifests).ports.map((p: any) => p.name)).toEqual(['ssh', 'pprof']);
    expect(one(manifests, 'Service').spec.ports.map((p: any) => p.name)).toEqual(['ssh']);
  });

  test('default: a program runs in the checkout when a repository is declared', () => {
    const { manifests } = synth({ git: { url: 'https://github.com/acme/widget.git' }, programs: [{ name: 'app', command: 'go run .' }] });
    const conf = one(manifests, 'ConfigMap').data['supervisord.conf'];
    expect(parseWithSupervisor(conf).programs.find(p => p.name === 'app')!.directory).toBe('/workspace/go/src/github.com/acme/widget');
  });

  test('default: a program runs in the workspace without a repository, starts with the container, restarts when it exits unexpectedly', () => {
    const { manifests } = synth({ programs: [{ name: 'app', command: 'sleep 1000' }] });
    const app = parseWithSupervisor(one(manifests, 'ConfigMap').data['supervisord.conf']).programs.find(p => p.name === 'app')!;
    expect(app.directory).toBe('/workspace');
    expect(app.autostart).toBe(true);
    expect(app.autorestart).toMatch(/RestartWhenExitUnexpected/);
    expect(app.startsecs).toBe(1);
  });

  describe('rules', () => {
    test('name: an IANA service name of at most 15 characters', () => {
      expect(() => synth({ programs: [{ name: 'My_Server', command: 'x' }] })).toThrow(/'programs\[0\].name' is "My_Server"; expected at most 15 lower-case letters/);
      expect(() => synth({ programs: [{ name: 'a-very-long-program', command: 'x' }] })).toThrow(/'programs\[0\].name' is "a-very-long-program"/);
    });

    test('name: no INI section breakers', () => {
      expect(() => synth({ programs: [{ name: 'x]\n[program:evil', command: 'x' }] })).toThrow(/'programs\[0\].name' is "x\]\\n\[program:evil"/);
    });

    test('name: sshd is reserved', () => {
      expect(() => synth({ programs: [{ name: 'sshd', command: 'x' }] })).toThrow(/'programs\[0\].name' is "sshd"; is reserved/);
    });

    test('name: unique', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] })).toThrow(/'programs\[1\].name' is "a"; expected a unique name; programs\[0\] already uses it/);
    });

    test('command: not empty', () => {
      expect(() => synth({ programs: [{ name: 'a', command: '  ' }] })).toThrow(/'programs\[0\].command' is "  "; expected a non-empty command line/);
    });

    test('command: no newline (it would add lines to supervisord.conf)', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x\n[program:evil]\ncommand=/bin/sh' }] })).toThrow(/'programs\[0\].command' is "x\\n\[program:evil\]\\ncommand=\/bin\/sh"; expected no newline/);
    });

    test('command: no comment marker after a space, which supervisord would cut silently', () => {
      // Proof that the rule is needed: supervisor's own parser drops everything after ' ;'.
      const cut = parseWithSupervisor(renderSupervisordConfig([{ name: 'a', command: 'echo one ; echo two' }], '/'));
      expect(cut.programs.find(p => p.name === 'a')!.command).toBe('echo one');
      expect(() => synth({ programs: [{ name: 'a', command: 'echo one ; echo two' }] })).toThrow(/'programs\[0\].command' is "echo one ; echo two"; expected no ';' or '#' after a space/);
      expect(() => synth({ programs: [{ name: 'a', command: 'run #debug' }] })).toThrow(/'programs\[0\].command' is "run #debug"; expected no ';' or '#'/);
    });

    test('port: 1 to 65535', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', port: 70000 }] })).toThrow(/'programs\[0\].port' is 70000; expected a whole number from 1 to 65535/);
      expect(() => synth({ programs: [{ name: 'a', command: 'x', port: 0 }] })).toThrow(/'programs\[0\].port' is 0; expected a whole number/);
      expect(() => synth({ programs: [{ name: 'a', command: 'x', port: 80.5 }] })).toThrow(/'programs\[0\].port' is 80.5/);
    });

    test('port: 2222 is reserved for SSH', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', port: 2222 }] })).toThrow(/'programs\[0\].port' is 2222; which is reserved for SSH; choose another port/);
    });

    test('port: unique', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', port: 8080 }, { name: 'b', command: 'y', port: 8080 }] })).toThrow(/'programs\[1\].port' is 8080; expected a unique port; programs\[0\] already uses it/);
    });

    test('expose: only with a port', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', expose: true }] })).toThrow(/'programs\[0\].expose' is true; has no effect without a port/);
    });

    test('directory: absolute', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', directory: 'src' }] })).toThrow(/'programs\[0\].directory' is "src"; expected an absolute path/);
      expect(() => synth({ programs: [{ name: 'a', command: 'x', directory: '/workspace/../etc' }] })).toThrow(/'programs\[0\].directory' is "\/workspace\/..\/etc"; expected an absolute path without '..'/);
    });

    test('directory: one line', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', directory: '/w\nuser=root' }] })).toThrow(/'programs\[0\].directory' is "\/w\\nuser=root"; expected no newline/);
    });

    test('environment: variable names', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', environment: { 'A-B': '1' } }] })).toThrow(/'programs\[0\].environment' is "A-B"; expected an environment variable name/);
    });

    test('environment: values supervisord can carry', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', environment: { A: 'say "hi"' } }] })).toThrow(/'programs\[0\].environment.A' is "say \\"hi\\""; expected no double quote/);
      expect(() => synth({ programs: [{ name: 'a', command: 'x', environment: { A: "'quoted'" } }] })).toThrow(/expected no double quote, and no single quote at either end/);
      expect(() => synth({ programs: [{ name: 'a', command: 'x', environment: { A: 'x\ny' } }] })).toThrow(/'programs\[0\].environment.A' is "x\\ny"; expected no newline/);
    });

    test('startSeconds: a whole number', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', startSeconds: -1 }] })).toThrow(/'programs\[0\].startSeconds' is -1; expected a whole number of seconds/);
    });

    test('autorestart: an AutoRestart', () => {
      expect(() => synth({ programs: [{ name: 'a', command: 'x', autorestart: 'sometimes' as AutoRestart }] })).toThrow(/'programs\[0\].autorestart' is "sometimes"; expected one of AutoRestart.ALWAYS/);
    });

    test('GIVEN several problems THEN one error lists them all', () => {
      let error: any;
      const attempt = () => synth({ programs: [{ name: 'A', command: '', port: 2222 }] });
      try { attempt(); } catch (e) { error = e; }
      expect(error.name).toBe('GoRemoteValidationError');
      expect(error.problems).toHaveLength(3);
      expect(error.message).toMatch(/^3 problems:\n- 'programs\[0\].name'/);
    });
  });
});

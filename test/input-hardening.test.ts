// Issue 14, sections 4-7: every example of the issue, each refused with the typed error naming its prop.
import { readFileSync } from 'fs';
import { join } from 'path';
import { NodeAccess } from '../src';
import { KEY } from './util';
import { authorizedKeyProblem } from '../src/authorized-keys';
import { GoRemoteValidationError, formatProblem } from '../src/errors';
import { resolveFleet } from '../src/fleet-resolve';
import { resolveEnvironment } from '../src/resolve';
import { escapeText, hasControlCharacter } from '../src/safe-text';

/** The problems of props, as "path: expected" lines; [] when they are accepted. */
function problemsOf(props: any): string[] {
  const r = resolveEnvironment({ authorizedKeys: [KEY], name: 'dev', namespace: 'team', ...props });
  return (r.problems ?? []).map(p => `${p.path}: ${p.expected}`);
}

// Real keys made with ssh-keygen 9 (OpenSSH): ed25519 (68 base64 characters), RSA 3072 (544), ECDSA P-256.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIPErC6ZhdDmDHqg5BmFgR6NKGinrvwgFRXohkT9cv83 t';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNsCcfbjUv+i4Fji8m+7dni+mJmiyWK4uK01klEMr0eo1WsCps8rFcSxTOrUxUMUxjJya0GBc3WFGnkeNMxkxO0= t';
const RSA = readFileSync(join(__dirname, 'support', 'rsa3072.pub'), 'utf8').trim();

describe('4. one definition of safe text', () => {
  test.each([
    ['U+0085 (NEL) before ;', 'run x\u0085;rm -rf /'],
    ['U+001C (file separator, a line break to Python)', 'run\u001cx'],
    ['U+001F', 'run\u001fx'],
    ['U+2028', 'run\u2028x'],
    ['U+0090 (a C1 control)', 'run\u0090x'],
    ['U+202E (a bidi override)', 'run \u202ex'],
    ['U+2066 (a bidi isolate)', 'run \u2066x'],
    ['U+200B (zero width space)', 'run\u200bx'],
    ['a lone surrogate', 'run \ud800x'],
  ])('GIVEN a command with %s THEN it is refused, naming the prop', (_, command) => {
    expect(problemsOf({ programs: [{ name: 'app', command }] })).toEqual([expect.stringMatching(/^programs\[0\]\.command: expected no newline, carriage return, tab or other control, bidi/)]);
  });

  test('GIVEN U+0085 in a program environment value or directory THEN it is refused (supervisord would refuse its config)', () => {
    expect(problemsOf({ programs: [{ name: 'app', command: 'run', environment: { A: 'x\u0085y' }, directory: '/w\u0085;x' }] })).toEqual([
      expect.stringMatching(/^programs\[0\]\.directory: expected no newline/),
      expect.stringMatching(/^programs\[0\]\.environment\.A: expected no newline/),
    ]);
  });

  test('GIVEN Python whitespace that JavaScript\'s \\s lacks (U+0085) or has (U+00A0) before ; or # THEN it is refused as an inline comment', () => {
    expect(hasControlCharacter('a\u00a0;b')).toBe(false);
    expect(problemsOf({ programs: [{ name: 'app', command: 'run\u00a0;x' }] })).toEqual([expect.stringMatching(/^programs\[0\]\.command: expected no ';' or '#' after a space/)]);
    expect(problemsOf({ programs: [{ name: 'app', command: 'run\u3000#x' }] })).toEqual([expect.stringMatching(/^programs\[0\]\.command: expected no ';' or '#' after a space/)]);
  });

  test('GIVEN a command with Python whitespace at either end THEN it is refused (supervisord strips it)', () => {
    expect(problemsOf({ programs: [{ name: 'app', command: 'run\u00a0' }] })).toEqual([expect.stringMatching(/^programs\[0\]\.command: expected no space at either end/)]);
  });

  test('GIVEN env values THEN any text is accepted (several lines too: Kubernetes and the quoted environment file carry it), except NUL', () => {
    expect(problemsOf({ env: { A: 'x\ny', B: 'x\u0085y', C: 'fine value', D: 'a\u0000b' } })).toEqual([
      expect.stringMatching(/^env\.D: expected no NUL character/),
    ]);
  });

  test('GIVEN a refused value with a newline THEN the message escapes it: it cannot forge a line', () => {
    const r = resolveEnvironment({ authorizedKeys: [KEY], name: 'dev', image: 'x\n- \'name\' is fine; forged line\u202e' } as any);
    const message = new GoRemoteValidationError(r.problems!).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('\\n- \'name\' is fine');
    expect(message).toContain('\\u202e');
    expect(hasControlCharacter(message)).toBe(false);
  });

  test('GIVEN a map key with a newline THEN the path in the message is escaped too', () => {
    const line = formatProblem({ path: 'env.A\nB', received: 1, expected: 'expected\u2028x' });
    expect(line).toBe('\'env.A\\u000aB\' is 1; expected\\u2028x');
  });

  test('escapeText writes unsafe characters as \\uXXXX and doubles backslashes', () => {
    expect(escapeText('a\\b\n\u0085')).toBe('a\\\\b\\u000a\\u0085');
  });
});

describe('5. paths normalized before every comparison', () => {
  test.each(['//workspace', '/./etc/go-remote/config', '/run//go-remote', '//workspace/home/.ssh', '/workspace/'])(
    'GIVEN a volume mounted at %s THEN it is refused as reserved', (mountPath) => {
      expect(problemsOf({ volumes: [{ volume: { name: 'extra', emptyDir: {} }, mountPath }] }))
        .toEqual([expect.stringMatching(/^volumes\[0\]\.mountPath: expected a path outside \/workspace/)]);
    });

  test('GIVEN a node path mounted at //workspace THEN it is refused as reserved', () => {
    expect(problemsOf({ nodeAccess: NodeAccess.none().withHostPath({ path: '/var/log', mountPath: '//workspace' }) }))
      .toEqual([expect.stringMatching(/^nodeAccess\.hostPaths\[0\]\.mountPath: expected a path outside/)]);
  });

  test('GIVEN two node paths at /data and //data/ THEN the second is refused as the same mount path', () => {
    const nodeAccess = NodeAccess.none().withHostPath({ path: '/a', mountPath: '/data' }).withHostPath({ path: '/b', mountPath: '//data/' });
    expect(problemsOf({ nodeAccess })).toEqual([expect.stringMatching(/^nodeAccess\.hostPaths\[1\]\.mountPath: expected each mount path once/)]);
  });

  test.each(['../etc', 'a/../../b', '/abs'])('GIVEN subPath %s THEN it is refused', (subPath) => {
    expect(problemsOf({ volumes: [{ volume: { name: 'extra', emptyDir: {} }, mountPath: '/data', subPath }] }))
      .toEqual([expect.stringMatching(/^volumes\[0\]\.subPath: expected a relative path inside the volume/)]);
  });

  test('GIVEN checkoutPath with . or .. segments or // THEN it is refused', () => {
    for (const checkoutPath of ['a/../b', './a', 'a//b', '/a']) {
      expect(problemsOf({ git: { url: 'https://github.com/acme/widget.git', checkoutPath } })).toEqual([expect.stringMatching(/^git\.checkoutPath: expected a relative path/)]);
    }
  });
});

describe('6. no crash, ever', () => {
  test.each([
    ['name: true', { name: true }, 'name'],
    ['hostKeysSecret: 0', { hostKeysSecret: 0 }, 'hostKeysSecret'],
    ['git.url with a malformed % escape', { git: { url: 'https://github.com/acme/%zz.git' } }, 'git.url'],
    ['a null toleration', { tolerations: [null] }, 'tolerations[0]'],
    ['a toleration with a number key and an unknown operator', { tolerations: [{ key: 5, operator: 'Bogus' }] }, 'tolerations[0].key'],
    ['a toleration with an unknown effect', { tolerations: [{ key: 'a', effect: 'Sometimes' }] }, 'tolerations[0].effect'],
    ['a toleration with a control character in its value', { tolerations: [{ key: 'a', value: 'x\ny' }] }, 'tolerations[0].value'],
    ['an affinity with a number for nodeAffinity', { affinity: { nodeAffinity: 5 } }, 'affinity.nodeAffinity'],
    ['an affinity term with a bad operator', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Near' }] }] } } } },
      'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator'],
    ['a pod affinity term without topologyKey', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } } }] } } },
      'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey'],
    ['an env value that is null', { env: { A: null } }, 'env.A'],
    ['an env value that is an object', { env: { A: {} } }, 'env.A'],
    ['a subPath that is a number', { volumes: [{ volume: { name: 'x', emptyDir: {} }, mountPath: '/x', subPath: 5 }] }, 'volumes[0].subPath'],
  ])('GIVEN %s THEN the typed error names the prop', (_, props, prop) => {
    const r = resolveEnvironment({ authorizedKeys: [KEY], name: 'dev', namespace: 'team', ...(props as any) });
    expect(r.problems?.map(p => p.path)).toContain(prop);
  });

  test('GIVEN valid tolerations and affinity THEN they are accepted', () => {
    expect(problemsOf({
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, { key: 'a', value: 'b', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'n', operator: 'Gt', values: ['3'] }] } }],
        },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { a: 'b' } } } }] },
      },
    })).toEqual([]);
  });
});

describe('7. what a user pastes', () => {
  test('the real keys are accepted', () => {
    for (const key of [ED25519, ECDSA, RSA]) expect(authorizedKeyProblem(key)).toBeUndefined();
  });

  test('GIVEN an ed25519 key cut anywhere from 42 to 67 of its 68 base64 characters THEN it is refused', () => {
    const [type, blob] = ED25519.split(' ');
    expect(blob).toHaveLength(68);
    for (let n = 42; n <= 67; n++) {
      expect(authorizedKeyProblem(`${type} ${blob.slice(0, n)}`)).toMatch(/expected the base64 data to be a complete 'ssh-ed25519' key/);
    }
  });

  test('GIVEN an RSA key cut anywhere from 36 to 543 of its 544 base64 characters THEN it is refused', () => {
    const [type, blob] = RSA.split(' ');
    expect(blob).toHaveLength(544);
    for (let n = 36; n <= 543; n++) {
      expect(authorizedKeyProblem(`${type} ${blob.slice(0, n)}`)).toMatch(/expected the base64 data to be a complete 'ssh-rsa' key/);
    }
  });

  test('GIVEN a key cut at a multiple of 4 characters (valid base64) or with bytes appended THEN the wire format is refused', () => {
    const [type, blob] = ED25519.split(' ');
    expect(authorizedKeyProblem(`${type} ${blob.slice(0, 64)}`)).toMatch(/a field is missing or has the wrong length/);
    const longer = Buffer.concat([Buffer.from(blob, 'base64'), Buffer.from([0, 0, 0, 0])]).toString('base64');
    expect(authorizedKeyProblem(`${type} ${longer}`)).toMatch(/bytes after the last field/);
    const [ecType, ecBlob] = ECDSA.split(' ');
    const bytes = Buffer.from(ecBlob, 'base64');
    const wrongCurve = Buffer.from(bytes);
    wrongCurve.write('nistp384', 4 + 19 + 4, 'latin1');
    expect(authorizedKeyProblem(`${ecType} ${wrongCurve.toString('base64')}`)).toMatch(/a field is missing or has the wrong length/);
  });

  test('GIVEN a pasted private key THEN the message says to use the .pub file, and never shows the key', () => {
    const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
    const r = resolveEnvironment({ authorizedKeys: [privateKey], name: 'dev' });
    const message = new GoRemoteValidationError(r.problems!).message;
    expect(message).toMatch(/^'authorizedKeys\[0\]' is "<a private key, not shown>"; expected a public key, not a private key .*the \.pub file/);
    expect(message).not.toContain('b3BlbnNzaC1rZXkt');
  });

  test('GIVEN a fleet with authorizedKeys under defaults (JavaScript, Python) THEN the message names developers[i].authorizedKeys', () => {
    const r = resolveFleet({ namespace: 'team', developers: [{ name: 'alice' }], defaults: { authorizedKeys: [KEY] } } as any);
    expect(r.problems?.map(formatProblem)).toContainEqual(expect.stringMatching(/^'defaults\.authorizedKeys' is .*developers\[i\]\.authorizedKeys/));
  });

  test('GIVEN a fleet developer without keys THEN the problem is on developers[i].authorizedKeys, even when defaults hold some', () => {
    const r = resolveFleet({ namespace: 'team', developers: [{ name: 'alice' }] } as any);
    expect(r.problems?.map(p => p.path)).toEqual(['developers[0].authorizedKeys']);
  });

  test.each([
    ['make && ./bin/server', '&&'],
    ['server | tee log', '|'],
    ['server > log', '>'],
    ['server --home $HOME', '$'],
    ['server ./*.go', '*'],
    ['server ~/config', '~'],
    ['server "$(pwd)"', '$'],
    ['server a;b', ';'],
    ['server \'unterminated', 'an unterminated single quote'],
    ['echo `id`', '`'],
  ])('GIVEN the command %s THEN it is refused with how to run a shell', (command, found) => {
    const problems = problemsOf({ programs: [{ name: 'app', command }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`found ${found.length <= 2 ? `'${found}'` : found}`);
    expect(problems[0]).toContain('to run a shell, make it the command: bash -c \'');
  });

  test('GIVEN quotes, backslashes and bash -c THEN the command is accepted (supervisord\'s shlex reads them as a shell does)', () => {
    expect(problemsOf({
      programs: [
        { name: 'a', command: 'bash -c \'make && exec ./bin/server > /tmp/log\'' },
        { name: 'b', command: 'server --name "two words" --x=a\\ b --addr=127.0.0.1:2345 100%' },
      ],
    })).toEqual([]);
  });
});

import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { one, podSpec, synth } from './util';
import { CLONE_SCRIPT } from '../src/git-repository';

const KNOWN_HOST = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

function clone(manifests: any[]) {
  return podSpec(manifests).initContainers.find((c: any) => c.name === 'clone');
}
function envOf(container: any): { [k: string]: string } {
  return Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
}

describe('git repository', () => {
  test.each([
    ['https://github.com/acme/widget.git', '/workspace/go/src/github.com/acme/widget'],
    ['https://gitlab.example.com/group/sub/project', '/workspace/go/src/gitlab.example.com/group/sub/project'],
    ['ssh://git@github.com/acme/widget.git', '/workspace/go/src/github.com/acme/widget'],
    ['ssh://git@git.example.com:2200/acme/widget.git', '/workspace/go/src/git.example.com/acme/widget'],
    ['git@github.com:acme/widget.git', '/workspace/go/src/github.com/acme/widget'],
    ['git://127.0.0.1:9418/example.com/acme/hello.git', '/workspace/go/src/127.0.0.1/example.com/acme/hello'],
    ['https://GitHub.com/Acme/Widget.git', '/workspace/go/src/github.com/Acme/Widget'],
  ])('GIVEN %s THEN the clone lands at %s (the original tool\'s GOPATH layout)', (url, checkout) => {
    const ssh = url.startsWith('ssh') || url.startsWith('git@');
    const { manifests, env } = synth({ git: { url, knownHosts: ssh ? [KNOWN_HOST] : undefined } });
    expect(env.checkoutPath).toBe(checkout);
    expect(envOf(clone(manifests)).GO_REMOTE_CHECKOUT).toBe(checkout);
    expect(one(manifests, 'Deployment').spec.template.spec.containers[0].env).toContainEqual({ name: 'GO_REMOTE_CHECKOUT', value: checkout });
  });

  test('GIVEN checkoutPath THEN it replaces the derived path', () => {
    const { env } = synth({ git: { url: 'https://git.internal/x/y.git', checkoutPath: 'example.com/team/y' } });
    expect(env.checkoutPath).toBe('/workspace/go/src/example.com/team/y');
  });

  test('the clone container runs the constant script; user values arrive only as environment variables', () => {
    const { manifests } = synth({ git: { url: 'https://github.com/acme/widget.git', ref: 'release-1.2' } });
    const c = clone(manifests);
    expect(c.command).toEqual(['/bin/sh', '-c', CLONE_SCRIPT]);
    expect(CLONE_SCRIPT).not.toContain('acme');
    expect(envOf(c)).toMatchObject({
      GO_REMOTE_GIT_URL: 'https://github.com/acme/widget.git',
      GO_REMOTE_GIT_BRANCH: 'release-1.2',
      GIT_CONFIG_KEY_0: 'http.sslVerify',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_TERMINAL_PROMPT: '0',
    });
    expect(envOf(c).GO_REMOTE_GIT_COMMIT).toBeUndefined();
  });

  test('GIVEN a 40-character commit id THEN it is checked out detached rather than passed to --branch', () => {
    const sha = 'a'.repeat(40);
    const { manifests } = synth({ git: { url: 'https://github.com/acme/widget.git', ref: sha } });
    expect(envOf(clone(manifests)).GO_REMOTE_GIT_COMMIT).toBe(sha);
    expect(envOf(clone(manifests)).GO_REMOTE_GIT_BRANCH).toBeUndefined();
  });

  test('GIVEN an ssh URL with a key Secret THEN host keys are verified against the declared known_hosts and the key is mounted', () => {
    const { manifests } = synth({ git: { url: 'git@github.com:acme/widget.git', sshKeySecret: 'deploy-key', knownHosts: [KNOWN_HOST] } });
    const c = clone(manifests);
    expect(envOf(c).GIT_SSH_COMMAND).toBe('ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/go-remote/config/known_hosts -o BatchMode=yes -i /etc/go-remote/git/ssh-privatekey -o IdentitiesOnly=yes');
    expect(one(manifests, 'ConfigMap').data.known_hosts).toBe(`${KNOWN_HOST}\n`);
    expect(c.volumeMounts).toContainEqual({ name: 'git-credentials', mountPath: '/etc/go-remote/git', readOnly: true });
    expect(podSpec(manifests).volumes).toContainEqual({ name: 'git-credentials', secret: { secretName: 'deploy-key', defaultMode: 0o400, optional: false } });
    // The key is for the clone only: the development container never mounts it.
    expect(podSpec(manifests).containers[0].volumeMounts.map((m: any) => m.name)).not.toContain('git-credentials');
  });

  test('a failed clone is visible in kubectl describe: the log\'s tail is the termination message', () => {
    // GIVEN an ssh repository with a deploy-key Secret
    const { manifests } = synth({ git: { url: 'git@github.com:acme/widget.git', knownHosts: [KNOWN_HOST], sshKeySecret: 'widget-deploy-key' } });
    // THEN the clone container falls back to its log, and the script can name the Secret
    const c = clone(manifests);
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(envOf(c).GO_REMOTE_GIT_KEY_SECRET).toBe('widget-deploy-key');
    // AND without a Secret the variable is absent
    expect(envOf(clone(synth({ git: { url: 'https://github.com/acme/widget.git' } }).manifests)).GO_REMOTE_GIT_KEY_SECRET).toBeUndefined();
  });

  test('default: no repository, no clone container', () => {
    const { manifests, env } = synth();
    expect(podSpec(manifests).initContainers).toBeUndefined();
    expect(env.checkoutPath).toBeUndefined();
  });

  describe('rules', () => {
    const bad = (git: any) => () => synth({ git });
    test('url: http is refused (TLS is always verified)', () => {
      expect(bad({ url: 'http://github.com/acme/widget.git' })).toThrow(/'git.url' is "http:\/\/github.com\/acme\/widget.git"; expected https: plain http is refused/);
    });
    test('url: other schemes are refused', () => {
      expect(bad({ url: 'file:///etc/passwd' })).toThrow(/'git.url' is "file:\/\/\/etc\/passwd"; expected an https:\/\/, ssh:\/\/, git:\/\/ or user@host:path URL/);
      expect(bad({ url: 'ext::sh -c touch% /tmp/pwned' })).toThrow(/'git.url' is "ext::sh -c touch% \/tmp\/pwned"; expected a URL without spaces/);
    });
    test('url: no shell metacharacters', () => {
      for (const url of ['https://github.com/acme/$(reboot).git', 'https://github.com/a;b/c', 'https://github.com/a/b`id`', 'https://github.com/a/b|c']) {
        expect(bad({ url })).toThrow(/'git.url' is .*; expected a URL without spaces, quotes, shell metacharacters or control characters/);
      }
    });
    test('url: no option injection', () => {
      expect(bad({ url: '--upload-pack=touch' })).toThrow(/'git.url' is "--upload-pack=touch"; expected a URL without/);
    });
    test('url: no credentials', () => {
      expect(bad({ url: 'https://bob:hunter2@github.com/acme/widget.git' })).toThrow(/'git.url' is .*; expected no credentials in the URL/);
    });
    test('url: a repository path', () => {
      expect(bad({ url: 'https://github.com/' })).toThrow(/'git.url' is "https:\/\/github.com\/"; expected a repository path/);
    });
    test('ref: a branch, tag or commit', () => {
      expect(bad({ url: 'https://github.com/a/b', ref: '--exec=evil' })).toThrow(/'git.ref' is "--exec=evil"; expected a branch or tag name/);
      expect(bad({ url: 'https://github.com/a/b', ref: 'a..b' })).toThrow(/'git.ref' is "a..b"/);
    });
    test('checkoutPath: relative, no ..', () => {
      expect(bad({ url: 'https://github.com/a/b', checkoutPath: '../../etc' })).toThrow(/'git.checkoutPath' is "..\/..\/etc"; expected a relative path/);
    });
    test('ssh URLs need known_hosts', () => {
      expect(bad({ url: 'git@github.com:acme/widget.git' })).toThrow(/'git.knownHosts' is undefined; expected the SSH server's known_hosts lines/);
    });
    test('knownHosts lines are known_hosts lines', () => {
      expect(bad({ url: 'git@github.com:a/b.git', knownHosts: ['github.com\nevil'] })).toThrow(/'git.knownHosts\[0\]' is "github.com\\nevil"; expected one known_hosts line/);
    });
    test('sshKeySecret only with ssh URLs', () => {
      expect(bad({ url: 'https://github.com/a/b', sshKeySecret: 'k' })).toThrow(/'git.sshKeySecret' is "k"; applies to ssh URLs only/);
    });
  });
});

describe('the clone script, run by sh against a real repository', () => {
  const work = mkdtempSync(join(tmpdir(), 'clone-'));
  const origin = join(work, 'origin.git');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: work } }).trim();
  let firstCommit = '';

  beforeAll(() => {
    const src = join(work, 'src');
    mkdirSync(src);
    git('init', '-q', '-b', 'main', src);
    writeFileSync(join(src, 'go.mod'), 'module example.com/hello\n');
    git('-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
    git('-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one');
    firstCommit = git('-C', src, 'rev-parse', 'HEAD');
    writeFileSync(join(src, 'two.txt'), 'two\n');
    git('-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.');
    git('-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'two');
    git('-C', src, 'branch', 'feature', firstCommit);
    git('clone', '-q', '--bare', src, origin);
  });

  function run(dest: string, extra: { [k: string]: string } = {}) {
    return spawnSync('/bin/sh', ['-c', CLONE_SCRIPT], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH!, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GO_REMOTE_CHECKOUT: dest, GO_REMOTE_GIT_URL: origin, ...extra },
    });
  }

  test('GIVEN an empty workspace THEN it clones the default branch', () => {
    const dest = join(work, 'ws1', 'go', 'src', 'example.com', 'hello');
    const r = run(dest);
    expect(r.status).toBe(0);
    expect(existsSync(join(dest, 'two.txt'))).toBe(true);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  test('GIVEN an existing checkout with local work THEN a second start leaves it untouched', () => {
    const dest = join(work, 'ws2', 'hello');
    expect(run(dest).status).toBe(0);
    writeFileSync(join(dest, 'two.txt'), 'my unsaved work\n');
    const r = run(dest, { GO_REMOTE_GIT_BRANCH: 'feature' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('exists; not cloning');
    expect(readFileSync(join(dest, 'two.txt'), 'utf8')).toBe('my unsaved work\n');
  });

  test('GIVEN a branch THEN that branch is checked out', () => {
    const dest = join(work, 'ws3', 'hello');
    expect(run(dest, { GO_REMOTE_GIT_BRANCH: 'feature' }).status).toBe(0);
    expect(existsSync(join(dest, 'two.txt'))).toBe(false);
    expect(git('-C', dest, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature');
  });

  test('GIVEN a commit THEN it is checked out detached', () => {
    const dest = join(work, 'ws4', 'hello');
    expect(run(dest, { GO_REMOTE_GIT_COMMIT: firstCommit }).status).toBe(0);
    expect(git('-C', dest, 'rev-parse', 'HEAD')).toBe(firstCommit);
  });

  test('GIVEN a clone that fails THEN the script fails and leaves no checkout behind, so the next start retries', () => {
    const dest = join(work, 'ws5', 'hello');
    const r = run(dest, { GO_REMOTE_GIT_URL: join(work, 'missing.git') });
    expect(r.status).not.toBe(0);
    expect(existsSync(dest)).toBe(false);
    expect(run(dest).status).toBe(0);
    expect(existsSync(join(dest, 'go.mod'))).toBe(true);
  });

  // The one line a failed clone prints after git's own error: what failed, and what to check.
  const line = (stderr: string) => stderr.split('\n').filter(l => l.startsWith('go-remote: error:'));

  test('GIVEN a branch that does not exist THEN git\'s error, then one go-remote line naming the ref and git.ref', () => {
    const dest = join(work, 'ws7', 'hello');
    const r = run(dest, { GO_REMOTE_GIT_BRANCH: 'no-such-branch' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/fatal: Remote branch no-such-branch not found[^]*go-remote: error:/);
    expect(line(r.stderr)).toEqual([`go-remote: error: cloning ${origin}: the ref 'no-such-branch' is not in the repository; check git.ref (a branch or tag of that repository, or a commit on one of them)`]);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe(line(r.stderr)[0]);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  test('GIVEN a commit that is not in the repository THEN the go-remote line names it', () => {
    const dest = join(work, 'ws8', 'hello');
    const r = run(dest, { GO_REMOTE_GIT_COMMIT: 'b'.repeat(40) });
    expect(r.status).not.toBe(0);
    expect(line(r.stderr)).toEqual([expect.stringContaining(`the ref '${'b'.repeat(40)}' is not in the repository; check git.ref`)]);
    expect(existsSync(dest)).toBe(false);
  });

  test('GIVEN a repository that does not exist THEN the go-remote line says so and names the URL and the access to check', () => {
    const missing = join(work, 'missing.git');
    const anonymous = run(join(work, 'ws9', 'hello'), { GO_REMOTE_GIT_URL: missing });
    expect(line(anonymous.stderr)).toEqual([`go-remote: error: cloning ${missing}: the repository does not exist or cannot be read; check git.url, and that it is readable without credentials (or set git.sshKeySecret to a deploy key, with an ssh URL)`]);
    const withKey = run(join(work, 'ws9', 'hello'), { GO_REMOTE_GIT_URL: missing, GO_REMOTE_GIT_KEY_SECRET: 'deploy-key' });
    expect(line(withKey.stderr)).toEqual([expect.stringContaining('check git.url, and that the deploy key in the Secret deploy-key (ssh-privatekey) has read access to it')]);
  });

  test('GIVEN an ssh server whose host key is not known THEN the go-remote line points at git.knownHosts', () => {
    // GIVEN an ssh command that fails as ssh does on an unknown host key (no server is contacted)
    const dest = join(work, 'ws10', 'hello');
    const fakeSsh = join(work, 'fake-ssh');
    writeFileSync(fakeSsh, '#!/bin/sh\necho "No ED25519 host key is known for git.example.com and you have requested strict checking." >&2\necho "Host key verification failed." >&2\nexit 255\n', { mode: 0o755 });
    const r = run(dest, { GO_REMOTE_GIT_URL: 'git@git.example.com:acme/widget.git', GIT_SSH_COMMAND: fakeSsh });
    expect(r.stderr).toContain('Host key verification failed.');
    expect(line(r.stderr)).toEqual([expect.stringContaining('the SSH server\'s host key is not in git.knownHosts; check git.knownHosts')]);
  });

  test('GIVEN a server that refuses the key THEN the go-remote line points at the deploy-key Secret', () => {
    const dest = join(work, 'ws11', 'hello');
    const fakeSsh = join(work, 'fake-ssh-denied');
    writeFileSync(fakeSsh, '#!/bin/sh\necho "git@git.example.com: Permission denied (publickey)." >&2\nexit 255\n', { mode: 0o755 });
    const r = run(dest, { GO_REMOTE_GIT_URL: 'git@git.example.com:acme/widget.git', GIT_SSH_COMMAND: fakeSsh, GO_REMOTE_GIT_KEY_SECRET: 'widget-key' });
    expect(line(r.stderr)).toEqual([expect.stringContaining('the server refused access; check git.url, and that the deploy key in the Secret widget-key (ssh-privatekey) has read access to it')]);
  });

  test('GIVEN hostile values THEN they stay data: no command substitution, no option injection', () => {
    const dest = join(work, 'ws6', '$(touch pwned)');
    const r = run(dest, { GO_REMOTE_GIT_BRANCH: '--upload-pack=touch pwned2' });
    expect(r.status).not.toBe(0);
    expect(existsSync(join(work, 'pwned'))).toBe(false);
    expect(existsSync(join(work, 'pwned2'))).toBe(false);
  });
});

// End-to-end: inside the pod, what a developer types just works (issue 16, section 3). Plays a synthesized
// environment with `podman kube play` (harness.forPodman, plus an sshd port of its own so that this file never
// meets another test's pod on 2222) and talks to it with the system's OpenSSH client, as a developer would:
//  - every SSH session, login shell or not (`ssh host 'echo $MY_VAR'`, `ssh host env`), sees the declared `env`
//    variables (one with spaces, quotes, `$` and a backslash) and the Go variables, as UID 1000 and as a random UID
//    with GID 0 (OpenShift); a value sshd_config cannot carry (a newline) is left out of non-login sessions and logged;
//  - a plain `supervisorctl status|restart` works for the login user;
//  - a clone that fails (a ref that does not exist, a repository that does not exist) ends the init container's log
//    with git's error and one `go-remote: error:` line saying what failed and what to check.
// Run it with `bash test/e2e/run.sh` (it builds the image first): `bash test/e2e/run.sh test/e2e/session.e2e.test.ts`.
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { utils } from 'ssh2';
import { CACHE, Doc, GitServer, LOOPBACK, REPO, addTimings, forPodman, freePort, podman, run, toYaml, waitFor } from './harness';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../../src';

const IMAGE = process.env.E2E_IMAGE;
const NAME = 'go-remote-session';
// podman 4.3.1 names the pod of a Deployment `<name>-pod-0` and its containers `<pod>-<container>`.
const POD = `${NAME}-pod-0`;
const CLAIMS = [`${NAME}-workspace`, `${NAME}-workspace-random-uid`, `${NAME}-workspace-bad-ref`, `${NAME}-workspace-no-repo`];
const USER = 'gopher';
const RANDOM_UID = 1000660000;
const LOGIN_DEADLINE_MS = 90_000;

// What the developer declared: a plain value, one with spaces and every quoting character; and a value with a
// newline (added to the test copy: the construct refuses it in `env`, a Secret's value may hold one).
const MY_VAR = 'hello from env';
const TRICKY = ' two  spaces, "double" and \'single\' quotes, $HOME and a back\\slash ';
const MULTILINE = 'line one\nline two';

const runDir = path.join(CACHE, 'run', 'session');
const keyFile = path.join(runDir, 'id_ed25519');
const userKey = utils.generateKeyPairSync('ed25519', { comment: 'e2e-session' });
const timings: { [k: string]: number } = {};

let git: GitServer;
let sshPort: number;

function synthesize(extra: Partial<GoRemoteEnvironmentProps> = {}): Doc[] {
  const app = Testing.app();
  const chart = new Chart(app, 'e2e');
  new GoRemoteEnvironment(chart, 'dev', {
    name: NAME,
    authorizedKeys: [userKey.public],
    image: IMAGE,
    git: { url: `git://${LOOPBACK}:${git.port}/acme/hello.git`, ref: 'main' },
    programs: [{ name: 'ticker', command: 'sleep 3600' }],
    env: { MY_VAR, E2E_TRICKY: TRICKY },
    ...extra,
  });
  return Testing.synth(chart) as Doc[];
}

/** The test copy: forPodman's rewrites, and sshd on a port of this file's own (still on 127.0.0.1 only). */
function forThisTest(docs: Doc[], claimName: string, runAs?: { uid: number; gid: number }): Doc[] {
  const out = forPodman(docs, { claimName, runAs });
  const config = out.find(d => d.kind === 'ConfigMap' && typeof d.data?.sshd_config === 'string')!;
  config.data.sshd_config = config.data.sshd_config.replace(/^Port 2222$/m, `Port ${sshPort}`);
  if (!config.data.sshd_config.includes(`Port ${sshPort}\n`)) throw new Error('sshd_config has no Port 2222 line');
  // A value with a newline, which the construct refuses in `env` but a variable from a Secret or the image can hold.
  const dev = out.find(d => d.kind === 'Deployment')!.spec.template.spec.containers.find((c: any) => c.name === 'dev');
  dev.env.push({ name: 'E2E_MULTILINE', value: MULTILINE });
  return out;
}

function play(docs: Doc[], label: string): { file: string; status: number; output: string } {
  const file = path.join(runDir, `${label}.yaml`);
  fs.writeFileSync(file, toYaml(docs));
  const r = podman(['kube', 'play', file], { allowFail: true });
  return { file, status: r.status, output: r.stdout + r.stderr };
}

// podman 4.3.1 turns the emptyDir `run` into a named volume `run` that outlives the pod: the next pod (another
// UID) would find the last one's files there. Removed without -f, so a volume another pod still uses stays.
const RUN_VOLUME = 'run';

function down(file: string): void {
  podman(['kube', 'down', file], { allowFail: true });
  podman(['pod', 'rm', '-f', '--ignore', POD], { allowFail: true });
  podman(['volume', 'rm', RUN_VOLUME], { allowFail: true });
}

function logs(container: string): string {
  const r = podman(['logs', `${POD}-${container}`], { allowFail: true });
  return r.stdout + r.stderr;
}

function cleanUp(): void {
  podman(['pod', 'rm', '-f', '--ignore', POD], { allowFail: true });
  // Claims and ConfigMaps both become podman volumes.
  for (const v of [...CLAIMS, `${NAME}-config`]) podman(['volume', 'rm', '-f', v], { allowFail: true });
  podman(['volume', 'rm', RUN_VOLUME], { allowFail: true });
}

/** `ssh [-T] gopher@127.0.0.1 -p <port> [command]` with the system's OpenSSH client; stdin feeds a login shell. */
function ssh(command: string | undefined, input?: string): { status: number; stdout: string; stderr: string } {
  const args = ['-F', '/dev/null', '-i', keyFile, '-p', String(sshPort), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', '-T', `${USER}@${LOOPBACK}`];
  if (command !== undefined) args.push(command);
  return run('ssh', args, { allowFail: true, input: input ?? '' });
}

async function waitForSsh(since: number): Promise<number> {
  await waitFor(`an SSH login on ${LOOPBACK}:${sshPort}`, () => ssh('true').status === 0, LOGIN_DEADLINE_MS, 250);
  return Date.now() - since;
}

/** `env` output as a map; values may span lines only for variables this test does not look at. */
function envMap(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** What every session must see, login shell or not, whatever UID runs the pod. */
function expectSessionEnvironment(env: Map<string, string>): void {
  expect(env.get('MY_VAR')).toBe(MY_VAR);
  expect(env.get('E2E_TRICKY')).toBe(TRICKY);
  expect(env.get('GOPATH')).toBe('/workspace/go');
  expect(env.get('GOMODCACHE')).toBe('/workspace/go/pkg/mod');
  expect(env.get('GOCACHE')).toBe('/workspace/.cache/go-build');
  expect(env.get('HOME')).toBe('/workspace/home');
  expect(env.get('USER')).toBe(USER);
  const dirs = (env.get('PATH') ?? '').split(':');
  expect(dirs).toEqual(expect.arrayContaining(['/usr/local/go/bin', '/workspace/go/bin', '/usr/local/bin', '/usr/bin', '/bin']));
}

/** The checks of one running pod, as the developer's commands see it. */
async function checkSessions(uid: number, gid: number): Promise<void> {
  // A non-login session: `ssh host 'echo $MY_VAR'`, as scripts and some editors run it.
  const echo = ssh('echo "$MY_VAR"; shopt -q login_shell && echo login || echo not-login; id -u; id -g');
  expect(echo.stderr).toBe('');
  expect(echo.stdout.split('\n')).toEqual([MY_VAR, 'not-login', String(uid), String(gid), '']);

  // `ssh host env`: no shell of ours in between.
  const plain = ssh('env');
  expect(plain.status).toBe(0);
  expectSessionEnvironment(envMap(plain.stdout));
  // The value sshd_config cannot carry is left out of non-login sessions (and the entrypoint said so).
  expect(envMap(plain.stdout).has('E2E_MULTILINE')).toBe(false);
  expect(logs('dev')).toContain('go-remote: warning: SSH sessions that are not login shells do not get E2E_MULTILINE');

  // The Go toolchain answers from a non-login session, with the workspace's directories.
  const go = ssh('go env GOPATH GOMODCACHE GOCACHE && command -v go dlv gopls');
  expect(go.status).toBe(0);
  expect(go.stdout.split('\n')).toEqual(['/workspace/go', '/workspace/go/pkg/mod', '/workspace/.cache/go-build',
    '/usr/local/go/bin/go', '/usr/local/bin/dlv', '/usr/local/bin/gopls', '']);

  // A login shell (no command: sshd starts bash as a login shell and feeds it stdin), as VS Code's server starts.
  const login = ssh(undefined, 'shopt -q login_shell && echo login\nprintf "%s\\n" "$MY_VAR" "$E2E_TRICKY"\nprintenv E2E_MULTILINE\nenv\n');
  expect(login.status).toBe(0);
  const [flag, myVar, tricky, multi1, multi2, ...rest] = login.stdout.split('\n');
  expect([flag, myVar, tricky, multi1, multi2]).toEqual(['login', MY_VAR, TRICKY, 'line one', 'line two']);
  expectSessionEnvironment(envMap(rest.join('\n')));

  // A plain `supervisorctl` (no -c) for the login user.
  const status = ssh('supervisorctl status');
  expect(status.stdout).toMatch(/^sshd\s+RUNNING/m);
  expect(status.stdout).toMatch(/^ticker\s+RUNNING/m);
  const restart = ssh('supervisorctl restart ticker');
  expect(restart.stdout).toMatch(/ticker: stopped\s+ticker: started/);
}

beforeAll(async () => {
  if (!IMAGE) throw new Error('E2E_IMAGE is not set: run this tier with `bash test/e2e/run.sh`, which builds the image');
  fs.mkdirSync(runDir, { recursive: true });
  cleanUp();
  fs.writeFileSync(keyFile, userKey.private, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  git = await GitServer.start(runDir, path.join(REPO, 'test', 'e2e', 'fixtures', 'hello'), 'acme/hello.git');
  sshPort = await freePort();
});

afterAll(() => {
  cleanUp();
  git?.stop();
  addTimings(timings);
  process.stdout.write(`e2e timings (session):\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
});

describe('inside the pod, what a developer types just works', () => {
  test('every SSH session sees the declared variables and the Go variables (UID 1000)', async () => {
    const t0 = Date.now();
    const played = play(forThisTest(synthesize(), CLAIMS[0]), 'session');
    try {
      expect(played.output).not.toMatch(/Error/);
      timings.sessionPlayToSshMs = await waitForSsh(t0);
      expect(logs('dev')).toMatch(/go-remote: SSH sessions: \d+ variable\(s\) in \/run\/go-remote\/sshd-environment\.conf/);
      await checkSessions(1000, 1000);
    } finally {
      down(played.file);
    }
  });

  test('the same under a random UID with GID 0 (OpenShift)', async () => {
    const t0 = Date.now();
    const played = play(forThisTest(synthesize(), CLAIMS[1], { uid: RANDOM_UID, gid: 0 }), 'session-random-uid');
    try {
      expect(played.output).not.toMatch(/Error/);
      timings.sessionRandomUidPlayToSshMs = await waitForSsh(t0);
      await checkSessions(RANDOM_UID, 0);
    } finally {
      down(played.file);
    }
  });

  test.each([
    ['a ref that does not exist', CLAIMS[2], { ref: 'no-such-branch' },
      /fatal: Remote branch no-such-branch not found/,
      'the ref \'no-such-branch\' is not in the repository; check git.ref'],
    ['a repository that does not exist', CLAIMS[3], { path: 'acme/no-such-repo.git' },
      /fatal: remote error: no such repository: \/acme\/no-such-repo\.git/,
      'the repository does not exist or cannot be read; check git.url, and that it is readable without credentials'],
  ])('a clone that fails (%s) ends with git\'s error and one go-remote line', async (_what, claim, bad: { ref?: string; path?: string }, gitError, expected) => {
    const url = `git://${LOOPBACK}:${git.port}/${bad.path ?? 'acme/hello.git'}`;
    const played = play(forThisTest(synthesize({ git: { url, ref: bad.ref ?? 'main' } }), claim), `clone-${claim}`);
    try {
      await checkFailedClone(url, gitError, expected);
    } finally {
      down(played.file);
    }
  });
});

async function checkFailedClone(url: string, gitError: RegExp, expected: string): Promise<void> {
  let log = '';
  await waitFor('the clone container\'s go-remote line', () => /go-remote: error:/.test(log = logs('clone')), 60_000, 500);
  const lines = log.trimEnd().split('\n');
  const ours = lines.filter(l => l.startsWith('go-remote: error:'));
  // One line per attempt (podman restarts the init container as the kubelet would), always the same.
  expect(ours.length).toBeGreaterThanOrEqual(1);
  expect(new Set(ours).size).toBe(1);
  expect(ours[0]).toContain(`go-remote: error: cloning ${url}: ${expected}`);
  // Each attempt: git's own error, then the go-remote line last (the tail that FallbackToLogsOnError makes the
  // message). The log may be read in the middle of a later attempt, so the first attempt is the one checked.
  const firstAttempt = lines.slice(0, lines.indexOf(ours[0]) + 1);
  expect(firstAttempt.slice(0, -1).join('\n')).toMatch(gitError);
  expect(firstAttempt[firstAttempt.length - 2]).toMatch(gitError);
  // The dev container never started: no SSH.
  expect(ssh('true').status).not.toBe(0);
}

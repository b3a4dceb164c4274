// End-to-end: the synthesized YAML really runs. Synthesizes a GoRemoteEnvironment, plays a test copy with
// `podman kube play` (see harness.forPodman for the only rewrites) and checks over real SSH connections what
// a developer relies on. Run it with `bash test/e2e/run.sh`, which builds the image first.
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { utils } from 'ssh2';
import {
  CACHE, Doc, GitServer, LOOPBACK, REPO, SshSession, addTimings, findDoc, forPodman, httpGet, podman,
  publicKeyFingerprint, sleep, sshConnect, sshExec, sshLoginShell, toYaml, waitFor, waitForLogin,
} from './harness';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../../src';

const IMAGE = process.env.E2E_IMAGE;
const NAME = 'go-remote-e2e';
// podman 4.3.1 names the pod of a Deployment `<name>-pod-0` and its containers `<pod>-<container>`.
const POD = `${NAME}-pod-0`;
const CLAIM = `${NAME}-workspace`;
const RANDOM_UID_CLAIM = `${NAME}-workspace-random-uid`;
const SECRET_CLAIM = `${NAME}-workspace-host-keys`;
const HOST_KEYS_SECRET = `${NAME}-host-keys`;
const SSH_PORT = 2222;
const HELLO_PORT = 18080;
const USER = 'gopher';
const RANDOM_UID = 1000660000;
const LOGIN_DEADLINE_MS = 60_000;

const runDir = path.join(CACHE, 'run');
const timings: { [k: string]: number | string } = {};

const userKey = utils.generateKeyPairSync('ed25519', { comment: 'e2e-user' });
const otherKey = utils.generateKeyPairSync('ed25519', { comment: 'e2e-other' });
const secretHostKey = utils.generateKeyPairSync('ed25519', { comment: 'e2e-host-key' });

let git: GitServer;
let checkout: string;
let synthesized: Doc[];
const sessions: SshSession[] = [];
const playedFiles: string[] = [];

function synthesize(extra: Partial<GoRemoteEnvironmentProps> = {}): Doc[] {
  const app = Testing.app();
  const chart = new Chart(app, 'e2e');
  new GoRemoteEnvironment(chart, 'dev', {
    name: NAME,
    authorizedKeys: [userKey.public],
    image: IMAGE,
    git: { url: `git://${LOOPBACK}:${git.port}/acme/hello.git`, ref: 'main' },
    programs: [{
      name: 'hello',
      command: 'go run .',
      port: HELLO_PORT,
      directory: `/workspace/go/src/${LOOPBACK}/acme/hello`,
      environment: { HELLO_ADDR: `${LOOPBACK}:${HELLO_PORT}`, HELLO_NAME: 'e2e' },
    }],
    env: { E2E_GREETING: 'it\'s "quoted" $NOT_EXPANDED' },
    ...extra,
  });
  return Testing.synth(chart) as Doc[];
}

function play(docs: Doc[], label: string): string {
  const file = path.join(runDir, `${label}.yaml`);
  fs.writeFileSync(file, toYaml(docs));
  playedFiles.push(file);
  podman(['kube', 'play', file]);
  return file;
}

function down(file: string): void {
  podman(['kube', 'down', file], { allowFail: true });
  podman(['pod', 'rm', '-f', '--ignore', POD], { allowFail: true });
}

function container(name: string): string {
  return `${POD}-${name}`;
}

function containerLogs(name: string): string {
  const r = podman(['logs', container(name)], { allowFail: true });
  return r.stdout + r.stderr;
}

/** Milliseconds from the dev container's start (podman's StartedAt) to `until`. */
function sinceContainerStart(until: number): number {
  const startedAt = podman(['inspect', '--format', '{{.State.StartedAt.UnixNano}}', container('dev')]).stdout.trim();
  return until - Number(BigInt(startedAt) / 1000000n);
}

/** When the entrypoint, supervisord and sshd got going, in ms after the dev container's start (from its log). */
function startupBreakdown(prefix: string): void {
  const startedAt = Number(BigInt(podman(['inspect', '--format', '{{.State.StartedAt.UnixNano}}', container('dev')]).stdout.trim()) / 1000000n);
  const log = podman(['logs', '-t', container('dev')], { allowFail: true });
  const lines = (log.stdout + log.stderr).split('\n');
  const at = (re: RegExp) => {
    const line = lines.find(l => re.test(l));
    return line ? Date.parse(line.split(' ')[0]) - startedAt : -1;
  };
  timings[`${prefix}EntrypointMs`] = at(/go-remote: starting/);
  timings[`${prefix}SupervisordStartedMs`] = at(/supervisord started/);
  timings[`${prefix}SshdListeningMs`] = at(/Server listening on/);
}

function cleanUp(): void {
  for (const s of sessions.splice(0)) s.client.end();
  podman(['pod', 'rm', '-f', '--ignore', POD], { allowFail: true });
  // Claims and ConfigMaps both become podman volumes.
  for (const v of [CLAIM, RANDOM_UID_CLAIM, SECRET_CLAIM, `${NAME}-config`, `${HOST_KEYS_SECRET}-podman`]) {
    podman(['volume', 'rm', '-f', v], { allowFail: true });
  }
}

async function login(): Promise<SshSession & { ms: number; at: number }> {
  const s = await waitForLogin({ port: SSH_PORT, username: USER, privateKey: userKey.private }, LOGIN_DEADLINE_MS);
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  if (!IMAGE) throw new Error('E2E_IMAGE is not set: run this tier with `bash test/e2e/run.sh`, which builds the image');
  fs.mkdirSync(runDir, { recursive: true });
  cleanUp();
  git = await GitServer.start(runDir, path.join(REPO, 'test', 'e2e', 'fixtures', 'hello'), 'acme/hello.git');
  synthesized = synthesize();
});

afterAll(() => {
  cleanUp();
  git?.stop();
  let build = {};
  const buildFile = path.join(CACHE, 'build-timings.json');
  if (fs.existsSync(buildFile)) build = JSON.parse(fs.readFileSync(buildFile, 'utf8'));
  const all = addTimings({ ...build, ...timings });
  process.stdout.write(`e2e timings:\n${Object.entries(all).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
});

describe('the synthesized environment, played by podman', () => {
  let session: SshSession;
  let firstFile: string;
  let firstHostKey: string;

  test('starts and accepts the declared key soon after the container start', async () => {
    const deployment = findDoc(synthesized, 'Deployment');
    const dev = deployment.spec.template.spec.containers.find((c: any) => c.name === 'dev');
    checkout = dev.env.find((e: any) => e.name === 'GO_REMOTE_CHECKOUT').value;
    expect(checkout).toBe(`/workspace/go/src/${LOOPBACK}/acme/hello`);

    const t0 = Date.now();
    firstFile = play(forPodman(synthesized), 'first');
    timings.playSeconds = (Date.now() - t0) / 1000;
    const first = await login();
    session = first;
    timings.playToFirstLoginMs = first.at - t0;
    timings.containerStartToFirstLoginMs = sinceContainerStart(first.at);
    firstHostKey = session.hostKey;
    startupBreakdown('firstStart');

    expect((await sshLoginShell(session.client, 'id -un; id -u; id -g')).split('\n')).toEqual([USER, '1000', '1000', '']);
    // The entrypoint logs the fingerprints of the keys sshd presents. On a first start the RSA key comes a
    // little later (generated beside sshd, which then re-reads its keys).
    await waitFor('the RSA host key', () => /sshd reloaded with/.test(containerLogs('dev')), 30_000);
    const logs = containerLogs('dev');
    expect(logs).toContain(firstHostKey);
    for (const type of ['ED25519', 'ECDSA', 'RSA']) expect(logs).toMatch(new RegExp(`host key fingerprint: \\d+ SHA256:\\S+ .*\\(${type}\\)`));
    const again = await login();
    expect(again.hostKey).toBe(firstHostKey);
    expect(timings.containerStartToFirstLoginMs).toBeLessThan(5000);
  });

  test('refuses another key and a password', async () => {
    await expect(sshConnect({ port: SSH_PORT, username: USER, privateKey: otherKey.private })).rejects.toThrow(/authentication/i);
    await expect(sshConnect({ port: SSH_PORT, username: USER, password: 'gopher' })).rejects.toThrow(/authentication/i);
    await expect(sshConnect({ port: SSH_PORT, username: 'root', privateKey: userKey.private })).rejects.toThrow(/authentication/i);
  });

  test('login shells get the declared environment and the tools', async () => {
    const out = await sshLoginShell(session.client, [
      'printf "%s\\n" "$E2E_GREETING" "$GOPATH" "$GOMODCACHE" "$GOCACHE" "$HOME" "$GO_REMOTE_CHECKOUT"',
      'for t in go dlv gopls kubectl git curl tar ps supervisorctl; do command -v "$t"; done',
      'kubectl version --client >/dev/null',
      'test -w /tmp',
    ].join('; '));
    const lines = out.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'it\'s "quoted" $NOT_EXPANDED', '/workspace/go', '/workspace/go/pkg/mod', '/workspace/.cache/go-build', '/workspace/home', checkout,
    ]);
    expect(lines.slice(6, 10)).toEqual(['/usr/local/go/bin/go', '/usr/local/bin/dlv', '/usr/local/bin/gopls', '/usr/local/bin/kubectl']);
    const modes = await sshLoginShell(session.client, 'stat -c "%a %u" "$HOME" "$HOME/.ssh" "$HOME/.ssh/authorized_keys" /etc/passwd');
    expect(modes.trim().split('\n')).toEqual(['755 1000', '700 1000', '600 1000', '664 0']);
  });

  test('supervisord runs the declared program, which answers on its port', async () => {
    const start = Date.now();
    let body = '';
    while (Date.now() - start < 120_000) {
      try {
        body = (await httpGet(HELLO_PORT)).body;
        break;
      } catch {
        await sleep(250);
      }
    }
    expect(body).toBe('hello, e2e\n');
    const status = await sshExec(session.client, 'supervisorctl -c /etc/go-remote/config/supervisord.conf status');
    expect(status.stdout).toMatch(/^hello\s+RUNNING/m);
    expect(status.stdout).toMatch(/^sshd\s+RUNNING/m);
    // The construct's readiness probe command works in the image (run directly: nothing acts on readiness here).
    const dev = findDoc(synthesized, 'Deployment').spec.template.spec.containers.find((c: any) => c.name === 'dev');
    expect(podman(['exec', container('dev'), ...dev.readinessProbe.exec.command], { allowFail: true }).status).toBe(0);
  });

  test('supervisord restarts a killed sshd; a new login succeeds within 5 s', async () => {
    const conf = '/etc/go-remote/config/supervisord.conf';
    const pid = podman(['exec', container('dev'), 'supervisorctl', '-c', conf, 'pid', 'sshd']).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    const t0 = Date.now();
    podman(['exec', container('dev'), 'kill', '-KILL', pid]);
    const s = await waitForLogin({ port: SSH_PORT, username: USER, privateKey: userKey.private }, 5000, t0);
    sessions.push(s);
    timings.sshdKillToLoginMs = s.ms;
    const newPid = podman(['exec', container('dev'), 'supervisorctl', '-c', conf, 'pid', 'sshd']).stdout.trim();
    expect(newPid).not.toBe(pid);
    expect(s.ms).toBeLessThan(5000);
  });

  test('the same pod with a random UID (1000660000, GID 0, as on OpenShift) accepts SSH logins', async () => {
    for (const s of sessions.splice(0)) s.client.end();
    down(firstFile);
    const t0 = Date.now();
    const file = play(forPodman(synthesized, { runAs: { uid: RANDOM_UID, gid: 0 }, claimName: RANDOM_UID_CLAIM }), 'random-uid');
    const s = await login();
    timings.randomUidPlayToLoginMs = s.at - t0;
    expect(Date.now() - t0).toBeLessThan(LOGIN_DEADLINE_MS);
    const out = await sshLoginShell(s.client, `id -un; id -u; id -g; stat -c "%a %u" "$HOME"; git -C ${checkout} rev-parse HEAD; grep -c "^${USER}:" /etc/passwd`);
    expect(out.trim().split('\n')).toEqual([USER, String(RANDOM_UID), '0', `755 ${RANDOM_UID}`, git.head(), '1']);
    for (const x of sessions.splice(0)) x.client.end();
    down(file);
  });

  test('host keys from a Secret are the ones sshd presents', async () => {
    const docs = synthesize({ hostKeysSecret: HOST_KEYS_SECRET });
    const volume = findDoc(docs, 'Deployment').spec.template.spec.volumes.find((v: any) => v.secret);
    expect(volume.secret.secretName).toBe(HOST_KEYS_SECRET);
    const file = play(forPodman(docs, {
      claimName: SECRET_CLAIM,
      secrets: { [HOST_KEYS_SECRET]: { ssh_host_ed25519_key: secretHostKey.private } },
    }), 'host-keys-secret');
    const s = await login();
    expect(s.hostKey).toBe(publicKeyFingerprint(secretHostKey.public));
    expect(s.hostKey).not.toBe(firstHostKey);
    for (const x of sessions.splice(0)) x.client.end();
    down(file);
  });
});

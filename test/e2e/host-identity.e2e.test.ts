// End-to-end: a verifiable SSH host identity. The system's OpenSSH client connects with `StrictHostKeyChecking
// yes` using only the files the cdk8s-go-remote command writes from the synthesized manifests (ssh config and
// known_hosts), for each way of knowing the host that needs a Secret or a CA:
//   a. host keys from a Secret: the public key is known up front (--host-key), the same after a restart;
//   b. host keys generated on the workspace at the first start, later certified by a CA through a Secret that holds
//      only certificates;
//   c. host keys and certificates from a Secret: clients trust the CA (hostCertificateAuthority, @cert-authority).
// And ssh refuses a wrong key, a wrong CA and keys that changed. Run it with `bash test/e2e/run.sh`.
// Generated keys read over the cluster's API (`known-hosts --from-cluster` with the real kubectl) and every route
// (kubectl exec, port-forward, node port) are the cluster tier's checks (test/cluster).
//
// The only things not taken from the generated files: `-o BatchMode=yes` and `-o GlobalKnownHostsFile=/dev/null`
// (ssh must never prompt, and this machine's /etc/ssh/ssh_known_hosts must play no part: both only restrict).
// The pod runs on the host network at 127.0.0.1:2222, which `--address 127.0.0.1` names (see README.md).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { addTimings, CACHE, Doc, forPodman, podman, publicKeyFingerprint, run, sleep, toYaml } from './harness';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../../src';
import { main } from '../../src/cli';

const IMAGE = process.env.E2E_IMAGE;
const NAME = 'go-remote-hostid';
const NAMESPACE = 'e2e';
const ALIAS = `${NAMESPACE}-${NAME}`;
// podman 4.3.1 names the pod of a Deployment `<name>-pod-0` and its containers `<pod>-<container>`.
const POD = `${NAME}-pod-0`;
const SECRET = `${NAME}-host-keys`;
const CLAIMS = ['a', 'b', 'b-new', 'c', 'd'].map(c => `${NAME}-workspace-${c}`);
// ConfigMaps (and the Secret's test copy) become podman volumes too; they are removed after each pod.
const CONFIG_VOLUMES = [`${NAME}-config`, `${SECRET}-podman`];
const START_DEADLINE_MS = 60_000;

const runDir = path.join(CACHE, 'run');
const timings: { [k: string]: number } = {};
let tmp: string;
let userKey: string;

/** Writes a fresh ed25519 key pair `<dir>/<name>` and `<name>.pub` with ssh-keygen; returns the public line. */
function keygen(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(dir, name)]);
  return fs.readFileSync(path.join(dir, `${name}.pub`), 'utf8').trim();
}

interface Environment {
  /** The directory `cdk8s synth` wrote (what the CLI reads). */
  readonly dist: string;
  /** The synthesized manifests. */
  readonly docs: Doc[];
}

/** GIVEN props, WHEN an app with the environment is synthesized into its own dist directory. */
function synthesize(label: string, props: Partial<GoRemoteEnvironmentProps> = {}): Environment {
  const dist = path.join(tmp, label, 'dist');
  const app = new App({ outdir: dist });
  const chart = new Chart(app, 'hostid', { namespace: NAMESPACE });
  new GoRemoteEnvironment(chart, 'dev', { name: NAME, authorizedKeys: [fs.readFileSync(`${userKey}.pub`, 'utf8').trim()], image: IMAGE, ...props });
  app.synth();
  return { dist, docs: chart.toJson() as Doc[] };
}

/** The cdk8s-go-remote command. Fails unless it exits 0. */
async function cli(...argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: t => { out += t; },
    err: t => { err += t; },
    env: process.env,
  });
  if (code !== 0) throw new Error(`cdk8s-go-remote ${argv.join(' ')} exited with ${code}: ${err}`);
  return out;
}

/** The client files of one environment, written by the command: `<dir>/config` and `<dir>/known_hosts`. */
async function clientFiles(
  env: Environment, dir: string, knownHostsArgs: string[], configArgs: string[],
): Promise<{ config: string; knownHosts: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const knownHosts = path.join(dir, 'known_hosts');
  const config = path.join(dir, 'config');
  fs.writeFileSync(knownHosts, await cli('known-hosts', env.dist, ...knownHostsArgs));
  fs.writeFileSync(config, await cli('ssh-config', env.dist, '--identity-file', userKey, '--known-hosts-file', knownHosts, ...configArgs));
  const text = fs.readFileSync(config, 'utf8');
  expect(text).toMatch(new RegExp(`^Host ${ALIAS}$`, 'm'));
  expect(text).toMatch(new RegExp(`^ {2}HostKeyAlias ${ALIAS}$`, 'm'));
  expect(text).toMatch(/^ {2}StrictHostKeyChecking yes$/m);
  expect(text).toContain(`  UserKnownHostsFile ${knownHosts}\n`);
  return { config, knownHosts };
}

interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `ssh -F <config> <alias> <command>` with the system's OpenSSH client. */
function ssh(config: string, command: string, extra: string[] = []): Promise<SshResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmp };
  delete env.SSH_AUTH_SOCK;
  const args = ['-F', config, '-o', 'BatchMode=yes', '-o', 'GlobalKnownHostsFile=/dev/null', ...extra, ALIAS, command];
  return new Promise(resolve => {
    execFile('ssh', args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const HOST_KEY_REFUSED = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/;

/**
 * Retries `ssh ... id -un` while sshd is not up yet (connection refused or closed, the container not there for
 * the kubectl route), never past a host key refusal. Returns the milliseconds since `since`.
 */
async function waitForSsh(config: string, since: number, extra: string[] = []): Promise<number> {
  let last: SshResult | undefined;
  while (Date.now() - since < START_DEADLINE_MS) {
    last = await ssh(config, 'id -un', extra);
    if (last.code === 0) {
      expect(last.stdout).toBe('gopher\n');
      return Date.now() - since;
    }
    if (HOST_KEY_REFUSED.test(last.stderr)) throw new Error(`ssh refused the host key:\n${last.stderr}`);
    await sleep(100);
  }
  throw new Error(`no ssh login within ${START_DEADLINE_MS} ms: ${last?.stderr}`);
}

/** The generated ed25519 host public key ("ssh-ed25519 <base64>"), read in the container once the entrypoint wrote it. */
async function generatedHostKey(): Promise<string> {
  const start = Date.now();
  while (Date.now() - start < START_DEADLINE_MS) {
    const r = podman(['exec', `${POD}-dev`, 'cat', '/workspace/.go-remote/host-keys/ssh_host_ed25519_key.pub'], { allowFail: true });
    if (r.status === 0 && r.stdout.startsWith('ssh-ed25519 ')) return r.stdout.trim().split(' ').slice(0, 2).join(' ');
    await sleep(200);
  }
  throw new Error('the container wrote no ed25519 host key');
}

let played: string | undefined;

function play(docs: Doc[], label: string): number {
  const file = path.join(runDir, `hostid-${label}.yaml`);
  fs.writeFileSync(file, toYaml(docs));
  const t0 = Date.now();
  podman(['kube', 'play', file]);
  played = file;
  return t0;
}

function down(): void {
  if (played) podman(['kube', 'down', played], { allowFail: true });
  podman(['pod', 'rm', '-f', '--ignore', POD], { allowFail: true });
  for (const v of CONFIG_VOLUMES) podman(['volume', 'rm', '-f', v], { allowFail: true });
  played = undefined;
}

function devLogs(): string {
  const r = podman(['logs', `${POD}-dev`], { allowFail: true });
  return r.stdout + r.stderr;
}

function cleanUp(): void {
  down();
  for (const v of CLAIMS) podman(['volume', 'rm', '-f', v], { allowFail: true });
}

beforeAll(() => {
  if (!IMAGE) throw new Error('E2E_IMAGE is not set: run this tier with `bash test/e2e/run.sh`, which builds the image');
  fs.mkdirSync(runDir, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-hostid-'));
  keygen(path.join(tmp, 'user'), 'id_ed25519');
  userKey = path.join(tmp, 'user', 'id_ed25519');
  cleanUp();
});

afterAll(() => {
  cleanUp();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  addTimings(timings);
  process.stdout.write(`host identity e2e timings:\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
});

afterEach(() => down());

describe('OpenSSH with StrictHostKeyChecking yes and only the generated files', () => {
  test('a. host keys from a Secret: the public key known up front; the same after a restart; another key is refused', async () => {
    const keys = path.join(tmp, 'a', 'keys');
    const hostPub = keygen(keys, 'ssh_host_ed25519_key');
    const env = synthesize('a', { hostKeysSecret: SECRET });
    const files = await clientFiles(env, path.join(tmp, 'a', 'client'), ['--host-key', hostPub], ['--address', '127.0.0.1', '--host-key', hostPub]);
    const knownHosts = fs.readFileSync(files.knownHosts, 'utf8');
    expect(knownHosts).toBe(`${ALIAS} ${hostPub.split(' ').slice(0, 2).join(' ')}\n`);
    const secrets = { [SECRET]: { ssh_host_ed25519_key: fs.readFileSync(path.join(keys, 'ssh_host_ed25519_key'), 'utf8') } };

    timings.secretKeyPlayToSshMs = await waitForSsh(files.config, play(forPodman(env.docs, { claimName: CLAIMS[0], secrets }), 'a'));
    down();
    timings.secretKeyReplayToSshMs = await waitForSsh(files.config, play(forPodman(env.docs, { claimName: CLAIMS[0], secrets, dropClaims: true }), 'a-replay'));
    expect(fs.readFileSync(files.knownHosts, 'utf8')).toBe(knownHosts);

    const otherPub = keygen(path.join(tmp, 'a', 'other'), 'ssh_host_ed25519_key');
    const wrong = await clientFiles(env, path.join(tmp, 'a', 'wrong'), ['--host-key', otherPub], ['--address', '127.0.0.1', '--host-key', otherPub]);
    const refused = await ssh(wrong.config, 'id -un');
    expect(refused.code).toBe(255);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  test('b. keys generated at the first start: certified later through a Secret that holds only certificates; a new workspace\'s keys are refused', async () => {
    // (Reading generated keys with `known-hosts --from-cluster` through the real kubectl, every route, and their
    // stability across restarts are the cluster tier's checks: test/cluster.)
    const env = synthesize('b');
    play(forPodman(env.docs, { claimName: CLAIMS[1] }), 'b');
    const ed25519 = await generatedHostKey();
    // The key the pod logged is the key it holds.
    expect(devLogs()).toContain(`host key fingerprint: 256 ${publicKeyFingerprint(ed25519)}`);
    const files = await clientFiles(env, path.join(tmp, 'b', 'client'), ['--host-key', ed25519], ['--address', '127.0.0.1', '--host-key', ed25519]);
    timings.generatedKeysPlayToSshMs = await waitForSsh(files.config, Date.now());

    // The same keys certified: sign the generated public key where the CA lives, with the principals the command
    // prints, and hand sshd a Secret that holds only the certificate.
    const ca = path.join(tmp, 'b', 'ca');
    const caPub = keygen(ca, 'host_ca');
    fs.writeFileSync(path.join(ca, 'ssh_host_ed25519_key.pub'), `${ed25519}\n`);
    signLikeTheCommand(await cli('host-certificate', env.dist), path.join(ca, 'host_ca'), ca);
    const certified = synthesize('b-cert', { hostKeysSecret: SECRET, hostCertificateAuthority: caPub });
    const caFiles = await clientFiles(certified, path.join(tmp, 'b', 'ca-client'), [], ['--address', '127.0.0.1']);
    expect(fs.readFileSync(caFiles.knownHosts, 'utf8')).toBe(`@cert-authority ${ALIAS} ${caPub.split(' ').slice(0, 2).join(' ')}\n`);
    down();
    play(forPodman(certified.docs, {
      claimName: CLAIMS[1],
      dropClaims: true,
      secrets: { [SECRET]: { 'ssh_host_ed25519_key-cert.pub': fs.readFileSync(path.join(ca, 'ssh_host_ed25519_key-cert.pub'), 'utf8') } },
    }), 'b-certified');
    await waitForSsh(caFiles.config, Date.now());
    const verbose = await ssh(caFiles.config, 'id -un', ['-v']);
    expect(verbose.stderr).toMatch(new RegExp(`Host '${ALIAS}' is known and matches the ED25519-CERT host certificate`));
    expect(devLogs()).toMatch(/host keys: from \/workspace\/\.go-remote\/host-keys/);
    expect(devLogs()).toMatch(/host certificate: \/etc\/go-remote\/host-keys\/ssh_host_ed25519_key-cert\.pub: key id "e2e\/go-remote-hostid"/);

    // A new workspace means new keys: the pinned key refuses them.
    down();
    play(forPodman(env.docs, { claimName: CLAIMS[2] }), 'b-new-workspace');
    const renewed = await generatedHostKey();
    expect(renewed).not.toBe(ed25519);
    const start = Date.now();
    let refused: SshResult | undefined;
    while (Date.now() - start < START_DEADLINE_MS) {
      refused = await ssh(files.config, 'id -un');
      if (HOST_KEY_REFUSED.test(refused.stderr)) break;
      await sleep(100);
    }
    expect(refused!.code).toBe(255);
    expect(refused!.stdout).toBe('');
    expect(refused!.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  test('c. host certificates from a Secret: clients trust the CA; the same after a restart; another CA is refused', async () => {
    const keys = path.join(tmp, 'c', 'keys');
    keygen(keys, 'ssh_host_ed25519_key');
    const caPub = keygen(path.join(tmp, 'c', 'ca'), 'host_ca');
    const env = synthesize('c', { hostKeysSecret: SECRET, hostCertificateAuthority: caPub });
    signLikeTheCommand(await cli('host-certificate', env.dist, '--env', `${NAMESPACE}/${NAME}`), path.join(tmp, 'c', 'ca', 'host_ca'), keys);
    // No key and no CA on the command line: the CA comes from the manifests (the Deployment's annotation).
    const files = await clientFiles(env, path.join(tmp, 'c', 'client'), [], ['--address', '127.0.0.1']);
    const knownHosts = fs.readFileSync(files.knownHosts, 'utf8');
    expect(knownHosts).toBe(`@cert-authority ${ALIAS} ${caPub.split(' ').slice(0, 2).join(' ')}\n`);
    const secrets = {
      [SECRET]: {
        'ssh_host_ed25519_key': fs.readFileSync(path.join(keys, 'ssh_host_ed25519_key'), 'utf8'),
        'ssh_host_ed25519_key-cert.pub': fs.readFileSync(path.join(keys, 'ssh_host_ed25519_key-cert.pub'), 'utf8'),
      },
    };

    timings.certificatePlayToSshMs = await waitForSsh(files.config, play(forPodman(env.docs, { claimName: CLAIMS[3], secrets }), 'c'));
    const verbose = await ssh(files.config, 'id -un', ['-v']);
    expect(verbose.stderr).toMatch(new RegExp(`Host '${ALIAS}' is known and matches the ED25519-CERT host certificate`));
    expect(devLogs()).toMatch(/host certificate: \/etc\/go-remote\/host-keys\/ssh_host_ed25519_key-cert\.pub: key id "e2e\/go-remote-hostid", principals e2e-go-remote-hostid,go-remote-hostid,/);
    down();
    timings.certificateReplayToSshMs = await waitForSsh(files.config, play(forPodman(env.docs, { claimName: CLAIMS[3], secrets, dropClaims: true }), 'c-replay'));
    expect(fs.readFileSync(files.knownHosts, 'utf8')).toBe(knownHosts);

    const otherCa = keygen(path.join(tmp, 'c', 'other-ca'), 'host_ca');
    const wrong = await clientFiles(env, path.join(tmp, 'c', 'wrong'), ['--host-ca', otherCa], ['--address', '127.0.0.1', '--host-ca', otherCa]);
    const refused = await ssh(wrong.config, 'id -un');
    expect(refused.code).toBe(255);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/Host key verification failed/);
  });

  test('a certificate without principals stops the start with the reason (it would be valid for every host)', async () => {
    const keys = path.join(tmp, 'd', 'keys');
    const caDir = path.join(tmp, 'd', 'ca');
    keygen(keys, 'ssh_host_ed25519_key');
    keygen(caDir, 'host_ca');
    run('ssh-keygen', ['-q', '-s', path.join(caDir, 'host_ca'), '-I', 'no-principals', '-h', path.join(keys, 'ssh_host_ed25519_key.pub')]);
    const env = synthesize('d', { hostKeysSecret: SECRET });
    play(forPodman(env.docs, {
      claimName: CLAIMS[4],
      secrets: {
        [SECRET]: {
          'ssh_host_ed25519_key': fs.readFileSync(path.join(keys, 'ssh_host_ed25519_key'), 'utf8'),
          'ssh_host_ed25519_key-cert.pub': fs.readFileSync(path.join(keys, 'ssh_host_ed25519_key-cert.pub'), 'utf8'),
        },
      },
    }), 'd');
    const start = Date.now();
    while (Date.now() - start < START_DEADLINE_MS && !/has no principals/.test(devLogs())) await sleep(200);
    expect(devLogs()).toMatch(/go-remote: error: \/etc\/go-remote\/host-keys\/ssh_host_ed25519_key-cert\.pub has no principals, so it would be valid for every host/);
  });
});

/**
 * Runs the `ssh-keygen -s ...` line that `cdk8s-go-remote host-certificate` printed, with the CA's private key for
 * its `<host-ca-key>` placeholder, in the directory that holds ssh_host_ed25519_key.pub.
 */
function signLikeTheCommand(printed: string, caKey: string, dir: string): void {
  const commands = printed.split('\n').filter(l => l.startsWith('ssh-keygen '));
  expect(commands).toHaveLength(1);
  const args = commands[0].split(' ').slice(1).map(a => a === '<host-ca-key>' ? caKey : a);
  expect(args).toEqual(['-s', caKey, '-I', `${NAMESPACE}/${NAME}`, '-h', '-n',
    `${ALIAS},${NAME},${NAME}.${NAMESPACE},${NAME}.${NAMESPACE}.svc,${NAME}.${NAMESPACE}.svc.cluster.local`, '-V', '+52w', 'ssh_host_ed25519_key.pub']);
  run('ssh-keygen', ['-q', ...args], { cwd: dir });
}

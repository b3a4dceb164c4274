// Helpers for the end-to-end tier: podman, the test-only rewrites podman 4.3.1 needs, SSH, git daemon.
// Every address used here is on the loopback interface.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Client } from 'ssh2';
import * as YAML from 'yaml';

export const REPO = path.resolve(__dirname, '..', '..');
export const CACHE = process.env.E2E_CACHE ?? path.join(REPO, '.cache', 'e2e');
export const LOOPBACK = '127.0.0.1';

/** A Kubernetes object as synthesized (plain JSON). */
export type Doc = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: any }; [k: string]: any };

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: string[], opts: { allowFail?: boolean; cwd?: string; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const result = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (result.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}\n${result.stdout}`);
  }
  return result;
}

export function podman(args: string[], opts: { allowFail?: boolean } = {}): RunResult {
  return run('podman', args, opts);
}

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, deadlineMs: number, everyMs = 100): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
}

/**
 * Adds figures to the tier's timings file (<CACHE>/timings.json, which run.sh empties before jest) and returns
 * everything the file now holds: each test file of the tier records its own figures there.
 */
export function addTimings(figures: { [k: string]: unknown }): { [k: string]: unknown } {
  const file = path.join(CACHE, 'timings.json');
  const all = { ...(fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}), ...figures };
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  return all;
}

export function findDoc(docs: Doc[], kind: string): Doc {
  const found = docs.filter(d => d.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in the synthesized manifests, found ${found.length}`);
  return found[0];
}

export interface PodmanRewrite {
  /** Leave out PersistentVolumeClaims: their podman volumes exist from an earlier play (a replay). */
  readonly dropClaims?: boolean;
  /** Run every container as this UID and GID instead of the manifest's (OpenShift's random UID). */
  readonly runAs?: { uid: number; gid: number };
  /** Rename the workspace claim, and so get a fresh podman volume. */
  readonly claimName?: string;
  /** Decoded contents of the Secrets that secret volumes name (file name → content). */
  readonly secrets?: { [secretName: string]: { [file: string]: string } };
}

/**
 * A test copy of synthesized manifests that podman 4.3.1 can play, changing only what podman cannot run:
 *  - the pod joins the host's network namespace: the only addresses tests may use are loopback ones, and the
 *    clone init container must reach the git daemon on 127.0.0.1 (a pod network would need the bridge's
 *    private address). Service objects, which podman ignores, are dropped; the containers' `ports` too,
 *    since podman 4.3.1 turns each into a port mapping, refused on the host network (where the container
 *    ports are the host's ports anyway);
 *  - sshd listens on 127.0.0.1 only (a `ListenAddress` added to the test copy of sshd_config), so that the
 *    host network exposes nothing beyond loopback;
 *  - secret volumes become configMap volumes of the decoded files: podman 4.3.1 writes the base64 text of a
 *    Secret into the files (and crashes on a secret volume without `optional`);
 *  - init containers are of podman's type "always" (an annotation): see below;
 *  - on a replay the PersistentVolumeClaims are left out ("volume already exists"); the pod mounts the
 *    existing podman volume with its data.
 */
export function forPodman(synthesized: Doc[], rw: PodmanRewrite = {}): Doc[] {
  const docs: Doc[] = JSON.parse(JSON.stringify(synthesized));
  const out: Doc[] = [];
  let oldClaim: string | undefined;
  for (const doc of docs) {
    if (doc.kind === 'Service') continue;
    if (doc.kind === 'PersistentVolumeClaim') {
      if (rw.claimName) {
        oldClaim = doc.metadata.name;
        doc.metadata.name = rw.claimName;
      }
      if (rw.dropClaims) continue;
    }
    if (doc.kind === 'ConfigMap' && typeof doc.data?.sshd_config === 'string') {
      doc.data.sshd_config = doc.data.sshd_config.replace(/^(Port \d+)$/m, `$1\nListenAddress ${LOOPBACK}`);
      if (!doc.data.sshd_config.includes(`ListenAddress ${LOOPBACK}`)) throw new Error('sshd_config has no Port line');
    }
    out.push(doc);
  }
  for (const doc of out) {
    if (doc.kind !== 'Deployment') continue;
    const pod = doc.spec.template.spec;
    pod.hostNetwork = true;
    // podman 4.3.1 waits 20 s for an init container's exit (its cleanup process blocks on the lock kube play
    // holds) and then races removing a "once" init container it still thinks is running: "always" init
    // containers are not removed (and keep their logs, as in Kubernetes). It reads the Deployment's own
    // annotations.
    doc.metadata.annotations = { ...doc.metadata.annotations, 'io.podman.annotations.init.container.type': 'always' };
    // podman 4.3.1 turns every containerPort into a port mapping, which it refuses on the host network.
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) delete c.ports;
    if (rw.runAs) {
      pod.securityContext = { ...pod.securityContext, runAsUser: rw.runAs.uid, runAsGroup: rw.runAs.gid, fsGroup: rw.runAs.uid };
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        if (c.securityContext?.runAsUser !== undefined) c.securityContext.runAsUser = rw.runAs.uid;
        if (c.securityContext?.runAsGroup !== undefined) c.securityContext.runAsGroup = rw.runAs.gid;
      }
    }
    for (const v of pod.volumes ?? []) {
      if (v.persistentVolumeClaim && rw.claimName && (oldClaim === undefined || v.persistentVolumeClaim.claimName === oldClaim)) {
        v.persistentVolumeClaim.claimName = rw.claimName;
      }
      if (v.secret) {
        const files = rw.secrets?.[v.secret.secretName];
        if (!files) throw new Error(`secret volume ${v.name}: the test gave no content for Secret ${v.secret.secretName}`);
        const name = `${v.secret.secretName}-podman`;
        out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: files });
        v.configMap = { name, defaultMode: v.secret.defaultMode, optional: false };
        delete v.secret;
      }
    }
  }
  return out;
}

export function toYaml(docs: Doc[]): string {
  return docs.map(d => YAML.stringify(d)).join('---\n');
}

/** SHA256 fingerprint of an SSH public key blob, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`). */
export function publicKeyFingerprint(line: string): string {
  return fingerprint(Buffer.from(line.trim().split(/\s+/)[1], 'base64'));
}

export interface SshLogin {
  readonly port: number;
  readonly username: string;
  readonly privateKey?: string;
  readonly password?: string;
}

export interface SshSession {
  readonly client: Client;
  /** The fingerprint of the host key the server presented. */
  readonly hostKey: string;
}

export function sshConnect(login: SshLogin, readyTimeout = 5000): Promise<SshSession> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey = '';
    client
      .on('ready', () => resolve({ client, hostKey }))
      .on('error', err => {
        client.end();
        reject(err);
      })
      .connect({
        host: LOOPBACK,
        port: login.port,
        username: login.username,
        privateKey: login.privateKey,
        password: login.password,
        tryKeyboard: false,
        readyTimeout,
        // Trust on first use: the tests compare the fingerprint with the container's log and across restarts.
        hostVerifier: (key: Buffer) => {
          hostKey = fingerprint(key);
          return true;
        },
      });
  });
}

/** Retries a login until it succeeds or the deadline passes; returns the session and the elapsed time. */
export async function waitForLogin(login: SshLogin, deadlineMs: number, since = Date.now()): Promise<SshSession & { ms: number; at: number }> {
  let last: unknown;
  while (Date.now() - since < deadlineMs) {
    try {
      const session = await sshConnect(login, 3000);
      const at = Date.now();
      return { ...session, ms: at - since, at };
    } catch (err) {
      last = err;
      await sleep(25);
    }
  }
  throw new Error(`no SSH login on ${LOOPBACK}:${login.port} within ${deadlineMs} ms: ${String(last)}`);
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function sshExec(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      stream.on('data', (d: Buffer) => { stdout += d.toString(); });
      stream.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      stream.on('close', (code: number | null) => resolve({ code, stdout, stderr }));
      return undefined;
    });
  });
}

/** Runs a command in a login shell (so /etc/profile.d/go-remote.sh applies) and fails on a non-zero exit. */
export async function sshLoginShell(client: Client, script: string): Promise<string> {
  const r = await sshExec(client, `bash -lc ${shellQuote(script)}`);
  if (r.code !== 0) throw new Error(`'${script}' exited with ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, '\'\\\'\'')}'`;
}

/** Like `ssh -L 127.0.0.1:<port>:<host>:<remotePort>`: a local listener whose connections are forwarded. */
export function forwardLocal(client: Client, remoteHost: string, remotePort: number): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(sock => {
      client.forwardOut(LOOPBACK, sock.remotePort ?? 0, remoteHost, remotePort, (err, channel) => {
        if (err) {
          sock.destroy();
          return;
        }
        sock.pipe(channel).pipe(sock);
        sock.on('error', () => channel.close());
        channel.on('error', () => sock.destroy());
      });
    });
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, close: () => server.close() });
    });
  });
}

export function httpGet(port: number, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: LOOPBACK, port, path: '/', timeout: timeoutMs }, res => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** One JSON-RPC call to delve's API server (Go net/rpc JSON codec, API v2). */
export function delveCall(port: number, method: string, params: object = {}, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, LOOPBACK);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from delve to ${method}`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${JSON.stringify({ method, params: [params], id: 1 })}\n`));
    sock.on('data', (d: Buffer) => {
      buf += d.toString();
      try {
        const reply = JSON.parse(buf);
        clearTimeout(timer);
        sock.end();
        if (reply.error) reject(new Error(`delve ${method}: ${reply.error}`));
        else resolve(reply.result);
      } catch {
        // not a whole reply yet
      }
    });
    sock.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, LOOPBACK, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, LOOPBACK);
      s.on('connect', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${LOOPBACK}:${port} after ${deadlineMs} ms`);
}

/** A bare repository of the fixture Go module, served read-only by `git daemon` on 127.0.0.1. */
export class GitServer {
  public static async start(workDir: string, fixture: string, repoPath: string): Promise<GitServer> {
    const root = path.join(workDir, 'git');
    const work = path.join(workDir, 'hello-src');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
    fs.cpSync(fixture, work, { recursive: true });
    const git = (args: string[], cwd = work) => run('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@localhost', ...args], { cwd }).stdout.trim();
    git(['init', '-q', '-b', 'main']);
    git(['add', '.']);
    git(['commit', '-q', '-m', 'hello: the e2e fixture module']);
    const bare = path.join(root, repoPath);
    fs.mkdirSync(path.dirname(bare), { recursive: true });
    run('git', ['clone', '-q', '--bare', work, bare]);
    const port = await freePort();
    const daemon = spawn('git', ['daemon', '--reuseaddr', `--listen=${LOOPBACK}`, `--port=${port}`, `--base-path=${root}`,
      '--export-all', '--informative-errors', root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    const server = new GitServer(daemon, port, work, bare, () => log, git);
    try {
      await waitForPort(port, 10000);
    } catch (err) {
      server.stop();
      throw new Error(`git daemon did not start: ${String(err)}\n${log}`);
    }
    return server;
  }

  private constructor(
    private readonly daemon: ChildProcess,
    public readonly port: number,
    public readonly work: string,
    public readonly bare: string,
    public readonly log: () => string,
    private readonly git: (args: string[], cwd?: string) => string) {}

  public head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  /** Adds a commit upstream (to tell a fresh clone from an old checkout). */
  public pushCommit(file: string, content: string): string {
    fs.writeFileSync(path.join(this.work, file), content);
    this.git(['add', file]);
    this.git(['commit', '-q', '-m', `add ${file}`]);
    this.git(['push', '-q', this.bare, 'main']);
    return this.head();
  }

  public stop(): void {
    if (this.daemon.exitCode === null && this.daemon.pid !== undefined) this.daemon.kill('SIGTERM');
  }
}

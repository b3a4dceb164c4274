// End-to-end: the image's entrypoint on a workspace that an earlier session controlled. The workspace is a real
// directory of this machine, bind-mounted at /workspace, on which the test plants what a logged-in user could
// have left there: symbolic links where the entrypoint writes (home, ~/.ssh, authorized_keys.new, the host-key
// directory and keys, GOPATH) pointing into a "victim" directory also mounted into the container, and a
// host-key file whose name would inject a `Match all` block into sshd_config.d. The container then starts as
// root (NodeAccess.privileged()), as UID 1000 and as a random UID with GID 0 (OpenShift), each on a fresh
// hostile workspace; the victim files and modes must be untouched, the links replaced by real files, the
// log must say so, and sshd must start with nothing but the fixed HostCertificate lines.
// Run it with `bash test/e2e/run.sh`, which builds the image first.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { utils } from 'ssh2';
import { Doc, findDoc, podman, waitFor } from './harness';
import { GoRemoteEnvironment, NodeAccess } from '../../src';

const IMAGE = process.env.E2E_IMAGE;
const RANDOM_UID = 1000660000;
const userKey = utils.generateKeyPairSync('ed25519', { comment: 'e2e-entrypoint' });
const INJECTED_NAME = 'ssh_host_x\nMatch all\n  AuthorizedKeysFile .k\n#_key';

interface Start { readonly label: string; readonly uid: number; readonly gid: number; readonly root: boolean }
const STARTS: Start[] = [
  { label: 'root', uid: 0, gid: 0, root: true },
  { label: 'uid-1000', uid: 1000, gid: 1000, root: false },
  { label: 'random-uid', uid: RANDOM_UID, gid: 0, root: false },
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'go-remote-entrypoint-'));
const containers: string[] = [];

afterAll(() => {
  for (const c of containers) podman(['rm', '-f', '--ignore', c], { allowFail: true });
  // Files written by other UIDs inside the container; the directory is ours.
  fs.rmSync(work, { recursive: true, force: true });
});

/** The container's environment and config files, exactly as the construct synthesizes them. */
function synthesized(root: boolean): { env: { [k: string]: string }; files: { [k: string]: string } } {
  const chart = new Chart(Testing.app(), 'e2e');
  new GoRemoteEnvironment(chart, 'dev', {
    name: 'entrypoint-e2e',
    authorizedKeys: [userKey.public],
    image: IMAGE,
    ...(root ? { nodeAccess: NodeAccess.privileged() } : {}),
  });
  const docs = Testing.synth(chart) as Doc[];
  const deployment = findDoc(docs, 'Deployment');
  const dev = deployment.spec.template.spec.containers.find((c: any) => c.name === 'dev');
  const env: { [k: string]: string } = {};
  for (const e of dev.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return { env, files: findDoc(docs, 'ConfigMap').data };
}

function chownR(dir: string, uid: number, gid: number): void {
  execFileSync('chown', ['-R', '-h', `${uid}:${gid}`, dir]);
}

/** What an earlier session could have planted on the workspace; each case alone, so that each fails on its own. */
interface Plant {
  readonly label: string;
  /** Plants into `ws` (links point at /victim/..., the victim directory as the container sees it). */
  readonly plant: (ws: string, base: string) => void;
  /** Paths (relative to the workspace) that must be real directories (ending in /) or files after the start. */
  readonly real: string[];
  /** Links the log must name as removed. */
  readonly removed: string[];
}
const PLANTS: Plant[] = [
  {
    label: 'home is a link',
    plant: ws => fs.symlinkSync('/victim/dir', path.join(ws, 'home')),
    real: ['home/', 'home/.ssh/', 'home/.ssh/authorized_keys'],
    removed: ['/workspace/home'],
  },
  {
    label: '~/.ssh is a link',
    plant: ws => { fs.mkdirSync(path.join(ws, 'home')); fs.symlinkSync('/victim/dir', path.join(ws, 'home', '.ssh')); },
    real: ['home/.ssh/', 'home/.ssh/authorized_keys'],
    removed: ['/workspace/home/.ssh'],
  },
  {
    label: 'authorized_keys.new and authorized_keys are links',
    plant: ws => {
      fs.mkdirSync(path.join(ws, 'home', '.ssh'), { recursive: true });
      fs.symlinkSync('/victim/file', path.join(ws, 'home', '.ssh', 'authorized_keys.new'));
      fs.symlinkSync('/victim/file', path.join(ws, 'home', '.ssh', 'authorized_keys'));
    },
    real: ['home/.ssh/authorized_keys'],
    removed: [],
  },
  {
    label: 'the host-key directory is a link',
    plant: ws => { fs.mkdirSync(path.join(ws, '.go-remote')); fs.symlinkSync('/victim/dir', path.join(ws, '.go-remote', 'host-keys')); },
    real: ['.go-remote/host-keys/', '.go-remote/host-keys/ssh_host_ed25519_key'],
    removed: ['/workspace/.go-remote/host-keys'],
  },
  {
    label: 'a host key is a link to another file',
    plant: ws => {
      fs.mkdirSync(path.join(ws, '.go-remote', 'host-keys'), { recursive: true });
      fs.symlinkSync('/victim/file', path.join(ws, '.go-remote', 'host-keys', 'ssh_host_ed25519_key'));
    },
    real: ['.go-remote/host-keys/ssh_host_ed25519_key'],
    removed: ['/workspace/.go-remote/host-keys/ssh_host_ed25519_key'],
  },
  {
    label: 'GOPATH is a link',
    plant: ws => fs.symlinkSync('/victim/dir', path.join(ws, 'go')),
    real: ['go/', 'go/pkg/mod/'],
    removed: ['/workspace/go'],
  },
  {
    label: 'a host-key file name carries a Match block, with a valid host certificate beside it',
    plant: (ws, base) => {
      const keys = path.join(ws, '.go-remote', 'host-keys');
      fs.mkdirSync(keys, { recursive: true });
      const injected = path.join(keys, INJECTED_NAME);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', injected]);
      const ca = path.join(base, 'ca');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ca]);
      execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'injected', '-h', '-n', 'x', `${injected}.pub`]);
    },
    real: ['.go-remote/host-keys/ssh_host_ed25519_key'],
    removed: [],
  },
];

let counter = 0;
/** A workspace with `plants` as a session of `start`'s UID could leave it, and the victim the links point into. */
function hostileWorkspace(start: Start, plants: Plant[]): { ws: string; victim: string; before: string } {
  const base = path.join(work, `${start.label}-${counter++}`);
  const ws = path.join(base, 'workspace');
  const victim = path.join(base, 'victim');
  fs.mkdirSync(ws, { recursive: true });
  fs.mkdirSync(path.join(victim, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(victim, 'dir', 'kept'), 'victim directory content\n');
  fs.writeFileSync(path.join(victim, 'file'), 'victim file: must be neither overwritten nor read as a key\n');
  for (const plant of plants) plant.plant(ws, base);
  chownR(ws, start.uid, start.gid);
  chownR(victim, start.uid, start.gid);
  // World-writable, so that following a link would succeed for any UID: only the entrypoint's care stops it.
  for (const p of [victim, path.join(victim, 'dir')]) fs.chmodSync(p, 0o777);
  for (const p of [path.join(victim, 'file'), path.join(victim, 'dir', 'kept')]) fs.chmodSync(p, 0o666);
  fs.chmodSync(ws, 0o775);
  return { ws, victim, before: snapshot(victim) };
}

/** Every path below `dir` with its type, mode, owner and content. */
function snapshot(dir: string): string {
  return execFileSync('find', [dir, '-printf', '%P %y %m %U:%G\n'], { encoding: 'utf8' }).split('\n').sort().join('\n')
    + fs.readFileSync(path.join(dir, 'file'), 'utf8') + fs.readFileSync(path.join(dir, 'dir', 'kept'), 'utf8');
}

function startContainer(start: Start, ws: string, victim: string): string {
  const { env, files } = synthesized(start.root);
  const base = path.dirname(ws);
  const config = path.join(base, 'config');
  fs.mkdirSync(config, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(config, name), text);
  const run = path.join(base, 'run');
  fs.mkdirSync(run, { recursive: true });
  fs.chmodSync(run, 0o777);
  const name = `go-remote-entrypoint-e2e-${path.basename(base)}`;
  podman(['rm', '-f', '--ignore', name], { allowFail: true });
  containers.push(name);
  const args = [
    'run', '-d', '--name', name, '--network', 'none',
    '--user', `${start.uid}:${start.gid}`,
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    ...(start.root ? ['--cap-add', 'CHOWN,DAC_OVERRIDE,FOWNER,SETGID,SETUID,SYS_CHROOT,KILL'] : []),
    '-v', `${ws}:/workspace`, '-v', `${config}:/etc/go-remote/config:ro`, '-v', `${victim}:/victim`,
    // An emptyDir as the construct mounts it (the kubelet creates it 0777; podman 4.3's --tmpfs ignores mode=).
    '-v', `${run}:/run/go-remote`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    IMAGE!,
  ];
  podman(args);
  return name;
}

function logs(name: string): string {
  const r = podman(['logs', name], { allowFail: true });
  return r.stdout + r.stderr;
}

async function started(name: string): Promise<void> {
  // Until sshd listens and has the RSA key generated after it started (or the container stopped).
  await waitFor(`sshd to listen in ${name} with every host key`,
    () => /sshd reloaded with/.test(logs(name)) || !/true/.test(podman(['inspect', '--format', '{{.State.Running}}', name], { allowFail: true }).stdout), 60_000);
}

/** The container runs, sshd listens, its configuration (with sshd_config.d) is valid and holds no Match block. */
function expectHealthy(name: string): void {
  const running = podman(['inspect', '--format', '{{.State.Running}}', name]).stdout.trim();
  expect(running === 'true' ? running : `not running; its log:\n${logs(name)}`).toBe('true');
  expect(logs(name)).toMatch(/Server listening on .* port 2222/);
  const t = podman(['exec', name, '/usr/sbin/sshd', '-t', '-f', '/etc/go-remote/config/sshd_config'], { allowFail: true });
  expect(`${t.status} ${t.stderr}`).toBe('0 ');
  const conf = podman(['exec', name, 'cat', '/run/go-remote/sshd_config.d/host-certificates.conf']).stdout;
  expect(conf.split('\n').filter(Boolean)).toEqual(['# HostCertificate lines written by go-remote-entrypoint at container start.']);
  const effective = podman(['exec', name, '/usr/sbin/sshd', '-T', '-f', '/etc/go-remote/config/sshd_config', '-C', 'user=x,host=x,addr=127.0.0.1']).stdout;
  expect(effective).not.toMatch(/authorizedkeysfile \.k/i);
}

function expectReal(ws: string, plant: Plant, name: string): void {
  for (const rel of plant.real) {
    const st = fs.lstatSync(path.join(ws, rel));
    const found = st.isSymbolicLink() ? 'a link' : st.isDirectory() ? 'a directory' : st.isFile() ? 'a file' : 'something else';
    expect(`${rel} is ${found}`).toBe(`${rel} is ${rel.endsWith('/') ? 'a directory' : 'a file'}`);
  }
  const keys = path.join(ws, 'home', '.ssh', 'authorized_keys');
  if (fs.existsSync(keys)) expect(fs.readFileSync(keys, 'utf8')).toContain(userKey.public.split(' ')[1]);
  const hostKey = path.join(ws, '.go-remote', 'host-keys', 'ssh_host_ed25519_key');
  if (plant.real.includes('.go-remote/host-keys/ssh_host_ed25519_key')) expect(fs.readFileSync(hostKey, 'utf8')).toContain('OPENSSH PRIVATE KEY');
  const log = logs(name);
  for (const link of plant.removed) expect(log).toContain(`removed the symbolic link ${link} (to /victim/`);
}

const SINGLE: Start[] = STARTS.filter(s => s.label !== 'random-uid');
describe.each(SINGLE)('the entrypoint, started as $label on a workspace where', (start) => {
  test.each(PLANTS)('$label', async (plant) => {
    if (!IMAGE) throw new Error('E2E_IMAGE is not set: run the tier with bash test/e2e/run.sh, which builds the image');
    const { ws, victim, before } = hostileWorkspace(start, [plant]);
    const name = startContainer(start, ws, victim);
    await started(name);
    expectHealthy(name);
    expect(snapshot(victim)).toBe(before); // no link was followed
    expectReal(ws, plant, name);
    podman(['rm', '-f', name], { allowFail: true });
  }, 90_000);
});

describe('the entrypoint, started as a random UID with GID 0 (OpenShift) on a workspace with every plant but the home link', () => {
  test('starts healthy, follows no link, and replaces every one', async () => {
    if (!IMAGE) throw new Error('E2E_IMAGE is not set');
    const start = STARTS.find(s => s.label === 'random-uid')!;
    // home as a link would hide ~/.ssh's and authorized_keys' plants: those have their own cases above.
    const plants = PLANTS.filter(p => !['home is a link', '~/.ssh is a link', 'the host-key directory is a link'].includes(p.label));
    const { ws, victim, before } = hostileWorkspace(start, plants);
    const name = startContainer(start, ws, victim);
    await started(name);
    expectHealthy(name);
    expect(snapshot(victim)).toBe(before);
    for (const plant of plants) expectReal(ws, plant, name);
  }, 90_000);
});

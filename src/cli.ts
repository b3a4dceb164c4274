import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ClientFiles, ClientFilesOptions, EnvironmentSummary, ManifestDocument, SshRoute } from './client-files';
import { ConnectError, KubectlResult, parseTarget, relay, wake } from './connect';
import { Containers, DELVE_PORT, Labels, MANAGED_BY, Paths, PortNames, SSH_PORT } from './contract';
import { Problems, ValidationErrors } from './errors';

/**
 * `cdk8s-go-remote`: client files for the environments in a directory of synthesized manifests.
 * Not part of the jsii API: the `bin/cdk8s-go-remote` launcher runs `run()`.
 */

const USAGE = `Usage: cdk8s-go-remote <command> <dist-dir> [options]

Reads every *.yaml and *.yml file under <dist-dir> (the output of cdk8s synth) and finds the environments
(Deployments labelled ${Labels.MANAGED_BY}: ${MANAGED_BY} with a container "${Containers.DEV}").

Commands:
  ssh-config    an ~/.ssh/config Host stanza for each environment
  known-hosts   known_hosts lines for each environment (from --host-key, --host-ca, --from-cluster, or the
                host CA the environment declares: hostCertificateAuthority)
  launch-json   a .vscode/launch.json attaching to delve in each environment that runs it
  ports         a markdown table of each environment's ports
  connect <[namespace/]name>
                ssh's ProxyCommand (--route connect writes it): scales a stopped environment (0 replicas) to
                1 with your kube credentials, waits until its pod is Ready (progress on stderr), then relays
                the SSH stream through kubectl exec; takes no <dist-dir>
  host-certificate
                the ssh-keygen command that signs each environment's host keys with your host CA, with the
                principals its clients check (the Host alias, then the Service's DNS names)

Options:
  --env <[namespace/]name>    only this environment (needed with --address, --host-key and --host-ca when
                              <dist-dir> holds several)
  --address <host>            the Service's address: the LoadBalancer's IP or host name, or a node's address
                              for a NodePort Service
  --port <port>               the SSH port at --address (default 2222; a NodePort Service's node port)
  --ask-cluster               ask kubectl for the LoadBalancer address (kubectl get svc), and for the node
                              port of a NodePort Service
  --route <route>             direct (needs an address), port-forward, kubectl-exec or connect (kubectl exec
                              through 'cdk8s-go-remote connect', which wakes a stopped environment first);
                              default: direct when an address is known, else kubectl-exec
  --connect-command <command> how ssh runs this CLI for --route connect (default: npx --yes cdk8s-go-remote@<version>)
  --local-port <port>         first local port of --route port-forward (default 2222, then +1 per environment)
  --identity-file <path>      the private key to offer (default ~/.ssh/id_ed25519)
  --host-key <key>            a host public key, "<type> <base64>" (repeatable): StrictHostKeyChecking yes
  --host-ca <key>             a host certificate authority's public key: @cert-authority, StrictHostKeyChecking yes
                              (default: the environment's hostCertificateAuthority)
  --strict                    StrictHostKeyChecking yes (you installed the known_hosts lines yourself)
  --known-hosts-file <path>   UserKnownHostsFile of the stanza (default: ssh's, ~/.ssh/known_hosts)
  --from-cluster              known-hosts: read the host public keys from the pod (kubectl exec), after waking
                              a stopped environment as connect does
  --timeout <seconds>         connect, known-hosts --from-cluster: how long to wait for a Ready pod (default 300)
  --delve-port <port>         launch-json: the port delve listens on (default 2345)
  --delve-host <host>         launch-json: where VS Code finds delve (default 127.0.0.1, through an SSH forward)
  --local-path <path>         launch-json: the local checkout (default \${workspaceFolder})
  -h, --help                  this text
`;

const FLAGS = {
  'env': { type: 'string' },
  'address': { type: 'string' },
  'port': { type: 'string' },
  'ask-cluster': { type: 'boolean' },
  'route': { type: 'string' },
  'local-port': { type: 'string' },
  'identity-file': { type: 'string' },
  'host-key': { type: 'string', multiple: true },
  'host-ca': { type: 'string' },
  'strict': { type: 'boolean' },
  'known-hosts-file': { type: 'string' },
  'from-cluster': { type: 'boolean' },
  'delve-port': { type: 'string' },
  'delve-host': { type: 'string' },
  'local-path': { type: 'string' },
  'timeout': { type: 'string' },
  'connect-command': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
} as const;

type Flag = keyof typeof FLAGS;

const ROUTE_FLAGS: Flag[] = ['address', 'port', 'ask-cluster', 'route', 'local-port', 'connect-command'];
const COMMANDS: { [command: string]: Flag[] } = {
  'ssh-config': ['env', ...ROUTE_FLAGS, 'identity-file', 'host-key', 'host-ca', 'strict', 'known-hosts-file'],
  'known-hosts': ['env', 'host-key', 'host-ca', 'from-cluster', 'timeout'],
  'launch-json': ['env', 'delve-port', 'delve-host', 'local-path'],
  'ports': ['env', ...ROUTE_FLAGS],
  'host-certificate': ['env'],
};

/** Flag names for the options of `ClientFiles`, so that errors name what the user typed. */
const OPTION_FLAGS = {
  hostName: '--address',
  port: '--port',
  identityFile: '--identity-file',
  knownHostsFile: '--known-hosts-file',
  hostKeys: '--host-key',
  hostCertificateAuthority: '--host-ca',
  delvePort: '--delve-port',
  delveHost: '--delve-host',
  localPath: '--local-path',
  connectCommand: '--connect-command',
};

/** Where the CLI writes and which environment its child processes get. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The environment of `kubectl` (its PATH finds it). */
  readonly env: NodeJS.ProcessEnv;
}

/** A failure the user can fix; the message is printed as it is. */
class CliError extends Error {
  constructor(message: string, public readonly exitCode = 1) {
    super(message);
  }
}

/** Problems of the manifests read (wrong shapes, values): exit code 2, one line per problem. */
class ManifestProblems extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Limits on what is read: the manifests come from a repository, so their size and YAML aliases (anchors that
 * can expand a small file into an exponentially large value) are bounded. cdk8s writes no aliases; a synthesized
 * environment is a few KiB.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_DOCUMENT_CHARS = 1024 * 1024;
export const MAX_ALIASES = 20;

// C0 controls but the newline, DEL, C1 controls (U+009B is a terminal's CSI), soft hyphen, bidi overrides and
// isolates, zero-width and other invisible formatting characters, line and paragraph separators.
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * Text as it may reach a terminal or a generated file: every character that a terminal or an editor would
 * interpret or hide (escape sequences, bidi overrides ...) written as `\u{XXXX}`. Newlines stay.
 * @internal
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, c => `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** Runs the command line `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], rawIo: CliIo = processIo()): Promise<number> {
  // Everything printed passes through printable(): nothing read from the manifests, the cluster or the command
  // line reaches the terminal or a generated file as a control or escape sequence.
  const io: CliIo = { out: text => rawIo.out(printable(text)), err: text => rawIo.err(printable(text)), env: rawIo.env };
  try {
    await dispatch(argv, io);
    return 0;
  } catch (e: any) {
    if (e instanceof ManifestProblems) {
      io.err(e.problems.map(p => `cdk8s-go-remote: ${p}\n`).join(''));
      return 2;
    }
    if (ValidationErrors.isValidationError(e)) {
      io.err(ValidationErrors.problemsOf(e).map(p => `cdk8s-go-remote: ${p}\n`).join(''));
      return 1;
    }
    if (e instanceof ConnectError) {
      io.err(`cdk8s-go-remote: ${e.message}\n`);
      return 1;
    }
    if (e instanceof CliError) {
      io.err(`cdk8s-go-remote: ${e.message}\n`);
      if (e.exitCode === 2) io.err('Run cdk8s-go-remote --help for the commands and options.\n');
      return e.exitCode;
    }
    if (e?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`cdk8s-go-remote: ${e.message}\nRun cdk8s-go-remote --help for the commands and options.\n`);
      return 2;
    }
    // A bug: one line, no stack trace (CDK8S_GO_REMOTE_DEBUG=1 prints it).
    io.err(`cdk8s-go-remote: internal error: ${String(e?.message ?? e).split('\n')[0]} (please report it)\n`);
    if (io.env.CDK8S_GO_REMOTE_DEBUG) io.err(`${e?.stack ?? ''}\n`);
    return 70;
  }
}

/** The launcher's entry point: runs `process.argv` and sets the exit code. */
export function run(): void {
  main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
    process.stderr.write(printable(`cdk8s-go-remote: internal error: ${String(e?.message ?? e).split('\n')[0]}\n`));
    process.exitCode = 70;
  });
}

function processIo(): CliIo {
  return {
    out: text => process.stdout.write(text),
    err: text => process.stderr.write(text),
    env: process.env,
  };
}

async function dispatch(argv: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
  if (values.help) {
    io.out(USAGE);
    return;
  }
  const [command, dir, ...extra] = positionals;
  if (command === 'connect') return connect(dir, extra, values, io);
  if (command === undefined) throw new CliError('expected a command: ssh-config, known-hosts, launch-json, ports or host-certificate', 2);
  const allowed = COMMANDS[command];
  if (!allowed) throw new CliError(`unknown command ${JSON.stringify(command)}; expected ssh-config, known-hosts, launch-json, ports or host-certificate`, 2);
  if (dir === undefined) throw new CliError(`${command}: expected the directory of synthesized manifests (e.g. dist)`, 2);
  if (extra.length) throw new CliError(`${command}: unexpected argument ${JSON.stringify(extra[0])}`, 2);
  for (const flag of Object.keys(values) as Flag[]) {
    if (!allowed.includes(flag)) throw new CliError(`--${flag} does not apply to ${command}`, 2);
  }

  const documents = await readManifests(dir);
  let all: EnvironmentSummary[];
  try {
    all = ClientFiles._discover(documents);
  } catch (e) {
    if (ValidationErrors.isValidationError(e)) throw new ManifestProblems(ValidationErrors.problemsOf(e));
    throw e;
  }
  if (all.length === 0) {
    throw new CliError(`no environment in ${dir}: expected a Deployment labelled ${Labels.MANAGED_BY}: ${MANAGED_BY} with a container "${Containers.DEV}" in its *.yaml files`);
  }
  const environments = select(all, values.env);
  if (environments.length > 1) {
    for (const flag of ['address', 'host-key', 'host-ca'] as Flag[]) {
      if (values[flag] !== undefined) {
        throw new CliError(`--${flag} names one environment, but ${dir} holds ${environments.length} (${environments.map(id).join(', ')}); choose one with --env`, 2);
      }
    }
  }
  const numbers = parseNumbers(values);

  switch (command) {
    case 'ssh-config': {
      const files = await forEach(environments, values, numbers, io);
      io.out(files.map(f => f.sshConfig).join('\n'));
      break;
    }
    case 'known-hosts': {
      if (!values['host-key'] && !values['host-ca'] && !values['from-cluster'] && !environments.some(e => e.hostCertificateAuthority)) {
        throw new CliError(`known-hosts: expected --host-key, --host-ca or --from-cluster (${environments.map(id).join(', ')} declare${environments.length === 1 ? 's' : ''} no hostCertificateAuthority)`, 2);
      }
      const lines: string[] = [];
      for (const env of environments) {
        if (values['from-cluster']) await wake({ namespace: env.namespace, name: env.name }, wakeIo(io), timeoutOf(values));
        const hostKeys = values['from-cluster'] ? await hostKeysFromCluster(env, io) : values['host-key'];
        const files = ClientFiles._render(env, { hostKeys, hostCertificateAuthority: values['host-ca'] },
          values['from-cluster'] ? { ...OPTION_FLAGS, hostKeys: `host key of ${id(env)} from the cluster` } : OPTION_FLAGS);
        lines.push(files.knownHosts ?? '');
      }
      io.out(lines.join(''));
      break;
    }
    case 'launch-json': {
      const files = environments.map(env => ClientFiles._render(env, {
        delvePort: numbers.delvePort, delveHost: values['delve-host'], localPath: values['local-path'],
      }, OPTION_FLAGS));
      const configurations = files.filter(f => f.launchConfiguration).map(f => f.launchConfiguration);
      if (configurations.length === 0) {
        const port = numbers.delvePort ?? DELVE_PORT;
        throw new CliError(`launch-json: no program listens on port ${port} in ${environments.map(id).join(', ')}; declare delve as a program with port ${port}, or pass --delve-port`);
      }
      io.out(ClientFiles.launchJsonOf(configurations));
      break;
    }
    case 'host-certificate': {
      io.out(environments.map(env => {
        const files = ClientFiles._render(env, {}, OPTION_FLAGS);
        return [
          `# ${id(env)}: sign each host public key where the CA's private key (<host-ca-key>) lives, then put the`,
          '# ssh_host_<type>_key-cert.pub files into the Secret named by hostKeysSecret and restart the pod.',
          files.hostCertificateCommand,
          '',
        ].join('\n');
      }).join('\n'));
      break;
    }
    default: { // ports
      const files = await forEach(environments, values, numbers, io);
      io.out(files.map(f => `## ${f.alias} (${id(f.environment)})\n\n${f.portsTable}`).join('\n'));
    }
  }
}

type Values = { [flag in Flag]?: any };

interface Numbers {
  readonly port?: number;
  readonly localPort?: number;
  readonly delvePort?: number;
}

function parseNumbers(values: Values): Numbers {
  const problems = new Problems();
  const number = (flag: Flag): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
      problems.add(`--${flag}`, text, 'expected a whole number from 1 to 65535');
      return undefined;
    }
    return Number(text);
  };
  const numbers = { port: number('port'), localPort: number('local-port'), delvePort: number('delve-port') };
  problems.throwIfAny();
  return numbers;
}

/** The ssh-config and ports files of each environment: route, address and identity from the flags. */
async function forEach(environments: EnvironmentSummary[], values: Values, numbers: Numbers, io: CliIo): Promise<ClientFiles[]> {
  const route: string | undefined = values.route;
  if (route !== undefined && !['direct', 'port-forward', 'kubectl-exec', 'connect'].includes(route)) {
    throw new CliError(`'--route' is ${JSON.stringify(route)}; expected direct, port-forward, kubectl-exec or connect`, 2);
  }
  if (values['connect-command'] !== undefined && route !== 'connect') {
    throw new CliError('--connect-command applies to --route connect only', 2);
  }
  if (values['local-port'] !== undefined && route !== 'port-forward') {
    throw new CliError('--local-port applies to --route port-forward only', 2);
  }
  if ((route === 'port-forward' || route === 'kubectl-exec' || route === 'connect') && (values.address !== undefined || values['ask-cluster'])) {
    throw new CliError(`--route ${route} does not use an address; drop --address and --ask-cluster`, 2);
  }
  if (numbers.port !== undefined && values.address === undefined) {
    throw new CliError('--port is the SSH port at --address; pass --address too', 2);
  }
  const files: ClientFiles[] = [];
  for (const [i, env] of environments.entries()) {
    let hostName: string | undefined = values.address;
    let port = numbers.port;
    let names: { [option: string]: string } = OPTION_FLAGS;
    if (values['ask-cluster']) {
      const asked = await addressFromCluster(env, io);
      if (asked.nodePort !== undefined && port === undefined) port = asked.nodePort;
      if (hostName === undefined && asked.address !== undefined) {
        hostName = asked.address;
        names = { ...OPTION_FLAGS, hostName: `address of ${id(env)} reported by kubectl`, port: `port of ${id(env)} reported by kubectl` };
      }
      if (hostName === undefined) {
        io.err(`cdk8s-go-remote: ${id(env)}: ${asked.why}; ${route === 'direct' ? 'pass --address' : 'using the kubectl exec route'}\n`);
      }
    }
    let sshRoute: SshRoute;
    if (route === 'port-forward') {
      sshRoute = SshRoute.portForward((numbers.localPort ?? SSH_PORT) + i);
      names = { ...names, port: '--local-port' };
    } else if (route === 'kubectl-exec') {
      sshRoute = SshRoute.kubectlExec();
    } else if (route === 'connect') {
      sshRoute = SshRoute.connect(values['connect-command']);
    } else if (hostName !== undefined) {
      sshRoute = SshRoute.direct(hostName, port);
    } else if (route === 'direct') {
      throw new CliError(`--route direct: no address for ${id(env)}; pass --address or --ask-cluster`, 2);
    } else {
      sshRoute = SshRoute.kubectlExec();
    }
    const options: ClientFilesOptions = {
      route: sshRoute,
      identityFile: values['identity-file'],
      hostKeys: values['host-key'],
      hostCertificateAuthority: values['host-ca'],
      strictHostKeyChecking: values.strict ? true : undefined,
      knownHostsFile: values['known-hosts-file'],
    };
    files.push(ClientFiles._render(env, options, names));
  }
  return files;
}

function id(env: EnvironmentSummary): string {
  return env.namespace ? `${env.namespace}/${env.name}` : env.name;
}

function select(all: EnvironmentSummary[], wanted: string | undefined): EnvironmentSummary[] {
  if (wanted === undefined) return all;
  const [ns, name] = wanted.includes('/') ? wanted.split('/', 2) : [undefined, wanted];
  const found = all.filter(e => e.name === name && (ns === undefined || e.namespace === ns));
  if (found.length === 0) {
    throw new CliError(`'--env' is ${JSON.stringify(wanted)}; expected one of ${all.map(id).join(', ')}`, 2);
  }
  if (found.length > 1) {
    throw new CliError(`'--env' is ${JSON.stringify(wanted)}, which matches ${found.map(id).join(', ')}; expected <namespace>/<name>`, 2);
  }
  return found;
}

/**
 * Every YAML document of every *.yaml and *.yml file under `dir`, in path order, each naming where it starts
 * (`dist/dev.k8s.yaml:118 (document 3)`). Files over MAX_FILE_BYTES, documents over MAX_DOCUMENT_CHARS and more
 * than MAX_ALIASES alias resolutions are refused, naming the file.
 */
async function readManifests(dir: string): Promise<ManifestDocument[]> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch {
    throw new CliError(`${dir}: no such directory; expected the output directory of cdk8s synth (e.g. dist)`);
  }
  if (!stat.isDirectory()) throw new CliError(`${dir}: not a directory; expected the output directory of cdk8s synth (e.g. dist)`);
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(p);
    }
  };
  await walk(dir);
  files.sort();
  const manifests: ManifestDocument[] = [];
  for (const file of files) {
    const size = (await fs.stat(file)).size;
    if (size > MAX_FILE_BYTES) {
      throw new ManifestProblems([`${file}: ${size} bytes; expected at most ${MAX_FILE_BYTES} (${MAX_FILE_BYTES / 1024 / 1024} MiB) in a file of manifests`]);
    }
    const text = await fs.readFile(file, 'utf8');
    const lines = new LineCounter();
    // YAML 1.1, as cdk8s writes it.
    const docs = parseAllDocuments(text, { version: '1.1', lineCounter: lines, prettyErrors: false });
    for (const [i, doc] of (Array.isArray(docs) ? docs : []).entries()) {
      const where = `${file}:${lines.linePos(doc.range[0]).line} (document ${i + 1})`;
      if (doc.errors.length) throw new ManifestProblems([`${where}: not valid YAML: ${oneLine(doc.errors[0].message)}`]);
      if (doc.range[2] - doc.range[0] > MAX_DOCUMENT_CHARS) {
        throw new ManifestProblems([`${where}: ${doc.range[2] - doc.range[0]} characters; expected a document of at most ${MAX_DOCUMENT_CHARS}`]);
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIASES });
      } catch (e: any) {
        const why = e instanceof RangeError ? 'nested too deeply'
          : /alias/i.test(String(e?.message)) ? `more YAML aliases than the ${MAX_ALIASES} allowed (cdk8s writes none)`
            : oneLine(String(e?.message ?? e));
        throw new ManifestProblems([`${where}: ${why}`]);
      }
      if (value !== null && value !== undefined) manifests.push({ value, source: where });
    }
  }
  return manifests;
}

/** The first line of a message, at most 200 characters. */
function oneLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Runs kubectl without a shell; every argument is a separate word. */
async function kubectl(args: string[], io: CliIo): Promise<string> {
  const r = await kubectlResult(args, io);
  if (r.code !== 0) throw new CliError(`kubectl ${args.join(' ')} failed: ${r.stderr.trim() || `exit code ${r.code}`}`);
  return r.stdout;
}

/** Runs kubectl without a shell and answers with its exit code and output; kubectl missing is a CliError. */
function kubectlResult(args: string[], io: CliIo): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', args, { env: io.env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if ((error as any)?.code === 'ENOENT') return reject(new CliError(`kubectl ${args.join(' ')}: kubectl is not on PATH`));
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function namespaceArgs(env: EnvironmentSummary): string[] {
  return env.namespace ? ['-n', env.namespace] : [];
}

/** The LoadBalancer's address, or the node port of a NodePort Service, as the cluster reports them. */
async function addressFromCluster(env: EnvironmentSummary, io: CliIo): Promise<{ address?: string; nodePort?: number; why: string }> {
  const text = await kubectl(['get', 'service', ...namespaceArgs(env), env.name, '-o', 'json'], io);
  let service: any;
  try {
    service = JSON.parse(text);
  } catch {
    throw new CliError(`kubectl get service ${id(env)} printed no JSON`);
  }
  const type = service?.spec?.type ?? 'ClusterIP';
  const sshPort = (service?.spec?.ports ?? []).find((p: any) => p?.name === PortNames.SSH);
  if (type === 'NodePort') {
    return { nodePort: sshPort?.nodePort, why: `the Service is a NodePort (ssh on node port ${sshPort?.nodePort}): pass a node's address with --address` };
  }
  if (type !== 'LoadBalancer') return { why: `the Service is a ${type}, which has no external address` };
  const ingress = service?.status?.loadBalancer?.ingress?.[0];
  const address = ingress?.ip ?? ingress?.hostname;
  if (typeof address !== 'string' || address === '') return { why: 'the LoadBalancer has no address yet' };
  return { address, nodePort: undefined, why: '' };
}

/** The host public keys sshd uses, derived in the pod from its private keys and read over the Kubernetes API. */
async function hostKeysFromCluster(env: EnvironmentSummary, io: CliIo): Promise<string[]> {
  const script = `for k in ${Paths.RUN_DIR}/host-keys/ssh_host_*_key; do ssh-keygen -y -f "$k"; done`;
  const text = await kubectl([...namespaceArgs(env), 'exec', `deploy/${env.name}`, '-c', Containers.DEV, '--', 'sh', '-c', script], io);
  const keys = text.split('\n').map(l => l.trim()).filter(l => l !== '');
  if (keys.length === 0) throw new CliError(`${id(env)}: the pod printed no host key`);
  return keys;
}

/** `connect <[namespace/]name>`: wake, wait, relay (src/connect.ts). */
async function connect(target: string | undefined, extra: string[], values: Values, io: CliIo): Promise<void> {
  if (target === undefined) throw new CliError('connect: expected the environment, <namespace>/<name> or <name>', 2);
  if (extra.length) throw new CliError(`connect: unexpected argument ${JSON.stringify(extra[0])}`, 2);
  for (const flag of Object.keys(values) as Flag[]) {
    if (flag !== 'timeout') throw new CliError(`--${flag} does not apply to connect`, 2);
  }
  const environment = parseTarget(target);
  const timeout = timeoutOf(values);
  const pod = await wake(environment, wakeIo(io), timeout);
  const code = await relay(environment, pod, io.env);
  if (code !== 0) throw new CliError(`kubectl exec into ${pod} ended with exit code ${code}`, code);
}

function timeoutOf(values: Values): number {
  const text = values.timeout;
  if (text === undefined) return 300;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 86400) {
    throw new CliError(`'--timeout' is ${JSON.stringify(text)}; expected a whole number of seconds from 1 to 86400`, 2);
  }
  return Number(text);
}

/** What connect's wake step uses: kubectl without a shell, stderr through printable(), real time. */
function wakeIo(io: CliIo) {
  return {
    kubectl: (args: string[]) => kubectlResult(args, io),
    err: io.err,
    sleep: (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}

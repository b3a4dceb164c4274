import { checkHostCertificateAuthority, checkPublicKey } from './authorized-keys';
import { Annotations, Containers, DELVE_PORT, EnvVars, Labels, MANAGED_BY, PortNames, SSH_PORT, SSH_RELAY_SCRIPT, Users } from './contract';
import { Problems } from './errors';
import type { GoRemoteEnvironment } from './go-remote-environment';
import { checkAbsolutePath, checkPort, checkSafeText, isDnsLabel, isIpAddress } from './validation';
import { PACKAGE_VERSION } from './version';

const HOST_CA_ANNOTATION = Annotations.HOST_CA;
const MANAGED_BY_LABEL = Labels.MANAGED_BY;
const DEV_CONTAINER = Containers.DEV;

/**
 * Relays the SSH connection inside the pod: bash opens TCP to sshd on the pod's loopback and `cat` copies both
 * ways. The image has bash and coreutils but neither `nc` nor `socat` (images/go-remote/Containerfile). Double
 * quotes only and no `$`, `%` or backslash, so that neither ssh's `%` expansion nor the local shell changes it.
 */

/**
 * How an SSH client reaches an environment's sshd.
 */
export enum SshRouteKind {
  /** Straight to an address: the Service's load balancer, or a node with a NodePort Service. */
  DIRECT = 'direct',
  /** To a local port that `kubectl port-forward svc/<name> <local>:2222` forwards (a process you keep running). */
  PORT_FORWARD = 'port-forward',
  /** Through `kubectl exec` as ssh's `ProxyCommand`: nothing to start beforehand, no address needed. */
  KUBECTL_EXEC = 'kubectl-exec',
  /**
   * Through `cdk8s-go-remote connect` as ssh's `ProxyCommand`: wakes a stopped environment (0 replicas), waits
   * for its pod, then relays through `kubectl exec`.
   */
  CONNECT = 'connect',
}

/**
 * The route an SSH client takes to the environment.
 */
export class SshRoute {
  /**
   * Straight to an address: the LoadBalancer's IP or host name (`kubectl get svc <name>`), or a node's address
   * when the Service is a NodePort.
   *
   * @param hostName an IP address or DNS name
   * @param port the port at that address (a NodePort Service's node port for `ssh`)
   * @default port 2222 (the Service's SSH port)
   */
  public static direct(hostName: string, port?: number): SshRoute {
    return new SshRoute(SshRouteKind.DIRECT, hostName, port ?? SSH_PORT);
  }

  /**
   * To `127.0.0.1:<localPort>`, which `kubectl -n <namespace> port-forward svc/<name> <localPort>:2222` forwards
   * while it runs. Works with every Service type; the stanza's comment carries the command.
   *
   * @param localPort the local port
   * @default localPort 2222
   */
  public static portForward(localPort?: number): SshRoute {
    return new SshRoute(SshRouteKind.PORT_FORWARD, '127.0.0.1', localPort ?? SSH_PORT);
  }

  /**
   * Through `kubectl exec -i deploy/<name> -c dev -- bash -c "<relay to 127.0.0.1:2222>"` as ssh's
   * `ProxyCommand`. Works with every Service type and starts on demand, but needs `kubectl` on the client's
   * PATH and permission to `create` `pods/exec` in the namespace.
   */
  public static kubectlExec(): SshRoute {
    return new SshRoute(SshRouteKind.KUBECTL_EXEC, undefined, undefined);
  }

  /**
   * Through `<command> connect <namespace>/<name>` as ssh's `ProxyCommand`: with your kube credentials it
   * scales a stopped environment (idle stop, or scaled to 0 by hand) to 1 replica, waits until its pod is Ready
   * (progress on stderr, which VS Code's Remote-SSH output shows), then relays through `kubectl exec` as
   * `kubectlExec()` does. Needs `kubectl` on PATH and, in the namespace: get deployments, patch
   * deployments/scale, list pods, create pods/exec, list events (`GoRemoteEnvironment.grantConnect`).
   *
   * @param command how ssh runs this package's CLI: words of letters, digits and `_./@:~+=-` only, since ssh
   * hands ProxyCommand to a shell
   * @default command `npx --yes cdk8s-go-remote@<this package's version>`
   */
  public static connect(command?: string): SshRoute {
    const route = new SshRoute(SshRouteKind.CONNECT, undefined, undefined);
    (route as { command?: string }).command = command ?? `npx --yes cdk8s-go-remote@${PACKAGE_VERSION}`;
    return route;
  }

  /** Which route. */
  public readonly kind: SshRouteKind;
  /** The command that runs this package's CLI (`CONNECT` only). */
  public readonly command?: string;
  /** The address ssh connects to (`HostName`); none for `KUBECTL_EXEC`. */
  public readonly hostName?: string;
  /** The port ssh connects to (`Port`); none for `KUBECTL_EXEC`. */
  public readonly port?: number;

  private constructor(kind: SshRouteKind, hostName: string | undefined, port: number | undefined) {
    this.kind = kind;
    this.hostName = hostName;
    this.port = port;
  }
}

/**
 * A port one of the environment's programs listens on.
 */
export interface ProgramPortSummary {
  /** The program's name (the container and Service port name). */
  readonly name: string;
  /** The port. */
  readonly port: number;
  /** Whether the Service publishes it. */
  readonly published: boolean;
}

/**
 * What a client needs to know about an environment, from the construct or from its synthesized manifests.
 */
export interface EnvironmentSummary {
  /** The base name of the environment's objects (Deployment and Service `<name>`). */
  readonly name: string;
  /**
   * The namespace.
   * @default - none in the manifests: kubectl's current namespace
   */
  readonly namespace?: string;
  /** The user SSH logs in as. */
  readonly sshUser: string;
  /** The SSH port of the container and the Service. */
  readonly sshPort: number;
  /**
   * Where the repository is cloned in the container.
   * @default - no repository declared
   */
  readonly checkoutPath?: string;
  /**
   * The Service's type (`LoadBalancer`, `NodePort`, `ClusterIP`).
   * @default - no Service found
   */
  readonly serviceType?: string;
  /** The ports of the programs besides sshd. */
  readonly programPorts: ProgramPortSummary[];
  /**
   * The public key of the CA that signs the environment's host certificates (`hostCertificateAuthority` of the
   * construct): known_hosts gets `@cert-authority <alias> <key>`.
   * @default - no host CA declared
   */
  readonly hostCertificateAuthority?: string;
}

/**
 * Options of the client files.
 */
export interface ClientFilesOptions {
  /**
   * How ssh reaches sshd.
   *
   * @default SshRoute.kubectlExec()
   */
  readonly route?: SshRoute;

  /**
   * The `Host` alias in `~/.ssh/config`, also used as `HostKeyAlias`, so that the known_hosts entry stays valid
   * whichever route or address reaches the environment. Letters, digits, '.', '_' and '-'.
   *
   * @default - `<namespace>-<name>`, or `<name>` without a namespace
   */
  readonly alias?: string;

  /**
   * The private key ssh offers (`IdentityFile`), with `IdentitiesOnly yes`: sshd allows 3 attempts, fewer than
   * the keys an agent often holds.
   *
   * @default '~/.ssh/id_ed25519'
   */
  readonly identityFile?: string;

  /**
   * The environment's host public keys (`<type> <base64>`, as in `ssh_host_ed25519_key.pub`; a comment after
   * them is dropped). `knownHosts` then holds a line for each and the stanza says `StrictHostKeyChecking yes`.
   *
   * @default - no host key known: ssh asks at the first connection; compare with the fingerprints in the pod log
   */
  readonly hostKeys?: string[];

  /**
   * A host certificate authority's public key: `knownHosts` holds `@cert-authority <alias> <key>` and the stanza
   * says `StrictHostKeyChecking yes`. The environment must present a host certificate signed by this CA whose
   * principals include the alias (`hostCertificatePrincipals`, `hostCertificateCommand`): the host key Secret
   * holds `ssh_host_<type>_key-cert.pub` beside the keys (see docs/guides/connecting.md).
   *
   * @default - the environment's `hostCertificateAuthority`, if it declares one; else no host CA
   */
  readonly hostCertificateAuthority?: string;

  /**
   * Refuse unknown host keys (`StrictHostKeyChecking yes`) even without `hostKeys` or `hostCertificateAuthority`,
   * for when the known_hosts lines were installed another way.
   *
   * @default - true when `hostKeys` or a host CA (this option's or the environment's) is given, else false (`StrictHostKeyChecking ask`)
   */
  readonly strictHostKeyChecking?: boolean;

  /**
   * A known_hosts file for this host (`UserKnownHostsFile`), e.g. `~/.ssh/known_hosts.d/go-remote`.
   *
   * @default - ssh's default (`~/.ssh/known_hosts`)
   */
  readonly knownHostsFile?: string;

  /**
   * The port delve listens on in the environment. `launchJson` exists only when a program declares it.
   *
   * @default 2345
   */
  readonly delvePort?: number;

  /**
   * Where VS Code finds delve (`host` in launch.json).
   *
   * @default '127.0.0.1': through an SSH forward (`ssh -N -L 2345:127.0.0.1:2345 <alias>`) or inside a Remote-SSH window
   */
  readonly delveHost?: string;

  /**
   * The local copy of the checkout, mapped to the remote one (`substitutePath`).
   *
   * @default '${workspaceFolder}'
   */
  readonly localPath?: string;
}

/**
 * Files an SSH client and VS Code need to reach an environment and verify its host key: an `~/.ssh/config`
 * stanza, known_hosts lines, a `.vscode/launch.json` attaching to delve, and a table of the ports.
 *
 * Build them from a construct (`forEnvironment`) or from synthesized manifests (`discover` then
 * `forSummary`), as the `cdk8s-go-remote` command does.
 */
export class ClientFiles {
  /**
   * The client files of an environment in this app.
   */
  public static forEnvironment(env: GoRemoteEnvironment, options: ClientFilesOptions = {}): ClientFiles {
    const servicePorts = new Set<string>((env.service.toJson().spec?.ports ?? []).map((p: any) => p.name));
    return ClientFiles.forSummary({
      name: env.name,
      namespace: env.namespace,
      sshUser: env.sshUser,
      sshPort: env.sshPort,
      checkoutPath: env.checkoutPath,
      serviceType: env.exposure.serviceType,
      // What the Service publishes, read from the Service itself (as `discover` reads it from the manifests).
      programPorts: env.programs
        .filter(p => p.port !== undefined)
        .map(p => ({ name: p.name, port: p.port!, published: servicePorts.has(p.name) })),
      hostCertificateAuthority: env.hostCertificateAuthority,
    }, options);
  }

  /**
   * The environments in synthesized manifests (parsed YAML documents, in order): every Deployment labelled
   * `app.kubernetes.io/managed-by: cdk8s-go-remote` with a container `dev`, and its Service.
   *
   * Names and users read from the manifests are checked, since they end up in ssh configuration and commands.
   */
  // Manifests come from a repository and may have been edited: every field read is checked for its shape (a
  // mapping, a list, a string, a port) and every string for what it ends up in (ssh configuration, commands,
  // the terminal). Problems are thrown as one validation error naming each object (`manifests[3], Deployment
  // dev/alice: spec.template.spec.containers`); nothing else is ever thrown.
  public static discover(manifests: any[]): EnvironmentSummary[] {
    if (!Array.isArray(manifests)) {
      const problems = new Problems();
      problems.add('manifests', brief(manifests), 'expected a list of parsed YAML documents');
      problems.throwIfAny();
    }
    return discoverEnvironments(manifests.map((value, i) => ({ value, source: `manifests[${i}]` })));
  }

  /**
   * `discover` over documents that name their source (`dist/dev.k8s.yaml:118 (document 3)`), for messages.
   * @internal
   */
  public static _discover(documents: ManifestDocument[]): EnvironmentSummary[] {
    return discoverEnvironments(documents);
  }

  /**
   * The client files of an environment described by a summary (from `discover`).
   */
  public static forSummary(environment: EnvironmentSummary, options: ClientFilesOptions = {}): ClientFiles {
    return new ClientFiles(environment, options, {});
  }

  /**
   * Renders the client files, naming options in error messages as `names` says (the CLI names its flags).
   * @internal
   */
  public static _render(environment: EnvironmentSummary, options: ClientFilesOptions, names: { [option: string]: string }): ClientFiles {
    return new ClientFiles(environment, options, names);
  }

  /**
   * A complete `.vscode/launch.json` holding the given configurations (`launchConfiguration` of several
   * environments).
   */
  public static launchJsonOf(configurations: any[]): string {
    return JSON.stringify({ version: '0.2.0', configurations }, undefined, 2) + '\n';
  }

  /** The environment these files reach. */
  public readonly environment: EnvironmentSummary;
  /** The `Host` alias (and `HostKeyAlias`). */
  public readonly alias: string;
  /** The route ssh takes. */
  public readonly route: SshRoute;
  /** Whether the stanza refuses unknown host keys (`StrictHostKeyChecking yes`). */
  public readonly strictHostKeyChecking: boolean;
  /** The `Host` stanza for `~/.ssh/config`, with comments saying how it connects and how to verify the host. */
  public readonly sshConfig: string;
  /**
   * Lines for known_hosts (`<alias> <type> <base64>`, `@cert-authority <alias> <key>`).
   * @default - none: neither `hostKeys` nor `hostCertificateAuthority` was given
   */
  public readonly knownHosts?: string;
  /**
   * A `.vscode/launch.json` configuration attaching to delve (`"request": "attach"`, `"mode": "remote"`).
   * @default - none: no program declares the delve port
   */
  public readonly launchConfiguration?: any;
  /**
   * A complete `.vscode/launch.json` holding `launchConfiguration`.
   * @default - none: no program declares the delve port
   */
  public readonly launchJson?: string;
  /** A markdown table of the ports (sshd and each program) and how to reach them from the client. */
  public readonly portsTable: string;
  /**
   * The names a host certificate of this environment must carry as principals (`ssh-keygen -n`): the alias, which
   * ssh checks through `HostKeyAlias`, then the Service's DNS names for clients inside the cluster (`<name>`,
   * `<name>.<namespace>`, `<name>.<namespace>.svc`, `<name>.<namespace>.svc.cluster.local`).
   */
  public readonly hostCertificatePrincipals: string[];
  /**
   * The `ssh-keygen` command that signs a host public key for these principals, to run where the CA's private key
   * lives (`<host-ca-key>` stands for its path; sign each `ssh_host_<type>_key.pub` the same way).
   */
  public readonly hostCertificateCommand: string;
  /** The command that logs the host key fingerprints (`kubectl logs ... | grep 'host key fingerprint'`). */
  public readonly fingerprintCommand: string;
  /** The `kubectl port-forward` command for `SshRoute.portForward` (local port 2222 unless that route says otherwise). */
  public readonly portForwardCommand: string;

  private constructor(environment: EnvironmentSummary, options: ClientFilesOptions, names: { [option: string]: string }) {
    const name = (option: keyof ClientFilesOptions | 'hostName' | 'port') => names[option] ?? option;
    const problems = new Problems();
    // From JavaScript anything can arrive: the wrong type is a validation error, never a TypeError.
    if (!isMapping(environment)) problems.add('environment', brief(environment), 'expected an EnvironmentSummary (from discover)');
    if (options !== undefined && !isMapping(options)) problems.add('options', brief(options), 'expected ClientFilesOptions');
    if (isMapping(options) && options.route !== undefined && !(options.route instanceof SshRoute)) {
      problems.add(name('route'), brief(options.route), 'expected an SshRoute (SshRoute.direct(), portForward(), kubectlExec() or connect())');
    }
    if (isMapping(options) && options.hostKeys !== undefined && !Array.isArray(options.hostKeys)) {
      problems.add(name('hostKeys'), brief(options.hostKeys), 'expected a list of public keys');
    }
    problems.throwIfAny();
    const env = environment;
    options = options ?? {};
    const route = options.route ?? SshRoute.kubectlExec();
    const alias = options.alias ?? (env.namespace ? `${env.namespace}-${env.name}` : env.name);
    const identityFile = options.identityFile ?? '~/.ssh/id_ed25519';
    const delvePort = options.delvePort ?? DELVE_PORT;
    const delveHost = options.delveHost ?? '127.0.0.1';
    const localPath = options.localPath ?? '${workspaceFolder}';

    // A summary can be built by hand: its names reach ssh_config and kubectl command lines too.
    if (typeof env.name !== 'string' || !isDnsLabel(env.name)) problems.add('environment.name', env.name, 'expected a DNS-1123 label');
    if (env.namespace !== undefined && (typeof env.namespace !== 'string' || !isDnsLabel(env.namespace))) {
      problems.add('environment.namespace', env.namespace, 'expected a DNS-1123 label');
    }
    if (typeof env.sshUser !== 'string' || !LOGIN.test(env.sshUser)) problems.add('environment.sshUser', env.sshUser, LOGIN_EXPECTED);
    checkPort(problems, 'environment.sshPort', env.sshPort);
    if (env.serviceType !== undefined && !SERVICE_TYPES.includes(env.serviceType)) {
      problems.add('environment.serviceType', env.serviceType, `expected ${SERVICE_TYPES.join(', ')}`);
    }
    if (env.checkoutPath !== undefined) checkAbsolutePath(problems, 'environment.checkoutPath', env.checkoutPath);
    if (!Array.isArray(env.programPorts)) problems.add('environment.programPorts', brief(env.programPorts), 'expected a list');
    (Array.isArray(env.programPorts) ? env.programPorts : []).forEach((p, i) => {
      if (!isMapping(p)) {
        problems.add(`environment.programPorts[${i}]`, brief(p), 'expected { name, port, published }');
        return;
      }
      if (typeof p.name !== 'string' || !isDnsLabel(p.name, 15)) problems.add(`environment.programPorts[${i}].name`, p.name, PORT_NAME_EXPECTED);
      checkPort(problems, `environment.programPorts[${i}].port`, p.port);
    });
    if (!ALIAS.test(alias)) {
      problems.add(name('alias'), alias, 'expected a Host alias of letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit: anything else (a space, a newline, \'*\') would change what ssh_config means');
    }
    if (route.kind === SshRouteKind.CONNECT) {
      // ssh hands ProxyCommand to the user's shell: plain words only.
      if (typeof route.command !== 'string' || !/^[A-Za-z0-9_./@:~+=-]+( [A-Za-z0-9_./@:~+=-]+)*$/.test(route.command)) {
        problems.add(name('connectCommand' as any), route.command, 'expected a command of words of letters, digits and \'_./@:~+=-\' separated by single spaces (ssh runs ProxyCommand through a shell)');
      }
    } else if (route.kind !== SshRouteKind.KUBECTL_EXEC) {
      checkHostName(problems, name('hostName'), route.hostName);
      checkPort(problems, name('port'), route.port as number);
    }
    checkConfigPath(problems, name('identityFile'), identityFile);
    if (options.knownHostsFile !== undefined) checkConfigPath(problems, name('knownHostsFile'), options.knownHostsFile);
    const hostKeys = (options.hostKeys ?? []).map((key, i) => checkPublicKey(problems, `${name('hostKeys')}[${i}]`, key));
    const caOption = options.hostCertificateAuthority !== undefined;
    const caValue = caOption ? options.hostCertificateAuthority : env.hostCertificateAuthority;
    const hostCa = caValue === undefined ? undefined
      : checkHostCertificateAuthority(problems, caOption ? name('hostCertificateAuthority') : 'environment.hostCertificateAuthority', caValue);
    if (checkPort(problems, name('delvePort'), delvePort) && delvePort === env.sshPort) {
      problems.add(name('delvePort'), delvePort, 'is the SSH port; expected the port delve listens on');
    }
    checkHostName(problems, name('delveHost'), delveHost);
    checkSafeText(problems, name('localPath'), localPath);
    problems.throwIfAny();

    this.environment = env;
    this.alias = alias;
    this.route = route;
    this.strictHostKeyChecking = options.strictHostKeyChecking ?? (hostKeys.length > 0 || hostCa !== undefined);

    const ns = env.namespace ? ['-n', env.namespace] : [];
    this.fingerprintCommand = ['kubectl', ...ns, 'logs', `deploy/${env.name}`, '-c', DEV_CONTAINER, '|', 'grep', '\'host key fingerprint\''].join(' ');
    const localPort = route.kind === SshRouteKind.PORT_FORWARD ? route.port : env.sshPort;
    this.portForwardCommand = ['kubectl', ...ns, 'port-forward', `svc/${env.name}`, `${localPort}:${env.sshPort}`].join(' ');

    const where = `${env.namespace ? `${env.namespace}/` : ''}${env.name}`;
    const dnsNames = env.namespace
      ? [env.name, `${env.name}.${env.namespace}`, `${env.name}.${env.namespace}.svc`, `${env.name}.${env.namespace}.svc.cluster.local`]
      : [env.name];
    this.hostCertificatePrincipals = [...new Set([alias, ...dnsNames])];
    this.hostCertificateCommand = ['ssh-keygen', '-s', '<host-ca-key>', '-I', where, '-h', '-n', this.hostCertificatePrincipals.join(','),
      '-V', '+52w', 'ssh_host_ed25519_key.pub'].join(' ');
    const lines: string[] = [];
    switch (route.kind) {
      case SshRouteKind.DIRECT:
        lines.push(`# cdk8s-go-remote environment ${where}, at its Service's address`);
        break;
      case SshRouteKind.PORT_FORWARD:
        lines.push(
          `# cdk8s-go-remote environment ${where}, through kubectl port-forward. Keep it running while you connect:`,
          `#   ${this.portForwardCommand}`,
        );
        break;
      case SshRouteKind.CONNECT:
        lines.push(`# cdk8s-go-remote environment ${where}, through cdk8s-go-remote connect: wakes it when stopped, then kubectl exec`,
          '# (kubectl on PATH; permission to get deployments, patch deployments/scale, list pods, create pods/exec, list events)');
        break;
      default:
        lines.push(`# cdk8s-go-remote environment ${where}, through kubectl exec (kubectl on PATH, permission to exec into the pod)`);
    }
    if (!this.strictHostKeyChecking) {
      lines.push(
        '# No host key given: at the first connection, compare the fingerprint ssh shows with the pod log:',
        `#   ${this.fingerprintCommand}`,
      );
    }
    lines.push(`Host ${alias}`);
    const set = (key: string, value: string | number) => lines.push(`  ${key} ${value}`);
    if (route.kind === SshRouteKind.CONNECT) {
      set('ProxyCommand', `${route.command} connect ${env.namespace ? `${env.namespace}/` : ''}${env.name}`);
    } else if (route.kind === SshRouteKind.KUBECTL_EXEC) {
      set('ProxyCommand', ['kubectl', ...ns, 'exec', '-i', `deploy/${env.name}`, '-c', DEV_CONTAINER, '--', 'bash', '-c', `"${SSH_RELAY_SCRIPT}"`].join(' '));
    } else {
      set('HostName', route.hostName!);
      set('Port', route.port!);
    }
    set('User', env.sshUser);
    set('HostKeyAlias', alias);
    set('IdentityFile', configValue(identityFile));
    set('IdentitiesOnly', 'yes');
    if (options.knownHostsFile !== undefined) set('UserKnownHostsFile', configValue(options.knownHostsFile));
    set('StrictHostKeyChecking', this.strictHostKeyChecking ? 'yes' : 'ask');
    set('ServerAliveInterval', 30);
    this.sshConfig = lines.join('\n') + '\n';

    const known: string[] = [];
    for (const key of hostKeys) known.push(`${alias} ${key}`);
    if (hostCa) known.push(`@cert-authority ${alias} ${hostCa}`);
    this.knownHosts = known.length ? known.map(l => `${l}\n`).join('') : undefined;

    const delve = env.programPorts.find(p => p.port === delvePort);
    if (delve) {
      this.launchConfiguration = {
        name: `Attach to ${delve.name} on ${alias}`,
        type: 'go',
        request: 'attach',
        mode: 'remote',
        debugAdapter: 'dlv-dap',
        host: delveHost,
        port: delvePort,
        // vscode-go maps editor paths ('from') to the paths the program was built with ('to').
        substitutePath: [{ from: localPath, to: env.checkoutPath ?? '/workspace' }],
      };
      this.launchJson = ClientFiles.launchJsonOf([this.launchConfiguration]);
    }

    this.portsTable = this.renderPorts();
  }

  private renderPorts(): string {
    const env = this.environment;
    const route = this.route;
    const loadBalancer = env.serviceType === 'LoadBalancer' && route.kind === SshRouteKind.DIRECT && route.port === env.sshPort;
    const publishedBy = (published: boolean) => published ? `yes (${env.serviceType})` : 'no';
    const rows = [
      '| program | port | published by the Service | from your machine |',
      '| --- | ---: | --- | --- |',
      `| sshd | ${env.sshPort} | ${publishedBy(env.serviceType !== undefined)} | \`ssh ${this.alias}\` |`,
    ];
    for (const p of env.programPorts) {
      const forward = `\`ssh -N -L ${p.port}:127.0.0.1:${p.port} ${this.alias}\`, then \`127.0.0.1:${p.port}\``;
      const reach = p.published && loadBalancer ? `\`${hostPort(route.hostName!, p.port)}\`, or ${forward}` : forward;
      rows.push(`| ${p.name} | ${p.port} | ${publishedBy(p.published)} | ${reach} |`);
    }
    const notes: string[] = [];
    if (env.serviceType === 'LoadBalancer' && env.programPorts.some(p => p.published)) {
      notes.push('', 'Published program ports have no authentication of their own (delve runs any code it is asked to): '
        + 'anyone who reaches the load balancer reaches them. Prefer the SSH forward, and set `expose: false` '
        + 'or `sourceRanges`.');
    }
    return [...rows, ...notes].join('\n') + '\n';
  }
}

// ssh_config splits a line at whitespace; '*', '?' and '!' are patterns in a Host line and '%' starts a token.
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const LOGIN = /^[a-z_][a-z0-9_-]{0,31}$/;
const LOGIN_EXPECTED = 'expected a login name: lower-case letters, digits, \'_\' and \'-\'';
const PORT_NAME_EXPECTED = 'a name of at most 15 lower-case letters, digits and \'-\'';

/** An IPv4 or IPv6 address (as Node's `net` parses it) or a DNS name: nothing ssh_config or a shell would split or expand. */
function checkHostName(problems: Problems, prop: string, value: string | undefined): void {
  const ok = typeof value === 'string' && (DNS_NAME.test(value) || (value.includes(':') && isIpAddress(value)));
  if (!ok) {
    problems.add(prop, value, 'expected an IP address or a DNS name such as \'203.0.113.7\' or \'dev.example.com\': no spaces, quotes or other characters that would change the ssh_config line');
  }
}

// ssh_config(5) reads these unquoted exactly as written; anything else is written in double quotes.
const PLAIN_CONFIG_VALUE = /^[A-Za-z0-9_.\/~:@+,-]+$/;
// The '%' tokens ssh expands in IdentityFile and UserKnownHostsFile (ssh_config(5) TOKENS), in every OpenSSH
// since 7.x; '%%' is a '%'. Any other '%' makes ssh stop with "unknown key".
const CONFIG_TOKEN = /%[%CdhiLlnpru]/g;

/**
 * A path for an ssh_config line (IdentityFile, UserKnownHostsFile), refused unless ssh reads it back exactly as
 * given, whatever its OpenSSH version: it is written in double quotes unless it is plain (so a value starting with
 * '#' or '=', or with whitespace or a quote, is one quoted argument, not a comment, a separator or two files);
 * inside them, no '"', and no '\\' before '\\', '\'' or '"' or at the end (OpenSSH 8.7 and later read those as
 * escapes, earlier versions do not). '~', '%' tokens and '${VAR}' keep the meaning ssh gives them.
 */
function checkConfigPath(problems: Problems, prop: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    problems.add(prop, value, 'expected a path');
  } else if (!checkSafeText(problems, prop, value)) {
    return;
  } else if (value.includes('"')) {
    problems.add(prop, value, 'expected a path without \'"\', which ssh_config cannot carry inside a quoted value');
  } else if (/\\(["'\\]|$)/.test(value)) {
    problems.add(prop, value, 'expected a path without \'\\\' before \'\\\', \'\'\' or \'"\' or at the end: OpenSSH 8.7 and later read it as an escape, earlier versions as a character');
  } else if (value.replace(CONFIG_TOKEN, '').includes('%')) {
    problems.add(prop, value, 'expected \'%\' only in one of ssh\'s tokens (%d, %u, %h ...): write \'%%\' for a \'%\' in the file name');
  } else if (value.length > 1024) {
    problems.add(prop, value, 'expected a path of at most 1024 characters');
  }
}

/** The value as ssh_config reads it back: plain, or in double quotes (checkConfigPath refused what quotes cannot carry). */
function configValue(value: string): string {
  return PLAIN_CONFIG_VALUE.test(value) ? value : `"${value}"`;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A parsed YAML document and where it came from (`dist/dev.k8s.yaml:118 (document 3)`), for messages.
 * @internal
 */
export interface ManifestDocument {
  /** The document as parsed (`toJS`). */
  readonly value: unknown;
  /** Where it came from, already safe to print. */
  readonly source: string;
}

type Mapping = { readonly [key: string]: unknown };

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What kind of value this is, in words: for messages about the shape of a manifest. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/**
 * A value shortened for a message: at most 4 entries of a mapping or list and 2 levels deep, so that a message
 * about a large or aliased (shared, repeated) part of a manifest stays one short line.
 * @internal
 */
export function brief(value: unknown, depth = 2): unknown {
  if (typeof value === 'string') return value.length > 120 ? `${value.slice(0, 117)}...` : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth === 0) return Array.isArray(value) ? ['...'] : { '...': '...' };
  if (Array.isArray(value)) {
    const items = value.slice(0, 4).map(v => brief(v, depth - 1));
    return value.length > 4 ? [...items, '...'] : items;
  }
  const entries = Object.entries(value);
  const out: { [key: string]: unknown } = {};
  for (const [k, v] of entries.slice(0, 4)) out[brief(k) as string] = brief(v, depth - 1);
  if (entries.length > 4) out['...'] = '...';
  return out;
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'];

/**
 * Reads the fields of one object of the manifests, recording a problem for each field of the wrong shape under
 * `<source>, <kind> [<namespace>/]<name>: <field>`.
 */
class ObjectReader {
  private label: string;

  constructor(private readonly problems: Problems, private readonly source: string, private readonly kind: string) {
    this.label = `${source}, ${kind}`;
  }

  /** From now on messages name the object (its names were checked). */
  public named(namespace: string | undefined, name: string): void {
    this.label = `${this.source}, ${this.kind} ${namespace ? `${namespace}/` : ''}${name}`;
  }

  public at(field: string): string {
    return `${this.label}: ${field}`;
  }

  public add(field: string, value: unknown, expected: string): void {
    this.problems.add(this.at(field), brief(value), expected);
  }

  /** A mapping; `optional` accepts a missing field (undefined or null) as empty. */
  public mapping(field: string, value: unknown, optional = false): Mapping | undefined {
    if (isMapping(value)) return value;
    if (optional && (value === undefined || value === null)) return {};
    this.add(field, value, `expected a mapping, found ${kindOf(value)}`);
    return undefined;
  }

  /** A list of mappings; a missing field (undefined or null) is an empty list. */
  public mappings(field: string, value: unknown): Mapping[] | undefined {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.add(field, value, `expected a list, found ${kindOf(value)}`);
      return undefined;
    }
    let ok = true;
    value.forEach((item, i) => {
      if (!isMapping(item)) {
        this.add(`${field}[${i}]`, item, `expected a mapping, found ${kindOf(item)}`);
        ok = false;
      }
    });
    return ok ? value as Mapping[] : undefined;
  }

  /** A string, or undefined when the field is missing (undefined or null). */
  public optionalString(field: string, value: unknown): string | undefined | false {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.add(field, value, `expected a string, found ${kindOf(value)}`);
    return false;
  }
}

/** Whether the document is a `kind` object labelled as managed by this library. */
function isManaged(value: unknown, kind: string): value is Mapping & { metadata: Mapping & { labels: Mapping } } {
  return isMapping(value) && value.kind === kind && isMapping(value.metadata) && isMapping(value.metadata.labels)
    && value.metadata.labels[MANAGED_BY_LABEL] === MANAGED_BY;
}

function discoverEnvironments(documents: ManifestDocument[]): EnvironmentSummary[] {
  const problems = new Problems();
  // The managed Services by `<namespace>/<name>` (names of any other type match no environment).
  const services = new Map<string, ManifestDocument[]>();
  for (const d of documents) {
    if (!isManaged(d.value, 'Service')) continue;
    const { name, namespace } = d.value.metadata;
    if (typeof name !== 'string' || (namespace !== undefined && namespace !== null && typeof namespace !== 'string')) continue;
    const key = `${namespace ?? ''}/${name}`;
    services.set(key, [...services.get(key) ?? [], d]);
  }
  const found: EnvironmentSummary[] = [];
  const firstSource = new Map<string, string>();
  for (const d of documents) {
    if (!isManaged(d.value, 'Deployment')) continue;
    const summary = readEnvironment(problems, d, services);
    if (summary === undefined) continue;
    const key = `${summary.namespace ?? ''}/${summary.name}`;
    const first = firstSource.get(key);
    if (first !== undefined) {
      problems.add(`${d.source}, Deployment ${summary.namespace ? `${summary.namespace}/` : ''}${summary.name}`, summary.name,
        `another environment has the same namespace and name (${first}): expected each once`);
      continue;
    }
    firstSource.set(key, d.source);
    found.push(summary);
  }
  problems.throwIfAny();
  return found;
}

/** The summary of one managed Deployment, or undefined (not an environment, or problems recorded). */
function readEnvironment(problems: Problems, d: ManifestDocument, services: Map<string, ManifestDocument[]>): EnvironmentSummary | undefined {
  const m = d.value as Mapping & { metadata: Mapping };
  const r = new ObjectReader(problems, d.source, 'Deployment');
  const before = problems.count;

  const spec = r.mapping('spec', m.spec);
  const template = spec && r.mapping('spec.template', spec.template);
  const podSpec = template && r.mapping('spec.template.spec', template.spec);
  const containers = podSpec && r.mappings('spec.template.spec.containers', podSpec.containers);
  if (!containers) return undefined;
  let dev: Mapping | undefined;
  let devIndex = -1;
  containers.forEach((c, i) => {
    const cname = r.optionalString(`spec.template.spec.containers[${i}].name`, c.name);
    if (cname === DEV_CONTAINER && dev === undefined) {
      dev = c;
      devIndex = i;
    }
  });
  if (problems.count > before) return undefined;
  // A Deployment of ours without the dev container is not an environment (another workload of the app).
  if (dev === undefined) return undefined;

  // The names are checked before they appear in a message, so that a message never carries a raw newline.
  const name = m.metadata.name;
  const rawNamespace = m.metadata.namespace;
  if (typeof name !== 'string' || !isDnsLabel(name)) {
    r.add('metadata.name', name, 'expected a DNS-1123 label (the Deployment of an environment)');
    return undefined;
  }
  if (rawNamespace !== undefined && rawNamespace !== null && (typeof rawNamespace !== 'string' || !isDnsLabel(rawNamespace))) {
    r.add('metadata.namespace', rawNamespace, `expected a DNS-1123 label (the Deployment ${name})`);
    return undefined;
  }
  const namespace = typeof rawNamespace === 'string' ? rawNamespace : undefined;
  r.named(namespace, name);

  const at = `spec.template.spec.containers[${devIndex}]`;
  const env = r.mappings(`${at}.env`, dev.env);
  const envVar = (key: string): string | undefined | false => {
    if (!env) return false;
    const i = env.findIndex(e => e.name === key);
    if (i < 0) return undefined;
    const value = env[i].value;
    if (typeof value === 'string') return value;
    r.add(`${at}.env[${i}].value`, value, `expected a string (${key}; the command reads it from the manifest, so not valueFrom)`);
    return false;
  };
  const user = envVar(EnvVars.USER);
  const sshUser = user ?? Users.DEFAULT;
  if (typeof sshUser === 'string' && !LOGIN.test(sshUser)) r.add(`${at}.env ${EnvVars.USER}`, sshUser, LOGIN_EXPECTED);
  const checkout = envVar(EnvVars.CHECKOUT);
  if (typeof checkout === 'string') checkAbsolutePath(problems, r.at(`${at}.env ${EnvVars.CHECKOUT}`), checkout);

  const ports = r.mappings(`${at}.ports`, dev.ports) ?? [];
  ports.forEach((p, i) => {
    if (typeof p.name !== 'string' || !isDnsLabel(p.name, 15)) r.add(`${at}.ports[${i}].name`, p.name, `expected ${PORT_NAME_EXPECTED}`);
    checkPort(problems, r.at(`${at}.ports[${i}].containerPort`), p.containerPort);
  });
  const sshPort = ports.find(p => p.name === PortNames.SSH)?.containerPort ?? SSH_PORT;

  const annotations = r.mapping('metadata.annotations', m.metadata.annotations, true);
  const rawCa = annotations?.[HOST_CA_ANNOTATION];
  const ca = rawCa === undefined ? undefined : checkHostCertificateAuthority(problems, r.at(`metadata.annotations ${HOST_CA_ANNOTATION}`), rawCa);

  let serviceType: string | undefined;
  const published = new Set<string>();
  const matching = services.get(`${namespace ?? ''}/${name}`) ?? [];
  if (matching.length > 1) {
    r.add('Service', name, `is declared ${matching.length} times (${matching.map(s => s.source).join(', ')}): expected one Service of the same name`);
  } else if (matching.length === 1) {
    const s = new ObjectReader(problems, matching[0].source, 'Service');
    s.named(namespace, name);
    const service = matching[0].value as Mapping;
    const sspec = s.mapping('spec', service.spec);
    if (sspec) {
      const type = s.optionalString('spec.type', sspec.type);
      if (type !== false) {
        serviceType = type ?? 'ClusterIP';
        if (!SERVICE_TYPES.includes(serviceType)) {
          s.add('spec.type', type, `expected ${SERVICE_TYPES.join(', ')} (an environment's Service)`);
        }
      }
      (s.mappings('spec.ports', sspec.ports) ?? []).forEach((p, i) => {
        const pname = s.optionalString(`spec.ports[${i}].name`, p.name);
        if (typeof pname === 'string') published.add(pname);
      });
    }
  }
  if (problems.count > before || user === false || checkout === false) return undefined;
  return {
    name,
    namespace,
    sshUser: sshUser as string,
    sshPort: sshPort as number,
    checkoutPath: checkout,
    serviceType,
    programPorts: ports
      .filter(p => p.name !== PortNames.SSH)
      .map(p => ({ name: p.name as string, port: p.containerPort as number, published: published.has(p.name as string) })),
    hostCertificateAuthority: ca,
  };
}

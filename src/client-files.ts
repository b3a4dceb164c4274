import { checkHostCertificateAuthority, checkPublicKey } from './authorized-keys';
import { Annotations, Containers, DELVE_PORT, EnvVars, Labels, MANAGED_BY, PortNames, SSH_PORT, Users } from './contract';
import { Problems } from './errors';
import type { GoRemoteEnvironment } from './go-remote-environment';
import { checkPort, checkSafeText, isDnsLabel, isIpAddress } from './validation';

const HOST_CA_ANNOTATION = Annotations.HOST_CA;
const MANAGED_BY_LABEL = Labels.MANAGED_BY;
const DEV_CONTAINER = Containers.DEV;

/**
 * Relays the SSH connection inside the pod: bash opens TCP to sshd on the pod's loopback and `cat` copies both
 * ways. The image has bash and coreutils but neither `nc` nor `socat` (images/go-remote/Containerfile). Double
 * quotes only and no `$`, `%` or backslash, so that neither ssh's `%` expansion nor the local shell changes it.
 */
const RELAY_SCRIPT = `exec 3<>/dev/tcp/127.0.0.1/${SSH_PORT}; cat <&3 & cat >&3`;

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

  /** Which route. */
  public readonly kind: SshRouteKind;
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
    return ClientFiles.forSummary({
      name: env.name,
      namespace: env.namespace,
      sshUser: env.sshUser,
      sshPort: env.sshPort,
      checkoutPath: env.checkoutPath,
      serviceType: env.exposure.serviceType,
      // The Service publishes every program port but those declared `expose: false`.
      programPorts: env.programs
        .filter(p => p.port !== undefined)
        .map(p => ({ name: p.name, port: p.port!, published: p.expose !== false })),
      hostCertificateAuthority: env.hostCertificateAuthority,
    }, options);
  }

  /**
   * The environments in synthesized manifests (parsed YAML documents, in order): every Deployment labelled
   * `app.kubernetes.io/managed-by: cdk8s-go-remote` with a container `dev`, and its Service.
   *
   * Names and users read from the manifests are checked, since they end up in ssh configuration and commands.
   */
  public static discover(manifests: any[]): EnvironmentSummary[] {
    const problems = new Problems();
    const services = new Map<string, any>();
    for (const m of manifests) {
      if (m?.kind === 'Service' && m.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) {
        services.set(`${m.metadata.namespace ?? ''}/${m.metadata.name}`, m);
      }
    }
    const found: EnvironmentSummary[] = [];
    manifests.forEach((m, index) => {
      if (m?.kind !== 'Deployment' || m.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return;
      const containers: any[] = m.spec?.template?.spec?.containers ?? [];
      const dev = containers.find(c => c?.name === DEV_CONTAINER);
      if (!dev) return;
      const name = m.metadata.name;
      const namespace: string | undefined = m.metadata.namespace ?? undefined;
      // The names are checked before they appear in a message, so that a message never carries a raw newline.
      if (typeof name !== 'string' || !isDnsLabel(name)) {
        problems.add(`manifests[${index}].metadata.name`, name, 'expected a DNS-1123 label (the Deployment of an environment)');
        return;
      }
      if (namespace !== undefined && (typeof namespace !== 'string' || !isDnsLabel(namespace))) {
        problems.add(`manifests[${index}].metadata.namespace`, namespace, `expected a DNS-1123 label (the Deployment ${name})`);
        return;
      }
      const at = `Deployment ${namespace ? `${namespace}/` : ''}${name}`;
      const envVar = (key: string) => (dev.env ?? []).find((e: any) => e?.name === key)?.value;
      const sshUser = envVar(EnvVars.USER) ?? Users.DEFAULT;
      if (typeof sshUser !== 'string' || !LOGIN.test(sshUser)) {
        problems.add(`${at} env ${EnvVars.USER}`, sshUser, LOGIN_EXPECTED);
        return;
      }
      const ports: any[] = dev.ports ?? [];
      const sshPort = ports.find(p => p?.name === PortNames.SSH)?.containerPort ?? SSH_PORT;
      const badPort = ports.find(p => typeof p?.name !== 'string' || !isDnsLabel(p.name, 15) || !Number.isInteger(p?.containerPort));
      if (badPort) {
        problems.add(`${at} container dev ports`, badPort, `expected named ports: ${PORT_NAME_EXPECTED}, and a containerPort`);
        return;
      }
      const service = services.get(`${namespace ?? ''}/${name}`);
      const published = new Set<string>((service?.spec?.ports ?? []).map((p: any) => p?.name));
      const checkout = envVar(EnvVars.CHECKOUT);
      const ca = m.metadata.annotations?.[HOST_CA_ANNOTATION];
      if (ca !== undefined && checkHostCertificateAuthority(problems, `${at} annotation ${HOST_CA_ANNOTATION}`, ca) === undefined) return;
      found.push({
        name,
        namespace,
        sshUser,
        sshPort,
        checkoutPath: typeof checkout === 'string' ? checkout : undefined,
        serviceType: service ? service.spec?.type ?? 'ClusterIP' : undefined,
        programPorts: ports
          .filter(p => p.name !== PortNames.SSH)
          .map(p => ({ name: p.name, port: p.containerPort, published: published.has(p.name) })),
        hostCertificateAuthority: ca,
      });
    });
    problems.throwIfAny();
    return found;
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
    const env = environment;
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
    (env.programPorts ?? []).forEach((p, i) => {
      if (typeof p.name !== 'string' || !isDnsLabel(p.name, 15)) problems.add(`environment.programPorts[${i}].name`, p.name, PORT_NAME_EXPECTED);
      checkPort(problems, `environment.programPorts[${i}].port`, p.port);
    });
    if (!ALIAS.test(alias)) {
      problems.add(name('alias'), alias, 'expected a Host alias of letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit: anything else (a space, a newline, \'*\') would change what ssh_config means');
    }
    if (route.kind !== SshRouteKind.KUBECTL_EXEC) {
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
    if (route.kind === SshRouteKind.KUBECTL_EXEC) {
      set('ProxyCommand', ['kubectl', ...ns, 'exec', '-i', `deploy/${env.name}`, '-c', DEV_CONTAINER, '--', 'bash', '-c', `"${RELAY_SCRIPT}"`].join(' '));
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

/** A path for an ssh_config line: quoted when it has spaces; no quotes or control characters. */
function checkConfigPath(problems: Problems, prop: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    problems.add(prop, value, 'expected a path');
  } else if (checkSafeText(problems, prop, value) && value.includes('"')) {
    problems.add(prop, value, 'expected a path without \'"\', which ssh_config cannot carry inside a quoted value');
  }
}

function configValue(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

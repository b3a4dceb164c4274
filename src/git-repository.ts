import { ConfigFiles, EnvVars, Paths } from './contract';
import { Problems } from './errors';
import { checkDnsSubdomain, hasControlCharacter } from './validation';

/**
 * The project's git repository, cloned once into the workspace.
 */
export interface GitRepository {
  /**
   * Where to clone from: `https://host/org/repo(.git)`, `ssh://[user@]host[:port]/org/repo(.git)`,
   * `user@host:org/repo(.git)` or `git://host[:port]/org/repo(.git)`.
   *
   * `http://` is refused (TLS is always verified), and so are credentials in the URL: give an SSH key in
   * `sshKeySecret` instead. `git://` is unauthenticated and unencrypted; use it only inside a trusted network.
   */
  readonly url: string;

  /**
   * A branch, a tag, or a full 40-character commit id to check out.
   *
   * @default - the repository's default branch
   */
  readonly ref?: string;

  /**
   * Where under `$GOPATH/src` the clone lands, as an import-path-like relative path.
   *
   * @default - the URL's host and path without `.git`, as the original go-remote did
   * (`https://github.com/acme/widget.git` → `github.com/acme/widget`)
   */
  readonly checkoutPath?: string;

  /**
   * The name of an existing Secret of type `kubernetes.io/ssh-auth` whose `ssh-privatekey` is a key (for
   * example a read-only deploy key) that may clone an `ssh` URL. Its content never appears in the manifests.
   *
   * @default - no key: the repository must be readable anonymously
   */
  readonly sshKeySecret?: string;

  /**
   * `known_hosts` lines for the SSH server of an `ssh` URL. Host keys are always verified
   * (`StrictHostKeyChecking yes`), so an `ssh` URL requires them.
   *
   * @example ['github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl']
   * @default - none (required for `ssh` URLs)
   */
  readonly knownHosts?: string[];
}

/** A validated repository and what the construct derived from it. @internal */
export interface ResolvedGitRepository {
  readonly url: string;
  readonly branch?: string;
  readonly commit?: string;
  readonly checkout: string;
  readonly ssh: boolean;
  readonly sshKeySecret?: string;
  readonly knownHosts?: string;
}

// Anything a shell, git's option parser or a config file could read as more than a URL.
const UNSAFE_URL_CHARACTERS = /[\s'"`$;&|<>(){}\\*?!#~^[\]]/;
const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)([A-Za-z0-9._/-]+)$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

function checkRef(problems: Problems, prop: string, ref: unknown): void {
  // git check-ref-format, narrowed to what people put in branch and tag names.
  const ok = typeof ref === 'string' && /^[A-Za-z0-9._/-]+$/.test(ref) && ref.length <= 200
    && !ref.startsWith('-') && !ref.startsWith('/') && !ref.endsWith('/') && !ref.endsWith('.')
    && !ref.endsWith('.lock') && !ref.includes('..') && !ref.includes('//') && !ref.includes('/.')
    && !ref.startsWith('.');
  if (!ok) {
    problems.add(prop, ref, 'expected a branch or tag name (letters, digits, \'.\', \'_\', \'-\' and \'/\', as git check-ref-format allows) or a 40-character commit id');
  }
}

function checkRelativePath(problems: Problems, prop: string, path: unknown): boolean {
  const segments = typeof path === 'string' ? path.split('/') : [];
  if (typeof path !== 'string' || path.startsWith('/') || segments.some(s => !PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
    problems.add(prop, path, 'expected a relative path of letters, digits, \'.\', \'_\' and \'-\' segments, such as \'github.com/acme/widget\'');
    return false;
  }
  return true;
}

/**
 * Validates a repository and derives its checkout directory under `$GOPATH/src`.
 * @internal
 */
export function resolveGitRepository(problems: Problems, prop: string, git: GitRepository): ResolvedGitRepository | undefined {
  if (git === null || typeof git !== 'object') {
    problems.add(prop, git, 'expected a GitRepository ({ url, ref?, checkoutPath?, sshKeySecret?, knownHosts? })');
    return undefined;
  }
  // A fleet's developers mostly share one repository: a repository found valid is resolved once.
  const key = JSON.stringify([git.url, git.ref, git.checkoutPath, git.sshKeySecret, git.knownHosts]);
  const known = resolved.get(key);
  if (known !== undefined) return known;
  const before = problems.count;
  const result = resolve(problems, prop, git);
  if (result !== undefined && problems.count === before) {
    if (resolved.size > 1000) resolved.clear();
    resolved.set(key, result);
  }
  return result;
}

const resolved = new Map<string, ResolvedGitRepository>();

function resolve(problems: Problems, prop: string, git: GitRepository): ResolvedGitRepository | undefined {
  const before = problems.count;
  const url = git.url;
  let host: string | undefined;
  let path: string | undefined;
  let ssh = false;
  if (typeof url !== 'string' || url === '') {
    problems.add(`${prop}.url`, url, 'expected an https, ssh or git URL');
  } else if (hasControlCharacter(url) || UNSAFE_URL_CHARACTERS.test(url) || url.startsWith('-')) {
    problems.add(`${prop}.url`, url, 'expected a URL without spaces, quotes, shell metacharacters or control characters');
  } else if (SCP_LIKE.test(url)) {
    const m = SCP_LIKE.exec(url)!;
    host = m[2];
    path = m[3];
    ssh = true;
  } else {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['https:', 'ssh:', 'git:'].includes(parsed.protocol)) {
      problems.add(`${prop}.url`, url, parsed?.protocol === 'http:'
        ? 'expected https: plain http is refused because TLS is always verified'
        : 'expected an https://, ssh://, git:// or user@host:path URL');
    } else if (parsed.password || (parsed.username && parsed.protocol !== 'ssh:')) {
      problems.add(`${prop}.url`, url, 'expected no credentials in the URL (they would be stored in the manifests); use sshKeySecret');
    } else if (parsed.search || parsed.hash) {
      problems.add(`${prop}.url`, url, 'expected no query or fragment');
    } else {
      try {
        path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
        host = parsed.hostname;
        ssh = parsed.protocol === 'ssh:';
      } catch {
        problems.add(`${prop}.url`, url, 'expected every \'%\' to start an escape of two hex digits that decodes to UTF-8');
      }
    }
  }
  if (host !== undefined && path !== undefined) {
    path = path.replace(/\/+$/, '').replace(/\.git$/, '');
    if (host.startsWith('[')) {
      problems.add(`${prop}.url`, url, 'expected a host name or IPv4 address, not an IPv6 literal');
    } else {
      checkDnsSubdomain(problems, `${prop}.url`, host.toLowerCase());
    }
    if (path === '' || path.split('/').some(s => !PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
      problems.add(`${prop}.url`, url, 'expected a repository path such as \'org/repo.git\' (letters, digits, \'.\', \'_\' and \'-\' segments)');
    }
  }
  if (git.ref !== undefined) checkRef(problems, `${prop}.ref`, git.ref);
  if (git.checkoutPath !== undefined) checkRelativePath(problems, `${prop}.checkoutPath`, git.checkoutPath);

  let knownHosts: string | undefined;
  if (git.knownHosts !== undefined && !Array.isArray(git.knownHosts)) {
    problems.add(`${prop}.knownHosts`, git.knownHosts, 'expected a list of known_hosts lines');
  } else if (git.knownHosts !== undefined) {
    git.knownHosts.forEach((line, i) => {
      if (typeof line !== 'string' || hasControlCharacter(line) || !/^\S+ (ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+={0,2}( .*)?$/.test(line.trim())) {
        problems.add(`${prop}.knownHosts[${i}]`, line, 'expected one known_hosts line: \'<host> <key type> <base64 key>\'');
      }
    });
    knownHosts = git.knownHosts.map(l => `${typeof l === 'string' ? l.trim() : ''}\n`).join(''); // used only when every line passed
  }
  if (ssh && (!Array.isArray(git.knownHosts) || git.knownHosts.length === 0)) {
    problems.add(`${prop}.knownHosts`, git.knownHosts, 'expected the SSH server\'s known_hosts lines: host keys are always verified for ssh URLs (see `ssh-keyscan <host>`, then check the fingerprints)');
  }
  if (!ssh && (git.sshKeySecret !== undefined || git.knownHosts !== undefined) && host !== undefined) {
    problems.add(`${prop}.sshKeySecret`, git.sshKeySecret ?? git.knownHosts, 'applies to ssh URLs only; remove it or use an ssh URL');
  }
  if (git.sshKeySecret !== undefined) checkDnsSubdomain(problems, `${prop}.sshKeySecret`, git.sshKeySecret);

  if (problems.count > before || host === undefined || path === undefined) return undefined;
  const relative = git.checkoutPath ?? `${host.toLowerCase()}/${path}`;
  const isCommit = git.ref !== undefined && COMMIT.test(git.ref);
  return Object.freeze({
    url,
    branch: isCommit ? undefined : git.ref,
    commit: isCommit ? git.ref : undefined,
    checkout: `${Paths.GOPATH}/src/${relative}`,
    ssh,
    sshKeySecret: git.sshKeySecret,
    knownHosts,
  });
}

/**
 * The clone container's variable naming the deploy-key Secret (`git.sshKeySecret`), for the script's messages only.
 * @internal
 */
export const GIT_KEY_SECRET_ENV = 'GO_REMOTE_GIT_KEY_SECRET';

/**
 * The clone init container's script. It is a constant: the URL, ref and directory arrive only as
 * environment variables, always double-quoted, and after `--` where git could take them for options.
 *
 * It clones once: an existing directory (a checkout, or anything the developer put there) is never touched.
 * A clone interrupted half-way is left under a `.partial` name and redone at the next start.
 *
 * A clone that fails prints git's own error, then one `go-remote: error:` line saying what failed and what to
 * check (the URL, the ref, the deploy-key Secret, the known hosts), read from git's message. The pod template sets
 * `terminationMessagePolicy: FallbackToLogsOnError`, so that the log's tail (both) is the init container's
 * termination message in `kubectl describe pod`.
 * @internal
 */
export const CLONE_SCRIPT = [
  'set -eu',
  `dest="$${EnvVars.CHECKOUT}"`,
  'if [ -e "$dest" ]; then echo "go-remote: $dest exists; not cloning"; exit 0; fi',
  'partial="$dest.partial"',
  'mkdir -p -- "$(dirname -- "$dest")"',
  'rm -rf -- "$partial"',
  `url="$${EnvVars.GIT_URL}"`,
  `ref="\${${EnvVars.GIT_BRANCH}:-\${${EnvVars.GIT_COMMIT}:-}}"`,
  'err="$(mktemp)"',
  // fail <what failed> <what to check>: git's error, then the one line; no checkout is left behind.
  'fail() {',
  '  cat -- "$err" >&2; rm -f -- "$err"; rm -rf -- "$partial"',
  '  echo "go-remote: error: $1; check $2" >&2',
  '  exit 1',
  '}',
  'has() { grep -qiE -- "$1" "$err"; }',
  `key="\${${GIT_KEY_SECRET_ENV}:-}"`,
  'if [ -n "$key" ]; then access="the deploy key in the Secret $key (ssh-privatekey) has read access to it"; else access="it is readable without credentials (or set git.sshKeySecret to a deploy key, with an ssh URL)"; fi',
  'explain() {',
  '  if has "host key verification failed|no (ed25519|ecdsa|rsa|[a-z0-9-]+) host key is known"; then',
  '    fail "cloning $url: the SSH server\'s host key is not in git.knownHosts" "git.knownHosts (ssh-keyscan the host, then compare the fingerprints with the ones the server publishes)"',
  '  elif has "remote branch .* not found|couldn\'t find remote ref|reference is not a tree|did not match any|unknown revision|not our ref"; then',
  '    fail "cloning $url: the ref \'$ref\' is not in the repository" "git.ref (a branch or tag of that repository, or a commit on one of them)"',
  '  elif has "repository not found|not found|does not appear to be a git repository|does not exist|not exported|no such"; then',
  '    fail "cloning $url: the repository does not exist or cannot be read" "git.url, and that $access"',
  '  elif has "permission denied|publickey|authentication failed|could not read username|not authorized|forbidden"; then',
  '    fail "cloning $url: the server refused access" "git.url, and that $access"',
  '  elif has "could not resolve|connection refused|timed out|no route to host|network is unreachable|unable to connect|unable to access|ssl|certificate"; then',
  '    fail "cloning $url: cannot reach the server" "the host and port in git.url, that the pod\'s network reaches it (NetworkPolicy, proxy, DNS) and, for https, that the image trusts its CA"',
  '  else',
  '    fail "cloning $url${ref:+ (ref $ref)} failed" "git.url, git.ref, git.sshKeySecret and git.knownHosts"',
  '  fi',
  '}',
  `if [ -n "\${${EnvVars.GIT_BRANCH}:-}" ]; then`,
  `  git clone --branch "$${EnvVars.GIT_BRANCH}" -- "$url" "$partial" 2>"$err" || explain`,
  'else',
  '  git clone -- "$url" "$partial" 2>"$err" || explain',
  'fi',
  'cat -- "$err" >&2',
  `if [ -n "\${${EnvVars.GIT_COMMIT}:-}" ]; then git -C "$partial" checkout -q --detach "$${EnvVars.GIT_COMMIT}" 2>"$err" || explain; fi`,
  'cat -- "$err" >&2; rm -f -- "$err"',
  'mv -- "$partial" "$dest"',
  'echo "go-remote: cloned into $dest"',
].join('\n');

/**
 * Environment variables for the clone container: TLS verification forced on through git's own
 * configuration variables, and for ssh URLs a fixed ssh command that verifies the host key.
 * @internal
 */
export function cloneEnvironment(git: ResolvedGitRepository): Array<{ name: string; value: string }> {
  const env = [
    { name: EnvVars.GIT_URL, value: git.url },
    // Overrides any http.sslVerify=false in a system or image git config.
    { name: 'GIT_CONFIG_COUNT', value: '1' },
    { name: 'GIT_CONFIG_KEY_0', value: 'http.sslVerify' },
    { name: 'GIT_CONFIG_VALUE_0', value: 'true' },
    { name: 'GIT_TERMINAL_PROMPT', value: '0' },
  ];
  if (git.branch) env.push({ name: EnvVars.GIT_BRANCH, value: git.branch });
  if (git.commit) env.push({ name: EnvVars.GIT_COMMIT, value: git.commit });
  if (git.ssh) {
    const dir = Paths.GIT_CREDENTIALS_DIR;
    const identity = git.sshKeySecret ? ` -i ${dir}/ssh-privatekey -o IdentitiesOnly=yes` : '';
    env.push({
      name: 'GIT_SSH_COMMAND',
      value: `ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${Paths.CONFIG_DIR}/${ConfigFiles.KNOWN_HOSTS} -o BatchMode=yes${identity}`,
    });
  }
  return env;
}

/**
 * Fixed paths inside the environment's container: the contract with the dev image
 * (docs/image-contract.md). One place, so that the Deployment, supervisord.conf and sshd_config agree.
 * @internal
 */
export const Paths = {
  WORKSPACE: '/workspace',
  HOME: '/workspace/home',
  GOPATH: '/workspace/go',
  GOMODCACHE: '/workspace/go/pkg/mod',
  GOCACHE: '/workspace/.cache/go-build',
  CONFIG_DIR: '/etc/go-remote/config',
  RUN_DIR: '/run/go-remote',
  HOST_KEYS_SECRET_DIR: '/etc/go-remote/host-keys',
  GIT_CREDENTIALS_DIR: '/etc/go-remote/git',
  ENTRYPOINT: '/usr/local/bin/go-remote-entrypoint',
  SSHD: '/usr/sbin/sshd',
  SUPERVISORD_CONF: '/etc/go-remote/config/supervisord.conf',
  SSHD_CONFIG: '/etc/go-remote/config/sshd_config',
  SUPERVISOR_SOCKET: '/run/go-remote/supervisor.sock',
  /** Host key types the image generates, in the order sshd offers them. */
  HOST_KEY_TYPES: ['ed25519', 'ecdsa', 'rsa'],
  /** PATH for SSH sessions: the Go toolchain, installed Go tools, then the system. */
  SESSION_PATH: '/usr/local/go/bin:/workspace/go/bin:/usr/local/bin:/usr/bin:/bin',
} as const;

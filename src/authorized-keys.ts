import { Problems, holdsPrivateKey } from './errors';
import { describeControlCharacter, hasControlCharacter } from './validation';

/** Key types sshd (OpenSSH 9) accepts in authorized_keys. */
const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const COMMENT = /^[\x20-\x7e]*$/;

/**
 * Checks one OpenSSH public key line: `<type> <base64 blob> [comment]`.
 *
 * The blob must decode to the SSH wire format whose first field names the same type, so that a truncated
 * or mangled paste is caught at synthesis rather than at the first failed login. Options before the type
 * (`from=...`, `command=...`) are refused: they change what a key may do and belong in review, not in a
 * list of keys. Returns an error sentence, or undefined when the line is a valid key.
 * @internal
 */
export function authorizedKeyProblem(key: string): string | undefined {
  // A fleet checks the same keys again and again (shared admins' keys, thousands of developers): remember.
  let known = checked.get(key);
  if (known === undefined) {
    known = { problem: keyProblem(key) };
    if (checked.size > 10000) checked.clear();
    checked.set(key, known);
  }
  return known.problem;
}

const checked = new Map<string, { problem?: string }>();

function keyProblem(key: string): string | undefined {
  // A .pub file read as-is ends with one line break; that alone is not a second line.
  const line = withoutFinalLineBreak(key);
  if (hasControlCharacter(line)) {
    return `expected one OpenSSH public key on a single line, found ${describeControlCharacter(line)}`;
  }
  const fields = line.trim().split(/ +/);
  const [type, blob] = fields;
  const comment = fields.slice(2).join(' ');
  if (!type || !KEY_TYPES.has(type)) {
    return `expected an OpenSSH public key starting with one of ${[...KEY_TYPES].join(', ')} (options such as from= or command= are not supported)`;
  }
  if (!blob || !BASE64.test(blob)) {
    return `expected '${type}' to be followed by the key's base64 data`;
  }
  const bytes = Buffer.from(blob, 'base64');
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const embedded = nameLength > 0 && nameLength + 4 <= bytes.length
    ? bytes.subarray(4, 4 + nameLength).toString('latin1')
    : undefined;
  if (embedded !== type || bytes.length < 4 + nameLength + 16) {
    return `expected the base64 data to be a complete '${type}' key (it decodes to ${embedded === undefined ? 'no key' : `'${embedded}'`}); paste the whole line of the .pub file`;
  }
  if (!COMMENT.test(comment)) {
    return 'expected the comment after the key to hold printable ASCII only';
  }
  return undefined;
}

/**
 * Validates `authorizedKeys` and returns the normalised `authorized_keys` file content.
 * @internal
 */
export function renderAuthorizedKeys(problems: Problems, prop: string, keys: string[] | undefined): string {
  if (!Array.isArray(keys) || keys.length === 0) {
    problems.add(prop, keys, 'expected at least one OpenSSH public key (the content of a .pub file): SSH login is key-only');
    return '';
  }
  const lines: string[] = [];
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    const problem = typeof key === 'string' ? authorizedKeyProblem(key) : 'expected a string';
    if (problem) {
      problems.add(`${prop}[${i}]`, key, problem);
      return;
    }
    const line = normalizePublicKey(key);
    const id = publicKeyOnly(line);
    if (seen.has(id)) {
      problems.add(`${prop}[${i}]`, key, 'expected each key once; this key is already listed');
    }
    seen.add(id);
    lines.push(line);
  });
  return lines.map(l => `${l}\n`).join('');
}

/**
 * A valid key line, normalised: no leading or trailing whitespace (so no final line break of a .pub file), single
 * spaces between the fields.
 * @internal
 */
export function normalizePublicKey(key: string): string {
  return key.trim().split(/ +/).join(' ');
}

/** `<type> <base64>` of a valid key line, without its comment: what identifies the key. @internal */
export function publicKeyOnly(key: string): string {
  return normalizePublicKey(key).split(' ').slice(0, 2).join(' ');
}

function withoutFinalLineBreak(key: string): string {
  return key.replace(/\r?\n$/, '');
}

/**
 * Checks a host CA's public key and returns `<type> <base64>`. A private key is refused without being echoed.
 * @internal
 */
export function checkHostCertificateAuthority(problems: Problems, prop: string, value: unknown): string | undefined {
  if (holdsPrivateKey(value)) {
    problems.add(prop, value, 'expected the CA\'s public key (the line of its .pub file): the CA\'s private key stays where you sign host keys, never in the cluster or in manifests');
    return undefined;
  }
  return checkPublicKey(problems, prop, value, 'the CA\'s, the line of its .pub file');
}

/**
 * Checks `<type> <base64> [comment]` and returns `<type> <base64>`; `whose` says whose key is expected.
 * @internal
 */
export function checkPublicKey(problems: Problems, prop: string, value: unknown, whose = 'the host\'s, as in ssh_host_ed25519_key.pub'): string | undefined {
  const problem = typeof value === 'string' ? authorizedKeyProblem(value) : 'expected a string';
  if (problem) {
    problems.add(prop, value, problem.replace('OpenSSH public key', `OpenSSH public key (${whose})`));
    return undefined;
  }
  return publicKeyOnly(value as string);
}

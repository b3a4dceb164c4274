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

/** The curves' names and the length of an uncompressed point (0x04, X, Y) on each. */
const EC_POINT_LENGTH: { [curve: string]: number } = { nistp256: 65, nistp384: 97, nistp521: 133 };
/** OpenSSH refuses RSA keys under 1024 bits (SSH_RSA_MINIMUM_MODULUS_SIZE). */
const RSA_MINIMUM_BITS = 1024;

/** Reads the fields of the SSH wire format (RFC 4251): each a uint32 length and that many bytes. */
class WireReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}
  /** The next field's bytes, or undefined when its length runs past the end. */
  public field(): Buffer | undefined {
    if (this.offset + 4 > this.bytes.length) return undefined;
    const length = this.bytes.readUInt32BE(this.offset);
    if (this.offset + 4 + length > this.bytes.length) return undefined;
    const out = this.bytes.subarray(this.offset + 4, this.offset + 4 + length);
    this.offset += 4 + length;
    return out;
  }
  public get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

/** A positive mpint (RFC 4251) in its shortest form: its size in bits, or undefined. */
function positiveMpintBits(value: Buffer | undefined): number | undefined {
  if (value === undefined || value.length === 0 || value[0] >= 0x80) return undefined; // negative
  if (value[0] === 0 && (value.length === 1 || value[1] < 0x80)) return undefined; // a needless leading zero
  const bytes = value[0] === 0 ? value.subarray(1) : value;
  return (bytes.length - 1) * 8 + bytes[0].toString(2).length;
}

/**
 * Parses a key's whole wire format as OpenSSH's sshkey_from_blob does: every field of its type, each of the
 * right length, nothing left over. Returns what is wrong, or undefined.
 */
function wireFormatProblem(type: string, bytes: Buffer): string | undefined {
  const r = new WireReader(bytes);
  const name = r.field();
  if (name?.toString('latin1') !== type) {
    const embedded = name === undefined ? 'no key' : `'${name.toString('latin1').replace(/[^\x20-\x7e]/g, '?')}'`;
    return `it decodes to ${embedded}`;
  }
  let ok: boolean;
  switch (type) {
    case 'ssh-ed25519':
      ok = r.field()?.length === 32;
      break;
    case 'sk-ssh-ed25519@openssh.com':
      ok = r.field()?.length === 32 && r.field() !== undefined;
      break;
    case 'ssh-rsa': {
      const e = positiveMpintBits(r.field());
      const n = positiveMpintBits(r.field());
      if (e !== undefined && n !== undefined && n < RSA_MINIMUM_BITS) return `its modulus has ${n} bits; sshd refuses RSA keys under ${RSA_MINIMUM_BITS}`;
      ok = e !== undefined && n !== undefined;
      break;
    }
    default: { // ecdsa-sha2-<curve> and sk-ecdsa-sha2-nistp256@openssh.com
      const curve = type.replace(/^(sk-)?ecdsa-sha2-/, '').replace(/@openssh\.com$/, '');
      const curveField = r.field();
      const point = r.field();
      ok = curveField?.toString('latin1') === curve && point?.length === EC_POINT_LENGTH[curve] && point[0] === 0x04;
      if (ok && type.startsWith('sk-')) ok = r.field() !== undefined;
    }
  }
  if (!ok) return 'a field is missing or has the wrong length: it is cut short or mangled';
  if (!r.done) return 'it has bytes after the last field';
  return undefined;
}

/**
 * Checks one OpenSSH public key line: `<type> <base64 blob> [comment]`.
 *
 * The blob must be canonical base64 of the key's whole SSH wire format (every field of its type, of the right
 * length, nothing left over), as OpenSSH parses it, so that a truncated or mangled paste is caught at synthesis
 * rather than at the first failed login. Options before the type (`from=...`, `command=...`) are refused: they
 * change what a key may do and belong in review, not in a list of keys. Returns an error sentence, or undefined
 * when the line is a valid key.
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

/** What a pasted private key gets instead of its first line's problem. @internal */
export const PRIVATE_KEY_PASTED = 'expected a public key, not a private key (which must never leave your machine): paste the one line of the .pub file beside it, such as ~/.ssh/id_ed25519.pub';

function keyProblem(key: string): string | undefined {
  if (holdsPrivateKey(key)) return PRIVATE_KEY_PASTED;
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
  const problem = bytes.toString('base64') !== blob ? 'it is not complete base64' : wireFormatProblem(type, bytes);
  if (problem !== undefined) {
    return `expected the base64 data to be a complete '${type}' key, but ${problem}; paste the whole line of the .pub file`;
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

import { utils } from 'ssh2';
import { KEY, configFile, publicKey, synth } from './util';
import { authorizedKeyProblem } from '../src/authorized-keys';

describe('authorizedKeys', () => {
  test('GIVEN real keys of every common type THEN each is accepted and written one per line', () => {
    const keys = [
      utils.generateKeyPairSync('ed25519', { comment: 'a@x' }).public,
      utils.generateKeyPairSync('ecdsa', { bits: 256, comment: 'b@x' }).public,
      utils.generateKeyPairSync('rsa', { bits: 2048, comment: 'c@x' }).public,
    ].map(k => k.trim());
    for (const key of keys) expect(authorizedKeyProblem(key)).toBeUndefined();
    const { manifests } = synth({ authorizedKeys: keys });
    expect(configFile(manifests, 'authorized_keys')).toBe(keys.map(k => `${k}\n`).join(''));
  });

  test('GIVEN a key with extra spaces THEN it is normalised', () => {
    const key = publicKey('me');
    const [type, blob] = key.split(' ');
    const { manifests } = synth({ authorizedKeys: [`  ${type}   ${blob}  me  `] });
    expect(configFile(manifests, 'authorized_keys')).toBe(`${type} ${blob} me\n`);
  });

  test('rule: at least one key', () => {
    expect(() => synth({ authorizedKeys: [] })).toThrow(/'authorizedKeys' is \[\]; expected at least one OpenSSH public key/);
  });

  test('rule: a missing list is refused', () => {
    expect(() => synth({ authorizedKeys: undefined as any })).toThrow(/'authorizedKeys' is undefined; expected at least one/);
  });

  test('rule: the line starts with a known key type', () => {
    expect(() => synth({ authorizedKeys: ['hello world'] })).toThrow(/'authorizedKeys\[0\]' is "hello world"; expected an OpenSSH public key starting with one of ssh-ed25519/);
  });

  test('rule: options before the key type are refused', () => {
    expect(() => synth({ authorizedKeys: [`command="/bin/sh" ${KEY}`] })).toThrow(/'authorizedKeys\[0\]' is "command=.*options such as from= or command= are not supported/);
  });

  test('rule: the key data is base64', () => {
    expect(() => synth({ authorizedKeys: ['ssh-ed25519 not*base64'] })).toThrow(/'authorizedKeys\[0\]' is "ssh-ed25519 not\*base64"; expected 'ssh-ed25519' to be followed by the key's base64 data/);
  });

  test('rule: a truncated key is refused', () => {
    const truncated = KEY.split(' ').slice(0, 2).join(' ').slice(0, 40);
    expect(() => synth({ authorizedKeys: [truncated] })).toThrow(/expected the base64 data to be a complete 'ssh-ed25519' key/);
  });

  test('rule: the data must be of the type the line names', () => {
    const rsa = utils.generateKeyPairSync('rsa', { bits: 2048 }).public.split(' ')[1];
    expect(() => synth({ authorizedKeys: [`ssh-ed25519 ${rsa}`] })).toThrow(/it decodes to 'ssh-rsa'/);
  });

  test('the one line break that ends a .pub file read as-is is accepted and not emitted twice', () => {
    const { manifests } = synth({ authorizedKeys: [`${KEY}\n`, `${publicKey()}\r\n`] });
    expect(configFile(manifests, 'authorized_keys').split('\n')).toHaveLength(3);
    expect(configFile(manifests, 'authorized_keys')).not.toContain('\r');
  });
  test('rule: a second line break after the final one is refused', () => {
    expect(() => synth({ authorizedKeys: [`${KEY}\n\n`] })).toThrow(/expected one OpenSSH public key on a single line, found U\+000A \(a newline\)/);
  });
  test('rule: no newline (one entry cannot smuggle a second key or an option line)', () => {
    expect(() => synth({ authorizedKeys: [`${KEY}\n${publicKey()}`] })).toThrow(/'authorizedKeys\[0\]' is "ssh-ed25519 .*"; expected one OpenSSH public key on a single line, found U\+000A \(a newline\) at character 94/);
  });

  test('rule: a pasted private key is refused and never repeated in the message', () => {
    const privateKey = utils.generateKeyPairSync('ed25519').private;
    let message = '';
    try {
      synth({ authorizedKeys: [privateKey] });
    } catch (e) {
      message = String((e as Error).message);
    }
    expect(message).toMatch(/'authorizedKeys\[0\]' is "<a private key, not shown>"; expected a public key, not a private key/);
    expect(message).not.toContain(privateKey.split('\n')[1].slice(0, 20));
    expect(message).not.toContain('BEGIN');
  });

  test('rule: the comment is printable ASCII', () => {
    expect(() => synth({ authorizedKeys: [`${KEY.split(' ').slice(0, 2).join(' ')} caf\u00e9`] })).toThrow(/expected the comment after the key to hold printable ASCII only/);
  });

  test('rule: each key once', () => {
    expect(() => synth({ authorizedKeys: [KEY, `${KEY.split(' ').slice(0, 2).join(' ')} other`] })).toThrow(/'authorizedKeys\[1\]' .*this key is already listed/);
  });
});

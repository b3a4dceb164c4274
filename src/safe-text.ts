// One definition of "safe text", shared by the validation of every value that reaches a generated file, a shell,
// sshd or a terminal, and by the formatting of error messages (src/errors.ts), which escapes what it refuses.

// "Safe text" as its consumers parse it. supervisord (Python's configparser) splits lines with str.splitlines,
// which also breaks at U+001C-U+001E, U+0085, U+2028 and U+2029; sshd and the shell break at newlines; a terminal
// obeys the C1 controls and bidi overrides. So: every C0 and C1 control, DEL, the line and paragraph separators,
// the bidi embeddings, overrides, isolates and marks, zero-width characters and the byte-order mark, the
// interlinear annotation characters, and a lone UTF-16 surrogate (written out as U+FFFD, so not read back).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_GLOBAL = new RegExp(UNSAFE.source, 'g');

/**
 * Python's whitespace (str.isspace), which supervisord's configparser uses to find an inline comment and to strip
 * values; JavaScript's `\s` differs (it lacks U+001C-U+001F and U+0085, and has U+FEFF).
 * @internal
 */
export const PYTHON_SPACE = '\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';

/**
 * True when the string holds a character that is not "safe text": one that could break a line-oriented file
 * (supervisord.conf as Python reads it, sshd_config, a shell script) or hide in a terminal. @internal
 */
export function hasControlCharacter(value: string): boolean {
  return UNSAFE.test(value);
}

/** Names the first unsafe character and where it is, e.g. 'U+000A (a newline) at character 81'. @internal */
export function describeControlCharacter(value: string): string {
  const at = value.search(UNSAFE);
  const code = value.charCodeAt(at);
  const what = code === 10 ? ' (a newline)' : code === 13 ? ' (a carriage return)' : code === 9 ? ' (a tab)'
    : code === 0x85 ? ' (a next-line control)' : (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) ? ' (a bidi control)' : '';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${what} at character ${at + 1}`;
}

/**
 * A string with every unsafe character written as `\uXXXX` (and `\` as `\\`), for an error message or a
 * terminal: a refused value can neither forge a line of the message nor reorder it.
 * @internal
 */
export function escapeText(value: string): string {
  return escapeUnsafe(value.replace(/\\/g, '\\\\'));
}

/** Every unsafe character written as `\uXXXX`, other characters (`\` too) as they are: for JSON text. @internal */
export function escapeUnsafe(value: string): string {
  return value.replace(UNSAFE_GLOBAL, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

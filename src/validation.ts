import * as net from 'net';
import { posix } from 'path';
import { Problems } from './errors';
import { describeControlCharacter, hasControlCharacter } from './safe-text';

export { PYTHON_SPACE, describeControlCharacter, escapeText, escapeUnsafe, hasControlCharacter } from './safe-text';

// The checks every resolver shares. Each takes the value as received (`unknown`: a JavaScript caller has no type
// checker), records a problem naming the path, and returns whether the value passed.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** @internal */
export function isDnsLabel(value: unknown, maxLen = 63): value is string {
  return typeof value === 'string' && value.length <= maxLen && DNS_LABEL.test(value);
}

/** @internal */
export function checkDnsLabel(problems: Problems, prop: string, value: unknown, maxLen = 63): boolean {
  if (isDnsLabel(value, maxLen)) return true;
  problems.add(prop, value, `expected a DNS-1123 label: at most ${maxLen} lower-case letters, digits and '-', starting and ending with a letter or digit`);
  return false;
}

/** @internal */
export function checkDns1035Label(problems: Problems, prop: string, value: unknown, maxLen = 63): boolean {
  if (typeof value === 'string' && value.length <= maxLen && DNS_1035_LABEL.test(value)) return true;
  problems.add(prop, value, `expected a DNS-1035 label: at most ${maxLen} lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`);
  return false;
}

/** @internal */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** @internal */
export function checkDnsSubdomain(problems: Problems, prop: string, value: unknown): boolean {
  if (isDnsSubdomain(value)) return true;
  problems.add(prop, value, 'expected a DNS-1123 subdomain: at most 253 lower-case letters, digits, \'-\' and \'.\'');
  return false;
}


/**
 * The one "safe text" check: a string on one line, without any control character, for every value that ends
 * up in a generated file (supervisord.conf, sshd_config, known_hosts, a shell's environment) or a terminal.
 * @internal
 */
export function checkSafeText(problems: Problems, prop: string, value: unknown): value is string {
  if (typeof value !== 'string') {
    problems.add(prop, value, 'expected a string');
    return false;
  }
  if (hasControlCharacter(value)) {
    problems.add(prop, value, `expected no newline, carriage return, tab or other control, bidi or invisible formatting character, found ${describeControlCharacter(value)}`);
    return false;
  }
  return true;
}

/** @internal */
export function checkPort(problems: Problems, prop: string, value: unknown): value is number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return true;
  problems.add(prop, value, 'expected a whole number from 1 to 65535');
  return false;
}

/** @internal */
export function checkAbsolutePath(problems: Problems, prop: string, value: unknown): value is string {
  if (!checkSafeText(problems, prop, value)) return false;
  if (!value.startsWith('/') || value.split('/').some(part => part === '..')) {
    problems.add(prop, value, 'expected an absolute path without \'..\' segments');
    return false;
  }
  return true;
}

/**
 * An absolute path as a comparison key: `.` segments, repeated and trailing slashes removed, so that
 * `/workspace/`, `//workspace` and `/workspace/.` all compare equal to `/workspace`.
 * @internal
 */
export function normalizePath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

/** Whether `path` is `root` or lies under it (both absolute; compared normalized). @internal */
export function isAtOrUnder(path: string, root: string): boolean {
  const p = normalizePath(path);
  const r = normalizePath(root);
  return p === r || r === '/' || p.startsWith(`${r}/`);
}

/**
 * An IPv4 or IPv6 address and a prefix length, as Kubernetes takes them (`loadBalancerSourceRanges`, a
 * NetworkPolicy's `ipBlock`). The address is parsed by Node's own `net` module (no zone, no leading zeros), and the
 * subnet is built with `net.BlockList`, which refuses what the kernel would.
 * @internal
 */
export function isCidr(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = value.split('/');
  if (parts.length !== 2) return false;
  const [address, prefix] = parts;
  const family = net.isIP(address);
  if (family === 0 || address.includes('%') || !/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return false;
  try {
    new net.BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return true;
}

/** @internal */
export function checkCidr(problems: Problems, prop: string, value: unknown): boolean {
  if (isCidr(value)) return true;
  problems.add(prop, value, 'expected an IPv4 or IPv6 CIDR such as \'203.0.113.0/24\'');
  return false;
}

/** An IPv4 or IPv6 address, as Node's `net` parses it (no zone). @internal */
export function isIpAddress(value: unknown): value is string {
  return typeof value === 'string' && net.isIP(value) !== 0 && !value.includes('%');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** @internal */
export function checkEnvName(problems: Problems, prop: string, value: unknown): value is string {
  if (typeof value === 'string' && ENV_NAME.test(value)) return true;
  problems.add(prop, value, 'expected an environment variable name: letters, digits and \'_\', not starting with a digit');
  return false;
}

/** A map of strings (env, labels); undefined reports nothing. Returns its entries, or none when it is not one. @internal */
export function checkStringMap(problems: Problems, prop: string, value: unknown, what: string): [string, unknown][] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.add(prop, value, `expected ${what}`);
    return [];
  }
  return Object.entries(value);
}

/** A list; undefined reports nothing. Returns its items, or none when it is not a list. @internal */
export function checkList<T = unknown>(problems: Problems, prop: string, value: unknown, what: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(prop, value, `expected ${what}`);
    return [];
  }
  return value as T[];
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Checks a label key (`[prefix/]name`). @internal */
export function checkLabelKey(problems: Problems, prop: string, key: unknown): boolean {
  const slash = typeof key === 'string' ? key.indexOf('/') : -1;
  const [prefix, name] = slash >= 0 ? [(key as string).slice(0, slash), (key as string).slice(slash + 1)] : [undefined, key];
  if (typeof name !== 'string' || name.length > 63 || !LABEL_NAME.test(name)) {
    problems.add(prop, key, 'expected a label key such as \'app\' or \'app.kubernetes.io/name\': an optional DNS subdomain and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
    return false;
  }
  return prefix === undefined || checkDnsSubdomain(problems, `${prop} (prefix of the key)`, prefix);
}

/** Checks a label value. @internal */
export function checkLabelValue(problems: Problems, prop: string, value: unknown): boolean {
  if (typeof value === 'string' && value.length <= 63 && LABEL_VALUE.test(value)) return true;
  problems.add(prop, value, 'expected a label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
  return false;
}

/** Checks a map of labels; `nonEmpty` refuses `{}`, which would select everything. @internal */
export function checkLabels(problems: Problems, prop: string, labels: unknown, nonEmpty: boolean): boolean {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    problems.add(prop, labels, 'expected a map of labels');
    return false;
  }
  const before = problems.count;
  if (nonEmpty && Object.keys(labels).length === 0) {
    problems.add(prop, labels, 'expected at least one label: an empty selector selects everything');
  }
  for (const [key, value] of Object.entries(labels)) {
    if (checkLabelKey(problems, prop, key)) checkLabelValue(problems, `${prop}.${key}`, value);
  }
  return problems.count === before;
}

/** Checks a label selector as the API server would. @internal */
export function checkLabelSelector(problems: Problems, prop: string, selector: any): void {
  if (selector === null || typeof selector !== 'object') {
    problems.add(prop, selector, 'expected a label selector ({ matchLabels?, matchExpressions? })');
    return;
  }
  checkLabels(problems, `${prop}.matchLabels`, selector.matchLabels ?? {}, false);
  checkList<any>(problems, `${prop}.matchExpressions`, selector.matchExpressions, 'a list of expressions').forEach((e, i) => {
    const at = `${prop}.matchExpressions[${i}]`;
    checkLabelKey(problems, `${at}.key`, e?.key);
    if (!SELECTOR_OPERATORS.includes(e?.operator)) {
      problems.add(`${at}.operator`, e?.operator, `expected one of ${SELECTOR_OPERATORS.join(', ')}`);
    } else if (e.operator === 'In' || e.operator === 'NotIn') {
      if (!Array.isArray(e.values) || e.values.length === 0) problems.add(`${at}.values`, e.values, `expected at least one value with ${e.operator}`);
      (Array.isArray(e.values) ? e.values : []).forEach((v: unknown, j: number) => checkLabelValue(problems, `${at}.values[${j}]`, v));
    } else if (e.values && e.values.length > 0) {
      problems.add(`${at}.values`, e.values, `expected no values with ${e.operator}`);
    }
  });
}

const ENUM_VALUES = new WeakMap<object, ReadonlySet<string>>();

/** Whether `value` is one of an enum's values. @internal */
export function isEnumValue<T extends string>(enumObject: { [key: string]: T }, value: unknown): value is T {
  let values = ENUM_VALUES.get(enumObject);
  if (values === undefined) {
    values = new Set<string>(Object.values(enumObject));
    ENUM_VALUES.set(enumObject, values);
  }
  return typeof value === 'string' && values.has(value);
}

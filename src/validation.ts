import { k8s } from 'cdk8s-plus-27';
import { GoRemoteValidationError } from './errors';

/**
 * Renders a received value for an error message: strings are JSON-quoted so that newlines and other
 * invisible characters show.
 */
export function show(value: unknown): string {
  // Whatever the prop, a pasted private key is never repeated in an error message (which ends up in CI logs).
  if (typeof value === 'string' && /PRIVATE KEY/.test(value)) return JSON.stringify('<a private key, not shown>');
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);
  }
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/**
 * Collects every problem in a set of props, then throws them all at once as one GoRemoteValidationError.
 * @internal
 */
export class Problems {
  private readonly list: string[] = [];

  /** Records "'prop' is <value>, <why>". */
  public add(prop: string, value: unknown, expected: string): void {
    this.list.push(`'${prop}' is ${show(value)}; ${expected}`);
  }

  public get count(): number {
    return this.list.length;
  }

  public throwIfAny(): void {
    if (this.list.length > 0) {
      throw new GoRemoteValidationError([...this.list]);
    }
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// C0 controls, DEL and the Unicode line and paragraph separators: anything that could start a new line
// in an INI file, sshd_config or a shell, or hide in a terminal.
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

/** @internal */
export function isDnsLabel(value: string, maxLen = 63): boolean {
  return value.length <= maxLen && DNS_LABEL.test(value);
}

/** @internal */
export function checkDnsLabel(problems: Problems, prop: string, value: string, maxLen = 63): void {
  if (!isDnsLabel(value, maxLen)) {
    problems.add(prop, value, `expected a DNS-1123 label: at most ${maxLen} lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
}

/** @internal */
export function checkDns1035Label(problems: Problems, prop: string, value: string, maxLen = 63): void {
  if (value.length > maxLen || !DNS_1035_LABEL.test(value)) {
    problems.add(prop, value, `expected a DNS-1035 label: at most ${maxLen} lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`);
  }
}

/** @internal */
export function checkDnsSubdomain(problems: Problems, prop: string, value: string): void {
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    problems.add(prop, value, 'expected a DNS-1123 subdomain: at most 253 lower-case letters, digits, \'-\' and \'.\'');
  }
}

/** True when the string holds a character that could break a line-oriented file or a terminal. @internal */
export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/** Names the first control character and where it is, e.g. 'U+000A (a newline) at character 81'. @internal */
export function describeControlCharacter(value: string): string {
  const at = value.search(CONTROL);
  const code = value.charCodeAt(at);
  const what = code === 10 ? ' (a newline)' : code === 13 ? ' (a carriage return)' : code === 9 ? ' (a tab)' : '';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${what} at character ${at + 1}`;
}

/** @internal */
export function checkNoControlCharacters(problems: Problems, prop: string, value: string): boolean {
  if (hasControlCharacter(value)) {
    problems.add(prop, value, `expected no newline, carriage return, tab or other control character, found ${describeControlCharacter(value)}`);
    return false;
  }
  return true;
}

/** @internal */
export function checkPort(problems: Problems, prop: string, value: number): boolean {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    problems.add(prop, value, 'expected a whole number from 1 to 65535');
    return false;
  }
  return true;
}

/** @internal */
export function checkAbsolutePath(problems: Problems, prop: string, value: string): boolean {
  if (!checkNoControlCharacters(problems, prop, value)) return false;
  if (!value.startsWith('/') || value.split('/').some(part => part === '..')) {
    problems.add(prop, value, 'expected an absolute path without \'..\' segments');
    return false;
  }
  return true;
}

// Kubernetes resource.Quantity, as the API server parses it.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** @internal */
export function checkQuantity(problems: Problems, prop: string, value: string): void {
  if (!QUANTITY.test(value) || value.startsWith('-')) {
    problems.add(prop, value, 'expected a non-negative Kubernetes quantity such as \'500m\', \'2\', \'1Gi\' or \'512Mi\'');
  }
}

// IPv4 or IPv6 CIDR, as loadBalancerSourceRanges takes them.
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+(:(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})?\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

/** @internal */
export function checkCidr(problems: Problems, prop: string, value: string): void {
  const ipv6Ok = IPV6_CIDR.test(value) && value.includes(':') && (value.match(/::/g) ?? []).length <= 1;
  if (!IPV4_CIDR.test(value) && !ipv6Ok) {
    problems.add(prop, value, 'expected an IPv4 or IPv6 CIDR such as \'203.0.113.0/24\'');
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** @internal */
export function checkEnvName(problems: Problems, prop: string, value: string): boolean {
  if (!ENV_NAME.test(value)) {
    problems.add(prop, value, 'expected an environment variable name: letters, digits and \'_\', not starting with a digit');
    return false;
  }
  return true;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Checks a label key (`[prefix/]name`). @internal */
export function checkLabelKey(problems: Problems, prop: string, key: string): boolean {
  const slash = typeof key === 'string' ? key.indexOf('/') : -1;
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  if (typeof name !== 'string' || name.length > 63 || !LABEL_NAME.test(name)) {
    problems.add(prop, key, 'expected a label key such as \'app\' or \'app.kubernetes.io/name\': an optional DNS subdomain and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
    return false;
  }
  if (prefix !== undefined) {
    const before = problems.count;
    checkDnsSubdomain(problems, `${prop} (prefix of the key)`, prefix);
    return problems.count === before;
  }
  return true;
}

/** Checks a label value. @internal */
export function checkLabelValue(problems: Problems, prop: string, value: string): boolean {
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
    problems.add(prop, value, 'expected a label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
    return false;
  }
  return true;
}

/** Checks a map of labels; `nonEmpty` refuses `{}`, which would select everything. @internal */
export function checkLabels(problems: Problems, prop: string, labels: { [key: string]: string }, nonEmpty: boolean): void {
  if (labels === null || typeof labels !== 'object') {
    problems.add(prop, labels, 'expected a map of labels');
    return;
  }
  if (nonEmpty && Object.keys(labels).length === 0) {
    problems.add(prop, labels, 'expected at least one label: an empty selector selects everything');
  }
  for (const [key, value] of Object.entries(labels)) {
    if (checkLabelKey(problems, prop, key)) checkLabelValue(problems, `${prop}.${key}`, value);
  }
}

/** Checks a label selector as the API server would. @internal */
export function checkLabelSelector(problems: Problems, prop: string, selector: k8s.LabelSelector): void {
  checkLabels(problems, `${prop}.matchLabels`, selector.matchLabels ?? {}, false);
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${prop}.matchExpressions[${i}]`;
    checkLabelKey(problems, `${at}.key`, e.key);
    if (!SELECTOR_OPERATORS.includes(e.operator)) {
      problems.add(`${at}.operator`, e.operator, `expected one of ${SELECTOR_OPERATORS.join(', ')}`);
    } else if (e.operator === 'In' || e.operator === 'NotIn') {
      if (!e.values || e.values.length === 0) problems.add(`${at}.values`, e.values, `expected at least one value with ${e.operator}`);
      (e.values ?? []).forEach((v, j) => checkLabelValue(problems, `${at}.values[${j}]`, v));
    } else if (e.values && e.values.length > 0) {
      problems.add(`${at}.values`, e.values, `expected no values with ${e.operator}`);
    }
  });
}

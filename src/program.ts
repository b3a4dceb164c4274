import { RESERVED_PROGRAM_NAMES, SSH_PORT } from './contract';
import { Problems } from './errors';
import { PYTHON_SPACE, checkAbsolutePath, checkEnvName, checkPort, checkSafeText, checkStringMap, isEnumValue } from './validation';

/**
 * When supervisord restarts a program that exited.
 * @see http://supervisord.org/configuration.html#program-x-section-values
 */
export enum AutoRestart {
  /** Always restart it. */
  ALWAYS = 'true',
  /** Never restart it. */
  NEVER = 'false',
  /** Restart it only when it exits with a code not listed as expected (supervisord's own default). */
  UNEXPECTED = 'unexpected',
}

/**
 * A program that supervisord runs beside sshd in the environment: a server under development, a headless
 * delve, a webhook.
 */
export interface Program {
  /**
   * The program's name: its supervisord section (`[program:<name>]`) and, with a `port`, the name of that
   * port on the container and the Service.
   *
   * Lower-case letters, digits and '-', at most 15 characters, starting with a letter (an IANA service name,
   * which Kubernetes requires of port names). `sshd` is reserved.
   */
  readonly name: string;

  /**
   * The command line supervisord starts, split into words the way a POSIX shell would split them but not
   * run by a shell: write `bash -c '...'` when you need one. `%` is literal.
   *
   * Shell syntax (`&&`, `|`, `>`, `$VAR`, globs, `~`) is refused, since no shell would read it; quotes and
   * backslashes work as in a shell.
   *
   * @example 'dlv debug --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient ./cmd/manager'
   */
  readonly command: string;

  /**
   * The TCP port the program listens on. It is declared on the container and reached through the SSH tunnel
   * (`ssh -L`, what the generated launch.json uses); the Service publishes it only with `expose: true`.
   *
   * @default - no port
   */
  readonly port?: number;

  /**
   * Whether the environment's Service publishes `port`. A port published by a Service that admits any source
   * (a `NodePort`, or a load balancer without `sourceRanges`) is refused unless `exposeToAnySource` is set too; a
   * port that the environment's or the fleet's NetworkPolicy would block is refused.
   *
   * @default false - reached through the SSH tunnel only
   */
  readonly expose?: boolean;

  /**
   * Publish the port even though the Service admits any source address (a `NodePort`, or a load balancer
   * without `sourceRanges`). A program without authentication of its own published this way (a headless delve:
   * remote code execution) can be used by anyone who reaches the address.
   *
   * @default false - an exposed port needs source ranges or a NetworkPolicy rule for the program
   */
  readonly exposeToAnySource?: boolean;

  /**
   * The working directory (absolute).
   *
   * @default - the git checkout when a repository is declared, else the workspace (`/workspace`)
   */
  readonly directory?: string;

  /**
   * Environment variables for this program only, on top of the environment's own.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Whether supervisord starts the program with the container.
   *
   * @default true
   */
  readonly autostart?: boolean;

  /**
   * When supervisord restarts the program after it exits.
   *
   * @default AutoRestart.UNEXPECTED
   */
  readonly autorestart?: AutoRestart;

  /**
   * Seconds the program must stay up to count as started.
   *
   * @default 1
   */
  readonly startSeconds?: number;
}

const PROGRAM_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

// supervisord reads its file with Python's configparser, where whitespace (Python's: str.isspace, not JavaScript's
// \s) followed by ';' or '#' starts an inline comment that silently cuts the value, and which strips whitespace at
// either end of a value. There is no escape for either.
const INLINE_COMMENT = new RegExp(`[${PYTHON_SPACE}][;#]`);
const EDGE_SPACE = new RegExp(`^[${PYTHON_SPACE}]|[${PYTHON_SPACE}]$`);

/**
 * Checks a string that will be written as a supervisord value: one line, and nothing configparser would
 * cut off as a comment.
 * @internal
 */
export function checkSupervisordValue(problems: Problems, prop: string, value: unknown, wholeValue = true): boolean {
  if (!checkSafeText(problems, prop, value)) return false;
  if (INLINE_COMMENT.test(value)) {
    problems.add(prop, value, 'expected no \';\' or \'#\' after a space: supervisord would read the rest of the line as a comment; remove the space or wrap the command in a script');
    return false;
  }
  if (wholeValue && EDGE_SPACE.test(value)) {
    problems.add(prop, value, 'expected no space at either end: supervisord strips it');
    return false;
  }
  return true;
}

/**
 * Finds what a shell would read as shell syntax in a command that supervisord splits with Python's shlex (POSIX
 * mode) and runs without a shell: quotes and backslashes mean the same to both, but an operator (`&&`, `|`, `;`,
 * `>`), an expansion (`$VAR`, `$(...)`, a backquote, `~`), a glob or a comment would be passed to the program as
 * arguments, and an unterminated quote makes supervisord refuse its whole configuration. Returns what was found
 * and where, or undefined.
 * @internal
 */
export function shellSyntaxIn(command: string): string | undefined {
  let quote: '\'' | '"' | undefined;
  let wordStart = true;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    const at = ` at character ${i + 1}`;
    if (quote === '\'') {
      if (c === '\'') quote = undefined;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '$' || c === '`') return `'${c}' (an expansion, even inside double quotes)${at}`;
      else if (c === '\\') i++;
    } else if (c === '\'' || c === '"') {
      quote = c;
    } else if (c === '\\') {
      if (i === command.length - 1) return `a '\\' at the end${at}`;
      i++;
    } else if ('|&;<>()'.includes(c)) {
      const op = /^(&&|\|\||>>|<<|[|&;<>()])/.exec(command.slice(i))![0];
      return `'${op}' (an operator)${at}`;
    } else if (c === '$' || c === '`') {
      return `'${c}' (an expansion)${at}`;
    } else if ('*?['.includes(c)) {
      return `'${c}' (a glob)${at}`;
    } else if (wordStart && (c === '~' || c === '#')) {
      return `'${c}' (${c === '~' ? 'a home directory expansion' : 'a comment'})${at}`;
    } else if (c === '{' && /^\{[^{}\s]*(,|\.\.)[^{}\s]*\}/.test(command.slice(i))) {
      return `'{' (a brace expansion)${at}`;
    }
    wordStart = quote === undefined && (c === ' ' || c === '\t');
  }
  return quote === undefined ? undefined : `an unterminated ${quote === '"' ? 'double' : 'single'} quote`;
}

/** A string as one single-quoted shell word. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * Validates every program, including the cross-program rules (unique names, unique ports, SSH's port).
 * @internal
 */
export function validatePrograms(problems: Problems, programs: unknown): Program[] {
  if (programs === undefined) return [];
  if (!Array.isArray(programs)) {
    problems.add('programs', programs, 'expected a list of Program');
    return [];
  }
  const names = new Map<string, number>();
  const ports = new Map<number, number>();
  programs.forEach((program: Program, i) => {
    const at = `programs[${i}]`;
    if (program === null || typeof program !== 'object') {
      problems.add(at, program, 'expected a Program ({ name, command, port?, ... })');
      return;
    }
    const name = program.name;
    if (typeof name !== 'string' || name.length > 15 || !PROGRAM_NAME.test(name) || name.includes('--')) {
      problems.add(`${at}.name`, name, 'expected at most 15 lower-case letters, digits and \'-\', starting with a letter, ending with a letter or digit, without \'--\' (a supervisord section and Kubernetes port name)');
    } else if (RESERVED_PROGRAM_NAMES.has(name)) {
      problems.add(`${at}.name`, name, 'is reserved for the environment\'s own processes; choose another name');
    } else if (names.has(name)) {
      problems.add(`${at}.name`, name, `expected a unique name; programs[${names.get(name)}] already uses it`);
    } else {
      names.set(name, i);
    }
    if (typeof program.command !== 'string' || program.command.trim() === '') {
      problems.add(`${at}.command`, program.command, 'expected a non-empty command line');
    } else if (checkSupervisordValue(problems, `${at}.command`, program.command)) {
      const syntax = shellSyntaxIn(program.command);
      if (syntax !== undefined) {
        problems.add(`${at}.command`, program.command, `expected a command without shell syntax, found ${syntax}: supervisord runs it without a shell (only quotes and backslashes work as in a shell); to run a shell, make it the command: bash -c ${shellQuote(program.command)}`);
      }
    }
    if (program.port !== undefined && checkPort(problems, `${at}.port`, program.port)) {
      if (program.port === SSH_PORT) {
        problems.add(`${at}.port`, program.port, 'which is reserved for SSH; choose another port');
      } else if (ports.has(program.port)) {
        problems.add(`${at}.port`, program.port, `expected a unique port; programs[${ports.get(program.port)}] already uses it`);
      } else {
        ports.set(program.port, i);
      }
    }
    if (program.expose !== undefined && program.port === undefined) {
      problems.add(`${at}.expose`, program.expose, 'has no effect without a port; set \'port\' or remove \'expose\'');
    }
    if (program.directory !== undefined && checkAbsolutePath(problems, `${at}.directory`, program.directory)) {
      checkSupervisordValue(problems, `${at}.directory`, program.directory);
    }
    for (const [key, value] of checkStringMap(problems, `${at}.environment`, program.environment, 'a map of variables')) {
      const prop = `${at}.environment.${key}`;
      checkEnvName(problems, `${at}.environment`, key);
      if (!checkSupervisordValue(problems, prop, value, false)) continue;
      // supervisord parses environment=K="v",... with a non-POSIX shlex: a double quote cannot be
      // escaped, and quotes at either end are stripped.
      if ((value as string).includes('"') || /^'|'$/.test(value as string)) {
        problems.add(prop, value, 'expected no double quote, and no single quote at either end: supervisord cannot carry them in an environment value');
      }
    }
    if (program.startSeconds !== undefined && (!Number.isInteger(program.startSeconds) || program.startSeconds < 0)) {
      problems.add(`${at}.startSeconds`, program.startSeconds, 'expected a whole number of seconds, 0 or more');
    }
    if (program.autorestart !== undefined && !isEnumValue(AutoRestart, program.autorestart)) {
      problems.add(`${at}.autorestart`, program.autorestart, `expected one of AutoRestart.${Object.keys(AutoRestart).join(', AutoRestart.')}`);
    }
  });
  return programs;
}

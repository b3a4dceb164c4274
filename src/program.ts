import { RESERVED_PROGRAM_NAMES, SSH_PORT } from './contract';
import { Problems } from './errors';
import { checkAbsolutePath, checkEnvName, checkPort, checkSafeText, checkStringMap, isEnumValue } from './validation';

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
   * @example 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient ./cmd/manager'
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

// supervisord reads its file with Python's configparser, where whitespace followed by ';' or '#' starts an
// inline comment that silently cuts the value. There is no escape for it.
const INLINE_COMMENT = /\s[;#]/;

/**
 * Checks a string that will be written as a supervisord value: one line, and nothing configparser would
 * cut off as a comment.
 * @internal
 */
export function checkSupervisordValue(problems: Problems, prop: string, value: unknown): boolean {
  if (!checkSafeText(problems, prop, value)) return false;
  if (INLINE_COMMENT.test(value)) {
    problems.add(prop, value, 'expected no \';\' or \'#\' after a space: supervisord would read the rest of the line as a comment; remove the space or wrap the command in a script');
    return false;
  }
  return true;
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
    } else {
      checkSupervisordValue(problems, `${at}.command`, program.command);
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
      if (!checkSupervisordValue(problems, prop, value)) continue;
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

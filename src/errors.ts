import { escapeUnsafe } from './safe-text';

/**
 * One problem of some input: where (`'programs[1].port'`), what was received, and what is expected. The resolve
 * step collects them; constructs throw them as one `GoRemoteValidationError`; the fleet moves them to its own
 * props by their path.
 * @internal
 */
export interface Problem {
  /** The prop, as a path from the props object: `git.url`, `programs[1].port`. */
  readonly path: string;
  /** The value received (shown JSON-quoted, private keys redacted). */
  readonly received: unknown;
  /** What is expected, or why the value is refused. */
  readonly expected: string;
}

/** A private key, whatever its format (PEM, OpenSSH). */
const PRIVATE_KEY = /PRIVATE KEY/;

/** Whether a value is, or holds, a private key: it is never repeated in a message (which ends up in CI logs). @internal */
export function holdsPrivateKey(value: unknown): boolean {
  return typeof value === 'string' && PRIVATE_KEY.test(value);
}

/**
 * Renders a received value for an error message: strings are JSON-quoted so that newlines and other invisible
 * characters show, long ones shortened, private keys never shown.
 * @internal
 */
export function show(value: unknown): string {
  if (holdsPrivateKey(value)) return JSON.stringify('<a private key, not shown>');
  if (typeof value === 'string') {
    return escapeUnsafe(JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value));
  }
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return escapeUnsafe(String(value));
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value); // a cycle, a throwing toJSON or getter
  }
  return escapeUnsafe(text);
}

/**
 * `'<path>' is <received>; <expected>`, every part escaped (JSON-style `\uXXXX`): a newline or bidi control in
 * a refused value, or in a map key that became part of the path, cannot forge or reorder a line of the message.
 * @internal
 */
export function formatProblem(problem: Problem): string {
  return `'${escapeUnsafe(problem.path)}' is ${show(problem.received)}; ${escapeUnsafe(problem.expected)}`;
}

/**
 * Collects every problem of some input, to be reported all at once.
 * @internal
 */
export class Problems {
  private readonly items: Problem[] = [];

  /** Records "'path' is <received>; <expected>". */
  public add(path: string, received: unknown, expected: string): void {
    this.items.push({ path, received, expected });
  }

  /** Records problems found elsewhere, as they are. */
  public addAll(problems: readonly Problem[]): void {
    this.items.push(...problems);
  }

  public get count(): number {
    return this.items.length;
  }

  public get list(): readonly Problem[] {
    return this.items;
  }

  /** Throws every problem as one GoRemoteValidationError, if there is any. */
  public throwIfAny(): void {
    if (this.items.length > 0) throw new GoRemoteValidationError([...this.items]);
  }
}

/**
 * The one error type for input that `GoRemoteEnvironment` cannot turn into valid manifests.
 *
 * Thrown at construction, before any Kubernetes object of the environment exists, so nothing is emitted
 * half-way. The message lists every problem found, each naming the prop, the value received and what is
 * expected: `'programs[1].port' is 2222, which is reserved for SSH; choose another port`.
 *
 * jsii cannot carry a subclass of `Error` to other languages, so the class itself is internal; test for it
 * with `ValidationErrors.isValidationError(e)`.
 * @internal
 */
export class GoRemoteValidationError extends Error {
  /** Every problem found, one sentence each. */
  public readonly problems: string[];
  /** Every problem found, by path. */
  public readonly details: readonly Problem[];

  constructor(details: readonly Problem[]) {
    const problems = details.map(formatProblem);
    super(problems.length === 1
      ? problems[0]
      : `${problems.length} problems:\n${problems.map(p => `- ${p}`).join('\n')}`);
    this.name = 'GoRemoteValidationError';
    this.problems = problems;
    this.details = details;
    Object.setPrototypeOf(this, GoRemoteValidationError.prototype);
  }
}

/**
 * Recognises the errors `GoRemoteEnvironment` and `GoRemoteFleet` throw for bad input.
 */
export class ValidationErrors {
  /** Whether `error` is a validation error of this library (its `name` is `GoRemoteValidationError`). */
  public static isValidationError(error: any): boolean {
    return error instanceof GoRemoteValidationError;
  }

  /** The problems a validation error lists, one sentence each; empty for any other value. */
  public static problemsOf(error: any): string[] {
    return error instanceof GoRemoteValidationError ? [...error.problems] : [];
  }

  private constructor() {}
}

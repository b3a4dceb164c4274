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

  constructor(problems: string[]) {
    super(problems.length === 1
      ? problems[0]
      : `${problems.length} problems:\n${problems.map(p => `- ${p}`).join('\n')}`);
    this.name = 'GoRemoteValidationError';
    this.problems = problems;
    Object.setPrototypeOf(this, GoRemoteValidationError.prototype);
  }
}

/**
 * Recognises the errors `GoRemoteEnvironment` throws for bad input.
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

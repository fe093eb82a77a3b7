import { OptionValueError } from '../contract.js';

/**
 * Thrown by structured specs (lists, objects) that found more than one bad value, so that the
 * operator sees every mistake in one run rather than one per attempt.
 */
export class OptionValueErrors extends Error {
  constructor(readonly errors: readonly OptionValueError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'OptionValueErrors';
  }
}

/** A field of an object option that its schema does not know. */
export class UnknownFieldError extends OptionValueError {
  constructor(
    path: readonly (string | number)[],
    readonly suggestion: string | undefined,
  ) {
    super(path, undefined, 'no such field');
    this.name = 'UnknownFieldError';
    this.message = suggestion ? `unknown field (did you mean "${suggestion}"?)` : 'unknown field';
  }
}

/** Flattens whatever a spec's `parse` threw into value errors; anything else is rethrown. */
export function valueErrorsOf(err: unknown): readonly OptionValueError[] {
  if (err instanceof OptionValueErrors) return err.errors;
  if (err instanceof OptionValueError) return [err];
  throw err;
}

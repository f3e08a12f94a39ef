/**
 * The one error type of the domain layer. The HTTP layer maps `code` to a status
 * (src/http/errors.ts); every code has a row in docs/errors.md.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found.`);

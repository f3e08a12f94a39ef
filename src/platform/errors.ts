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

/** `['definition', 'all', 2, 'op']` → `definition.all[2].op`, the path form of API.md's error details. */
export function pathString(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number' || /^\d+$/.test(String(s))) out += `[${String(s)}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out;
}

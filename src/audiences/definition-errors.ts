import { AppError, pathString } from '../platform/errors.ts';

/** A location inside the request body, e.g. ['definition', 'all', 2, 'op']. */
export type Path = (string | number)[];

/** A definition that does not fit (an operator for another type, a bad value): 400 naming the path. */
export function invalid(path: Path, message: string): never {
  throw new AppError('validation_failed', 'The segment definition is not valid.', [{ path: pathString(path), message }]);
}

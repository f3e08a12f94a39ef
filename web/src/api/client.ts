/** One field error of the API's error body (`{"path":"schedule.at","message":"..."}`). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** A non-2xx answer of the API, carrying its `error` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type UnauthorizedListener = () => void;
let onUnauthorized: UnauthorizedListener | null = null;

/** The layout registers where a 401 sends the operator (the login page). */
export function setUnauthorizedHandler(fn: UnauthorizedListener | null): void {
  onUnauthorized = fn;
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: ErrorDetail[] };
}

async function parseError(res: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // Not JSON (a proxy page, a crash): fall back to the status line.
  }
  const e = body.error ?? {};
  return new ApiError(res.status, e.code ?? 'http_error', e.message ?? `${res.status} ${res.statusText}`, e.details ?? []);
}

export interface RequestOptions {
  /** A 401 from this call is an answer for the caller (the login form), not a lost session. */
  authCall?: boolean;
  signal?: AbortSignal;
}

/** Calls the API with the session cookie; JSON in, JSON out; throws ApiError on non-2xx. */
export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: opts.signal,
  });
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401 && !opts.authCall) onUnauthorized?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * A file the API answers (CSV exports) as a Blob with its headers (x-masked, content-disposition).
 * Same session cookie, errors and 401 handling as `request`: fetched rather than linked, so an
 * error shows in the page instead of replacing the console with a JSON body.
 */
export async function requestFile(path: string, signal?: AbortSignal): Promise<{ blob: Blob; headers: Headers }> {
  const res = await fetch(path, { method: 'GET', credentials: 'same-origin', signal });
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401) onUnauthorized?.();
    throw err;
  }
  return { blob: await res.blob(), headers: res.headers };
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, { signal }),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? {}, opts),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
};

/** `?a=1&b=x` from the defined entries only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

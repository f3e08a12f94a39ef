import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { AppError, pathString as toPath, type ErrorDetail } from '../platform/errors.ts';

/** The only place codes become statuses. Every code here has a row in docs/errors.md. */
export const statusOf: Record<string, number> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  invalid_state: 409,
  idempotency_conflict: 409,
  idempotency_in_progress: 409,
  approver_required: 409,
  template_not_approved: 409,
  segment_sql_invalid: 400,
  segment_sql_timeout: 400,
  segment_sql_unavailable: 503,
  payload_too_large: 413,
  unsupported_media_type: 415,
  bad_request: 400,
  invalid_token: 400,
  link_expired: 410,
  provider_credentials_unreadable: 500,
  out_of_stock: 409,
  user_limit_reached: 409,
  daily_limit_reached: 409,
  outside_claim_window: 409,
  blacklisted: 409,
  budget_exhausted: 409,
  not_eligible: 409,
  not_applicable: 409,
  expired: 409,
  already_redeemed: 409,
  not_owner: 409,
  no_chances: 409,
  not_running: 409,
  insufficient_points: 409,
  killed: 409,
  rate_limited: 429,
  internal_error: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export const errorBody = (code: string, message: string, details: ErrorDetail[] = []): ErrorBody => ({
  error: { code, message, details },
});

/** Zod issues → one detail per bad field; an unknown key is its own entry naming the key. */
export function zodDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }>, prefix: PropertyKey[] = []): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const k of issue.keys) out.push({ path: toPath([...prefix, ...issue.path, k]), message: 'Unknown field.' });
    } else {
      out.push({ path: toPath([...prefix, ...issue.path]) || '(root)', message: issue.message });
    }
  }
  return out;
}

export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    const status = statusOf[err.code] ?? 400;
    void reply.status(status).send(errorBody(err.code, err.message, err.details));
    return;
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext;
    const details = err.validation.flatMap((v) => {
      const issue = v.params as { keys?: string[] };
      const path = v.instancePath.split('/').filter(Boolean);
      const ctx = where && where !== 'body' ? [where] : [];
      return zodDetails([{ path, message: v.message ?? 'Invalid value.', code: v.keyword, keys: issue.keys }], ctx);
    });
    void reply.status(400).send(errorBody('validation_failed', 'The request is not valid; see details for each field.', details));
    return;
  }
  if (err instanceof ZodError) {
    void reply.status(400).send(errorBody('validation_failed', 'The request is not valid; see details for each field.', zodDetails(err.issues)));
    return;
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.statusCode === 400 && fe instanceof SyntaxError)) {
    void reply.status(400).send(errorBody('invalid_json', 'The request body is not valid JSON.'));
    return;
  }
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    void reply.status(400).send(errorBody('invalid_json', 'The request body is empty but JSON was declared.'));
    return;
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    void reply.status(413).send(errorBody('payload_too_large', 'The request body is too large.'));
    return;
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.statusCode === 415) {
    void reply.status(415).send(errorBody('unsupported_media_type', 'Send JSON with Content-Type: application/json.'));
    return;
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send(errorBody('bad_request', 'The request could not be processed.'));
    return;
  }
  // Unknown failure: log everything, answer nothing internal (no stack, no SQL).
  req.log.error({ err }, 'unhandled error');
  void reply.status(500).send(errorBody('internal_error', `Something went wrong on our side; quote request id ${req.id}.`));
}

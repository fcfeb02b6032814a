/**
 * The error taxonomy's HTTP face: the one place where a domain error code (lib/errors.ts) becomes a status,
 * and where an error becomes what a client may see of it.
 */
import { AppError, type ErrorCode } from '../errors.js';

export const ERROR_STATUS: Record<ErrorCode, number> = {
  EmptyResponse: 204,
  IncorrectSignature: 400,
  SqlError: 400,
  HostNotAllowed: 400,
  PrivilegedRole: 400,
  Unauthorized: 401,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  QuotaExceeded: 429,
  ConnectorError: 502,
  LlmError: 502,
  LlmNotConfigured: 503,
  QueryTimeout: 504,
  Timeout: 504,
  Interrupted: 500,
  Shutdown: 503,
  Internal: 500,
};

export interface ErrorPayload {
  code: string;
  message: string;
  [key: string]: unknown;
}

/**
 * What the client may see of an error, and the headers that go with it. Anything that is not an AppError
 * is reported as a generic Internal error: its message may hold connection strings, SQL or stack details.
 * A `retryAfterS` detail (the limits' 429s) is also sent as `Retry-After`.
 */
export function describeError(
  err: unknown,
  requestId?: string,
): { status: number; error: ErrorPayload; headers: Record<string, string> } {
  if (err instanceof AppError && err.code !== 'Internal') {
    const retryAfterS = err.details?.retryAfterS;
    return {
      status: ERROR_STATUS[err.code],
      error: { ...err.details, code: err.code, message: err.message },
      headers:
        typeof retryAfterS === 'number' && Number.isFinite(retryAfterS)
          ? { 'retry-after': String(Math.max(0, Math.ceil(retryAfterS))) }
          : {},
    };
  }
  const suffix = requestId ? ` (request id ${requestId})` : '';
  return { status: 500, error: { code: 'Internal', message: `Internal error${suffix}` }, headers: {} };
}

/** The status an AppError is answered with. */
export const statusOf = (err: AppError): number => ERROR_STATUS[err.code];

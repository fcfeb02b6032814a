/**
 * The domain's one error type. Every failure a route can report is an AppError with a code from this list;
 * the HTTP layer (lib/http/errors.ts) alone decides which status each code gets. Domain code (store,
 * postgres, model, crypto, net) throws these without knowing about HTTP.
 */
export const ERROR_CODES = [
  'EmptyResponse',
  'IncorrectSignature', // malformed or invalid request (bad JSON, a field that fails validation, bad event)
  'SqlError', // PostgreSQL rejected the SQL, or Semaia refused it before it reached the server
  'HostNotAllowed', // the connector's host is refused by the outbound network guard
  'PrivilegedRole', // the connector's role can act outside read-only SQL (superuser, server files...)
  'Unauthorized',
  'NotFound', // also for resources of another user: never reveal that they exist
  'MethodNotAllowed',
  'Conflict',
  'PayloadTooLarge',
  'TooManyRequests', // a per-user or per-connector limit; `limit` names it, Retry-After says when
  'QuotaExceeded', // the daily model-token budget is spent; `resetAt` says when it renews
  'ConnectorError', // the user's database could not be reached, refused the login, failed TLS, or misbehaved
  'LlmError', // the model provider failed
  'LlmNotConfigured',
  'QueryTimeout', // statement_timeout cancelled the user's SQL
  'Timeout', // the function ran out of time
  'Interrupted', // the invocation writing a reply died before finishing it
  'Shutdown', // the local server stopped while the reply was being written
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra fields sent to the client next to code and message (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const isAppError = (err: unknown, code?: ErrorCode): err is AppError =>
  err instanceof AppError && (code === undefined || err.code === code);

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError('IncorrectSignature', message, details);
export const notFound = (what: string) => new AppError('NotFound', `${what} not found`);

/**
 * Failures that are part of normal operation, not defects of ours: the caller's input (every 4xx), the
 * user's own database or the model being unavailable, a limit. Logged at warn without a stack.
 */
const EXPECTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'EmptyResponse',
  'IncorrectSignature',
  'SqlError',
  'HostNotAllowed',
  'PrivilegedRole',
  'Unauthorized',
  'NotFound',
  'MethodNotAllowed',
  'Conflict',
  'PayloadTooLarge',
  'TooManyRequests',
  'QuotaExceeded',
  'ConnectorError',
  'LlmNotConfigured',
  'QueryTimeout',
  'Timeout',
  'Shutdown',
]);

export const isExpectedFailure = (err: unknown): boolean => err instanceof AppError && EXPECTED.has(err.code);

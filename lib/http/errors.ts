/**
 * The one error taxonomy of the API. Every failure a route can report is an AppError with a code;
 * the code decides the HTTP status here and nowhere else.
 */
export const ERROR_STATUS = {
  EmptyResponse: 204,
  IncorrectSignature: 400, // malformed or invalid request (bad JSON, a field that fails validation, bad event)
  SqlError: 400, // PostgreSQL rejected the SQL (syntax, read-only violation, unknown column...)
  HostNotAllowed: 400, // the connector's host is refused by the outbound network guard
  Unauthorized: 401,
  NotFound: 404, // also for resources of another user: never reveal that they exist
  MethodNotAllowed: 405,
  Conflict: 409,
  PayloadTooLarge: 413,
  ConnectorError: 502, // the user's database could not be reached, refused the login, or failed TLS
  LlmError: 502, // the model provider failed
  LlmNotConfigured: 503,
  QueryTimeout: 504, // statement_timeout cancelled the user's SQL
  Timeout: 504, // the function ran out of time
  Internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export interface ErrorPayload {
  code: string;
  message: string;
  [key: string]: unknown;
}

/**
 * What the client may see of an error. Anything that is not an AppError is reported as a generic
 * Internal error: its message may hold connection strings, SQL or stack details.
 */
export function describeError(err: unknown, requestId?: string): { status: number; error: ErrorPayload } {
  if (err instanceof AppError && err.code !== 'Internal') {
    return { status: err.status, error: { ...err.details, code: err.code, message: err.message } };
  }
  const suffix = requestId ? ` (request id ${requestId})` : '';
  return { status: 500, error: { code: 'Internal', message: `Internal error${suffix}` } };
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError('IncorrectSignature', message, details);
export const notFound = (what: string) => new AppError('NotFound', `${what} not found`);

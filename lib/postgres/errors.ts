/**
 * Maps what `pg`, the socket or TLS throw to the API's errors, with messages that say what happened and
 * never contain the password or the connection string.
 */
import { AppError } from '../errors.js';

export type ConnectReason = 'unreachable' | 'auth' | 'tls' | 'timeout' | 'database' | 'protocol';

interface PgLikeError {
  message?: string;
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  severity?: string;
}

const asErr = (err: unknown): PgLikeError => (err && typeof err === 'object' ? (err as PgLikeError) : {});

/** A PostgreSQL server error (SQLSTATE code), as opposed to a socket or client error. */
export const isServerError = (err: unknown): boolean =>
  typeof asErr(err).code === 'string' &&
  /^[0-9A-Z]{5}$/.test(asErr(err).code!) &&
  asErr(err).severity !== undefined;

export const formatSeconds = (ms: number): string => {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
};

export const connectorError = (reason: ConnectReason, message: string) =>
  new AppError('ConnectorError', message, { reason });

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH)/;

/** Errors while opening the connection (TCP, TLS, authentication, startup). */
export function mapConnectError(err: unknown, target: string, connectTimeoutMs: number): AppError {
  if (err instanceof AppError) return err;
  const e = asErr(err);
  const code = e.code ?? '';
  const message = e.message ?? '';
  if (isServerError(err)) {
    if (code === '28P01' || code === '28000') {
      return connectorError('auth', `The database refused the login: ${e.message}`);
    }
    if (code === '3D000') return connectorError('database', `The database does not exist: ${e.message}`);
    if (code === '42501') return connectorError('auth', `The role may not connect: ${e.message}`);
    return connectorError('database', `The database refused the connection: ${e.message}`);
  }
  if (/password must be a (non-empty )?string|no password/i.test(message)) {
    return connectorError('auth', 'The database requires a password and the connector has none');
  }
  if (TLS_CODES.test(code) || /SSL|TLS|certificate/i.test(message)) {
    const why = /does not support SSL/i.test(message)
      ? 'the server does not support TLS (set ssl to "disable" to connect without it)'
      : code && !code.startsWith('ERR_')
        ? `${code}: ${message}`
        : message || code;
    return connectorError('tls', `TLS connection to ${target} failed: ${why}`);
  }
  if (/timeout/i.test(message) || code === 'ETIMEDOUT') {
    return connectorError(
      'timeout',
      `Connecting to ${target} timed out after ${formatSeconds(connectTimeoutMs)}`,
    );
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing listens on that port',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'the connection was reset',
    EPIPE: 'the connection was closed',
  };
  if (reasons[code]) return connectorError('unreachable', `Could not connect to ${target}: ${reasons[code]}`);
  if (/terminated|closed|ended/i.test(message)) {
    return connectorError('unreachable', `The connection to ${target} was closed before it was ready`);
  }
  return connectorError('unreachable', `Could not connect to ${target}`);
}

/** SQLSTATEs of a connection that is gone (class 08 except 08P01, a protocol violation). */
const SESSION_ENDED = new Set(['08000', '08003', '08006', '08001', '08004', '08007']);
const BIND_PARAMETERS = /^bind message supplies \d+ parameters?, but prepared statement "[^"]*" requires \d+/;

/** A statement with placeholders ($1): nothing can bind them. */
export const parametersNotSupported = (details?: Record<string, unknown>) =>
  new AppError(
    'SqlError',
    'Parameters ($1, $2, …) are not supported: write the values into the SQL',
    details,
  );

/** Errors while running SQL on an open connection. */
export function mapQueryError(err: unknown, statementTimeoutMs: number): Error {
  if (err instanceof AppError) return err;
  const e = asErr(err);
  if (isServerError(err)) {
    if (e.code === '57014' && /statement timeout/i.test(e.message ?? '')) {
      return new AppError(
        'QueryTimeout',
        `The query was cancelled after ${formatSeconds(statementTimeoutMs)} (statement timeout)`,
        { pgCode: e.code, timeoutMs: statementTimeoutMs },
      );
    }
    if (e.code === '55P03' && /lock timeout/i.test(e.message ?? '')) {
      return new AppError('QueryTimeout', 'The query was cancelled while waiting for a lock (lock timeout)', {
        pgCode: e.code,
      });
    }
    if (e.code === '42601' && /multiple commands/i.test(e.message ?? '')) {
      return new AppError('SqlError', 'Only one SQL statement can be run at a time', { pgCode: e.code });
    }
    if (e.code === '42P18' || (e.code === '08P01' && BIND_PARAMETERS.test(e.message ?? ''))) {
      return parametersNotSupported({ pgCode: e.code });
    }
    if (e.code === '08P01') {
      return connectorError('protocol', `The database refused the request: ${e.message}`);
    }
    if (SESSION_ENDED.has(e.code!) || /^57P/.test(e.code!) || e.severity === 'FATAL') {
      return connectorError('database', `The database ended the session: ${e.message}`);
    }
    if (/^53/.test(e.code!)) {
      return connectorError('database', `The database ran out of resources: ${e.message}`);
    }
    const details: Record<string, unknown> = { pgCode: e.code };
    if (e.position !== undefined && e.position !== '') details.position = Number(e.position);
    if (e.detail) details.detail = e.detail;
    if (e.hint) details.hint = e.hint;
    return new AppError('SqlError', e.message ?? 'The database rejected the query', details);
  }
  if (/terminated|closed|ECONNRESET|EPIPE/i.test(`${e.message ?? ''} ${e.code ?? ''}`)) {
    return connectorError('unreachable', 'The connection to the database was lost while the query ran');
  }
  // Anything else is our bug: let it become a logged Internal error.
  return err instanceof Error ? err : new Error(String(err));
}

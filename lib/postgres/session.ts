/**
 * One read-only unit of work on a user's database: connect, BEGIN READ ONLY and read the session role (one
 * round trip), refuse a privileged role unless allowed, run, ROLLBACK, close.
 * Any error, timeout or abort discards the connection. A client-side backstop timer fires when the server's
 * statement_timeout does not (network partition, stuck server) so a request can never hang.
 */
import type pg from 'pg';
import { AppError } from '../errors.js';
import type { ConnectionConfig } from '../types.js';
import {
  clampStatementTimeout,
  closeClient,
  discardClient,
  isQueryable,
  openClient,
  sendCancelRequest,
  type ConnectOptions,
} from './connect.js';
import { formatSeconds, mapQueryError } from './errors.js';
import { BEGIN_AND_READ_ROLE, refusePrivileged, toSessionRole, type SessionRole } from './privileges.js';
import { config } from '../config.js';

export interface SessionOptions extends Partial<ConnectOptions> {
  signal?: AbortSignal;
  /**
   * Run on a role with server-level privileges (privileges.ts). Default false; the user's own /query and
   * /inspect pass CONNECTOR_ALLOW_PRIVILEGED_ROLES, the model's tools never set it.
   */
  allowPrivileged?: boolean;
}

export interface Session {
  role: SessionRole;
}

/** The signal's own AppError (the reply's deadline says why), else a plain cancellation: never a bare DOMException. */
function cancelled(signal: AbortSignal | undefined): AppError {
  return signal?.reason instanceof AppError
    ? signal.reason
    : new AppError('Timeout', 'The request was cancelled');
}

/** Extra time past statement_timeout before the client gives up on the server by itself. */
const BACKSTOP_GRACE_MS = 3_000;

export async function withReadOnlyTransaction<T>(
  conn: ConnectionConfig,
  options: SessionOptions,
  work: (client: pg.Client, session: Session) => Promise<T>,
): Promise<T> {
  const statementTimeoutMs = clampStatementTimeout(options.statementTimeoutMs ?? config.statementTimeoutMs);
  if (options.signal?.aborted) throw cancelled(options.signal);
  const client = await openClient(conn, { ...options, statementTimeoutMs });

  let onAbort: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let interruptedFlag = false;
  const interrupted = new Promise<never>((_, reject) => {
    // Past the server's own statement_timeout: the server stalled or the network is gone, not the query.
    timer = setTimeout(() => {
      interruptedFlag = true;
      reject(
        new AppError(
          'ConnectorError',
          `The database did not answer within ${formatSeconds(statementTimeoutMs + BACKSTOP_GRACE_MS)} (its statement timeout is ${formatSeconds(statementTimeoutMs)}); the connection was closed`,
          { reason: 'timeout' },
        ),
      );
    }, statementTimeoutMs + BACKSTOP_GRACE_MS);
    onAbort = () => {
      interruptedFlag = true;
      reject(cancelled(options.signal));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  interrupted.catch(() => undefined);

  try {
    const result = await Promise.race([
      (async () => {
        const [, roleResult] = (await client.query(BEGIN_AND_READ_ROLE)) as unknown as pg.QueryResult[];
        const role = toSessionRole(roleResult?.rows[0]);
        if (!options.allowPrivileged) refusePrivileged(role);
        const value = await work(client, { role });
        // A connection already cut (a row over the cap ends a result early) has no transaction left.
        if (isQueryable(client)) await client.query('ROLLBACK');
        return value;
      })(),
      interrupted,
    ]);
    clearTimeout(timer);
    if (isQueryable(client)) await closeClient(client);
    else discardClient(client);
    return result;
  } catch (err) {
    // Stop the statement on the server before dropping the socket (it would otherwise run to its timeout).
    if (interruptedFlag) await sendCancelRequest(client);
    discardClient(client);
    throw mapQueryError(err, statementTimeoutMs);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

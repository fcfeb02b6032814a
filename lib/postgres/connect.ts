/**
 * Opens one connection to a user's database: host vetted by the network guard, TLS as the connector says,
 * server-side timeouts set as startup parameters, bounded connect time.
 *
 * Connections are opened per request and closed after it, never pooled: a request's session state (set_config,
 * advisory locks, prepared statements, temp tables) then cannot leak into the next one, and a frozen Lambda
 * does not keep idle sessions open against the user's max_connections. The cost is one handshake per request.
 */
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { connect as tcpConnect, isIP } from 'node:net';
import pg from 'pg';
import type { ConnectionConfig } from '../types.js';
import { resolveAllowedAddress, checkHostSyntax, type LookupFn } from '../net/guard.js';
import { config } from '../config.js';
import { trustedCas } from './ca-bundle.js';
import { mapConnectError } from './errors.js';
import { guardClient } from './wire-guard.js';
import type { Logger } from '../log.js';

export const CONNECT_TIMEOUT_MS = 5_000;
/** Lambda's own limit; callers bound it further (SQL_STATEMENT_TIMEOUT_MS, SQL_EXPORT_TIMEOUT_MS). */
export const MAX_STATEMENT_TIMEOUT_MS = 900_000;

/**
 * The session's output settings, pinned as startup parameters: they outrank ALTER DATABASE / ALTER ROLE
 * defaults, so the text values arrive in (values.ts) never depends on how the database was configured.
 */
const PINNED_SETTINGS: Record<string, string> = {
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  TimeZone: 'UTC',
  bytea_output: 'hex',
};

/** PostgreSQL's `options` startup parameter: `-c name=value`, with spaces and backslashes escaped. */
export const startupOptions = (settings: Record<string, string>): string =>
  Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`)
    .join(' ');

export interface ConnectOptions {
  /** Server-side statement_timeout for this session. */
  statementTimeoutMs: number;
  connectTimeoutMs?: number;
  /** Network policy (default: config.connectorAllowedNetworks). */
  policy?: string;
  /** DNS lookup (tests). */
  lookup?: LookupFn;
  /** Largest message the server may send (default SQL_MAX_ROW_BYTES); a longer one ends the connection
   *  (wire-guard.ts; a longer row is a 400 that names the cap). */
  maxMessageBytes?: number;
  /** Where protocol violations are logged (default: the module logger). */
  log?: Logger;
}

/**
 * TLS options: `require` encrypts without verifying; `verify-full` checks the chain (Node's CAs plus the
 * operator's CONNECTOR_CA_BUNDLE) and the host NAME, although the socket goes to the vetted address.
 */
export function tlsOptions(conn: ConnectionConfig): false | ConnectionOptions {
  if (conn.ssl === 'disable') return false;
  const name = checkHostSyntax(conn.host);
  // SNI carries the name even though the socket goes to the vetted IP (SNI must not be an IP address).
  const servername = isIP(name) === 0 ? { servername: name } : {};
  if (conn.ssl === 'require') return { rejectUnauthorized: false, ...servername };
  const ca = trustedCas();
  return {
    rejectUnauthorized: true,
    ...servername,
    ...(ca ? { ca } : {}),
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
  };
}

export const clampStatementTimeout = (ms: number): number =>
  Math.max(1, Math.min(Math.floor(ms), MAX_STATEMENT_TIMEOUT_MS));

/** Connects, or throws HostNotAllowed / ConnectorError (never leaves a socket open on failure). */
export async function openClient(conn: ConnectionConfig, options: ConnectOptions): Promise<pg.Client> {
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const target = `${conn.host}:${conn.port}`;
  const { address } = await resolveAllowedAddress(
    conn.host,
    options.policy ?? config.connectorAllowedNetworks,
    {
      lookup: options.lookup,
    },
  );
  const statementTimeoutMs = clampStatementTimeout(options.statementTimeoutMs);
  const client = new pg.Client({
    host: address,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    // A function, so pg never falls back to PGPASSWORD or ~/.pgpass of the machine we run on.
    password: async () => conn.password ?? '',
    ssl: tlsOptions(conn),
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    lock_timeout: Math.min(statementTimeoutMs, 5_000),
    // Our transaction is idle only between our own round trips; a frozen or dead caller must not pin it.
    idle_in_transaction_session_timeout: statementTimeoutMs + 10_000,
    application_name: 'semaia',
    client_encoding: 'UTF8',
    options: startupOptions(PINNED_SETTINGS),
    keepAlive: true,
  });
  // Errors reach the caller through the pending query; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  guardClient(client, { maxMessageBytes: options.maxMessageBytes ?? config.sqlMaxRowBytes }, options.log);
  try {
    await client.connect();
  } catch (err) {
    discardClient(client);
    throw mapConnectError(err, target, connectTimeoutMs);
  }
  return client;
}

/**
 * Asks the server to cancel the session's running statement (PostgreSQL CancelRequest on a new socket to the same
 * vetted address). Destroying our socket alone would leave the statement running until it next writes.
 * Best effort, bounded to 2 s, never throws.
 */
export function sendCancelRequest(client: pg.Client): Promise<void> {
  const c = client as unknown as {
    host: string;
    port: number;
    processID: number | null;
    secretKey: number | null;
  };
  if (c.processID === null || c.secretKey === null) return Promise.resolve();
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4); // the CancelRequest code
  message.writeInt32BE(c.processID, 8);
  message.writeInt32BE(c.secretKey, 12);
  return new Promise((resolve) => {
    const socket = tcpConnect(c.port, c.host);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    socket.on('connect', () => socket.end(message));
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** False once the connection is gone (the server closed it, or the wire guard cut it). */
export function isQueryable(client: pg.Client): boolean {
  const c = client as unknown as { _queryable?: boolean; _ending?: boolean };
  return c._queryable !== false && c._ending !== true;
}

/** Drops a connection that timed out or failed: the socket is destroyed, nothing waits on the server. */
export function discardClient(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  try {
    stream?.destroy();
  } catch {
    // already gone
  }
  client.end().catch(() => undefined);
}

/** Ends a healthy connection politely, but never waits more than a second for it. */
export async function closeClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        discardClient(client);
        resolve();
      }, 1_000);
    }),
  ]);
  clearTimeout(timer);
}

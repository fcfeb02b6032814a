/**
 * Puts the framer (wire-frames.ts) between a pg.Client's socket and pg's protocol parser, and contains what
 * still goes wrong while pg handles a message.
 *
 * pg's Connection hands its (post-TLS) stream to `attachListeners(stream)`, which feeds every 'data' chunk to
 * pg-protocol's parser and from there, synchronously, to the client's and the query's handlers. Wrapping that
 * one method of this connection's instance puts the framer in front of the parser: pg only ever sees whole,
 * valid messages. A violation destroys the socket with a ConnectorError, which pg reports to the pending
 * query (so the request ends with 502) and to the client's 'error' listener. An exception thrown by pg's own
 * handlers while it processes a message (one that passed the framer) is caught here too: logged, and the
 * connection destroyed, so it never reaches the process. Relies on pg 8's Connection.attachListeners; the
 * hostile-server tests fail if that changes.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { AppError } from '../errors.js';
import { log as rootLogger, type Logger } from '../log.js';
import { BackendFramer, MessageTooLong, type WireLimits } from './wire-frames.js';

interface PgConnection {
  /** pg-protocol's parse() only subscribes to the stream's 'data' and 'end'. */
  attachListeners(stream: Duplex | EventEmitter): void;
}

const protocolError = (what: string) =>
  new AppError('ConnectorError', `The database server sent ${what}; the connection was closed`, {
    reason: 'protocol',
  });

/** A row over the cap is the query's doing (it selected it), not the server's: the request's error, 400. */
const rowTooLarge = (err: MessageTooLong) =>
  new AppError(
    'SqlError',
    `A row of ${err.length} bytes is larger than the ${err.limit}-byte limit for one row (SQL_MAX_ROW_BYTES); select fewer or smaller columns`,
    { rowBytes: err.length, maxRowBytes: err.limit },
  );

/** Installs the guard on a client that has not connected yet. */
export function guardClient(client: pg.Client, limits: WireLimits = {}, log: Logger = rootLogger): void {
  const connection = (client as unknown as { connection: PgConnection }).connection;
  const attach = connection.attachListeners.bind(connection);
  connection.attachListeners = (stream) => attach(guardStream(stream as Duplex, limits, log));
}

/** What pg's parser reads from: only 'data' (whole valid messages) and 'end' are ever emitted. */
function guardStream(stream: Duplex, limits: WireLimits, log: Logger): EventEmitter {
  const framer = new BackendFramer(limits);
  const guarded = new EventEmitter();
  let failed = false;
  const fail = (err: AppError) => {
    failed = true;
    stream.destroy(err);
  };
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    let messages: Buffer;
    try {
      messages = framer.push(chunk);
    } catch (err) {
      if (err instanceof MessageTooLong && err.type === 'D') return fail(rowTooLarge(err));
      log.warn('database server broke the protocol', { reason: (err as Error).message });
      return fail(protocolError((err as Error).message));
    }
    if (messages.length === 0) return;
    try {
      guarded.emit('data', messages);
    } catch (err) {
      log.error('a database connection failed while handling a server message', err);
      fail(protocolError('a message the client could not handle'));
    }
  });
  stream.on('end', () => guarded.emit('end'));
  return guarded;
}

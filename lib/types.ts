/** Domain types shared by the routes, the stores and the connectors. */

export interface User {
  uid: string;
  email?: string;
}

export type SslMode = 'disable' | 'require' | 'verify-full';

/** What is needed to open a connection to a user's PostgreSQL database (password decrypted). */
export interface ConnectionConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  ssl: SslMode;
}

/** A connector as the API returns it: never with its password. */
export interface Connector {
  id: string;
  name: string;
  engine: 'postgres';
  host: string;
  port: number;
  database: string;
  user: string;
  ssl: SslMode;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Chat {
  id: string;
  connectorId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

/** A result's column as the client sees it. */
export interface ResultColumn {
  name: string;
  type: string;
}

/** The rows a reply showed for one query: exactly the data of its `rows` event (bounded in rows and bytes). */
export interface RowsResult {
  columns: ResultColumn[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  /** Which bound cut the result: `limit` rows, or SQL_MAX_RESULT_BYTES / SQL_MAX_ROW_BYTES. */
  truncatedReason?: 'rows' | 'bytes';
}

/**
 * SQL the model ran while writing a reply, kept with the reply so a reloaded or resumed chat shows exactly
 * what the live stream showed. `seq` and `at` place it in the reply's event stream: the sequence number of
 * its `query` event and the length of the reply's text when it was sent.
 */
export interface QueryRecord {
  sql: string;
  seq: number;
  at: number;
  /** The `rows` event, and its sequence number. */
  result?: RowsResult & { seq: number };
  /** The `query_error` event, and its sequence number. */
  error?: { code: string; message: string; seq: number };
}

export type MessageStatus = 'streaming' | 'complete' | 'incomplete';

export interface Message {
  id: string;
  chatId: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  /**
   * `streaming` while an invocation is still writing the reply (it checkpoints as it goes), `complete`, or
   * `incomplete` when the reply broke (model error, timeout, the writer died) and only part of it exists.
   */
  status: MessageStatus;
  queries?: QueryRecord[];
  error?: { code: string; message: string };
  /** Assistant replies: the id of the user message they answer. */
  replyTo?: string;
  /** Streaming replies: the last event sequence number checkpointed, and until when the writer holds it. */
  lastSeq?: number;
  leaseUntil?: number;
}

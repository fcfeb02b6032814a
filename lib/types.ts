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

/** SQL the model ran while writing a reply, kept with the reply so a reloaded chat shows it. */
export interface QueryRecord {
  sql: string;
  rowCount?: number;
  truncated?: boolean;
  columns?: string[];
  /** A few rows as a preview (arrays aligned with columns). */
  preview?: unknown[][];
  error?: { code?: string; message: string };
}

export interface Message {
  id: string;
  chatId: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  /** 'incomplete' when the reply stream broke (model error, timeout) and only part of it exists. */
  status: 'complete' | 'incomplete';
  queries?: QueryRecord[];
  error?: { code: string; message: string };
}

/**
 * Validation of connector request bodies: the separate-fields form or the URL form, for create and for a
 * partial update. Both forms go through the same field rules (a URL's parts are checked like the fields they
 * become). The result is plain connection fields for the store.
 */
import * as z from 'zod/mini';
import { safeParse } from 'zod/mini';
import { AppError } from '../errors.js';
import { validate } from '../http/body.js';
import type { SslMode } from '../types.js';
import { parsePostgresUrl, UrlParseError } from './url.js';

export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;

/** Fields of a new connector as the store takes them. `password` null or absent: no password. */
export interface NewConnector {
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string | null;
  ssl: SslMode;
}

/** A partial update. `password` undefined keeps the stored one, null clears it. */
export type ConnectorPatch = Partial<NewConnector>;

// eslint-disable-next-line no-control-regex -- rejecting control characters (NUL, CR, LF...) is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const noControl = z.refine<string>((s) => !CONTROL.test(s), 'must not contain control characters');

// Control characters are refused before trimming: a trailing CR/LF is refused, not silently cut.
const text = (max: number) =>
  z
    .string()
    .check(
      noControl,
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
    );

// node-postgres treats a host starting with `/` as a Unix socket; the other characters cannot be in a host name.
const host = text(255).check(
  z.refine((h) => !h.startsWith('/') && !/[\s/#@?\\]/.test(h), 'is not a valid host name'),
);

const fields = {
  name: text(100),
  engine: z.optional(z.literal('postgres')),
  url: z.optional(
    z
      .string()
      .check(z.minLength(1, 'must not be empty'), z.maxLength(2048, 'must be at most 2048 characters')),
  ),
  host: z.optional(host),
  port: z.optional(
    z
      .int('must be an integer')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(65535, 'must be at most 65535')),
  ),
  database: z.optional(text(128)),
  user: z.optional(text(128)),
  // Passwords are taken verbatim (no trimming); '' means no password. A NUL would end it early on the wire.
  password: z.optional(
    z.nullable(z.string().check(z.maxLength(1024, 'must be at most 1024 characters'), noControl)),
  ),
  ssl: z.optional(z.enum(SSL_MODES)),
};

const createSchema = z.strictObject(fields);
const updateSchema = z.strictObject({ ...fields, name: z.optional(fields.name) });

const CONNECTION_FIELDS = ['host', 'port', 'database', 'user', 'ssl'] as const;

/** A URL's parts, checked by the same rules as the separate fields (in URL order, for the first error). */
const urlParts = z.strictObject({
  user: fields.user,
  password: fields.password,
  host: host,
  port: fields.port,
  database: fields.database,
  ssl: fields.ssl,
});
const URL_PART_NAMES: Record<string, string> = {
  host: 'host',
  port: 'port',
  database: 'database name',
  user: 'user name',
  password: 'password',
  ssl: 'sslmode',
};

const fieldError = (field: string, message: string) =>
  new AppError('IncorrectSignature', `Invalid body field "${field}": ${message}`, { field });

type Raw = z.infer<typeof updateSchema>;

/** Connection fields from `url` when given (then host/port/database/user/ssl must not be given too). */
function fromUrl(raw: Raw): Partial<NewConnector> | undefined {
  if (raw.url === undefined) return undefined;
  const clash = CONNECTION_FIELDS.find((f) => raw[f] !== undefined);
  if (clash) throw fieldError(clash, 'cannot be given together with "url"');
  let parsed: ReturnType<typeof parsePostgresUrl>;
  try {
    parsed = parsePostgresUrl(raw.url);
  } catch (err) {
    if (err instanceof UrlParseError) throw fieldError('url', `the URL ${err.message}`);
    throw err;
  }
  const checked = safeParse(urlParts, parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const part = URL_PART_NAMES[String(issue?.path[0])] ?? 'part';
    throw fieldError('url', `the URL's ${part} ${issue?.message ?? 'is invalid'}`);
  }
  const { password, ...rest } = checked.data;
  return password !== undefined ? { ...rest, password } : rest;
}

/** Names an unknown field in the error details too (zod's strict check reports it without a path). */
function rejectUnknownFields(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const unknown = Object.keys(body).find((k) => !(k in fields));
  if (unknown !== undefined) throw fieldError(unknown, 'is not a known field');
}

const normalizePassword = (p: string | null | undefined) => (p === '' ? null : p);

/** A POST /connectors body → the new connector's fields. */
export function parseNewConnector(body: unknown): NewConnector {
  rejectUnknownFields(body);
  const raw = validate(body, createSchema, 'body');
  const conn = fromUrl(raw) ?? {
    host: raw.host,
    port: raw.port ?? 5432,
    database: raw.database,
    user: raw.user,
    ssl: raw.ssl ?? 'require',
  };
  for (const f of ['host', 'database', 'user'] as const) {
    if (conn[f] === undefined) throw fieldError(f, 'is required (or give "url")');
  }
  // An explicit password field wins over one in the URL (handy when it has characters URLs need escaped).
  const password = normalizePassword(raw.password !== undefined ? raw.password : conn.password);
  return {
    name: raw.name,
    host: conn.host!,
    port: conn.port ?? 5432,
    database: conn.database!,
    user: conn.user!,
    ssl: conn.ssl ?? 'require',
    ...(password !== undefined ? { password } : {}),
  };
}

/** A PUT /connectors/{id} body → the fields to change. */
export function parseConnectorPatch(body: unknown): ConnectorPatch {
  rejectUnknownFields(body);
  const raw = validate(body, updateSchema, 'body');
  const patch: ConnectorPatch = {};
  if (raw.name !== undefined) patch.name = raw.name;
  const conn = fromUrl(raw) ?? raw;
  for (const f of CONNECTION_FIELDS) {
    if (conn[f] !== undefined) (patch as Record<string, unknown>)[f] = conn[f];
  }
  const password = raw.password !== undefined ? raw.password : (conn as Partial<NewConnector>).password;
  if (password !== undefined) patch.password = normalizePassword(password);
  return patch;
}

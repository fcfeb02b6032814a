/**
 * Parses a PostgreSQL connection URL (postgres:// or postgresql://) into connection fields. Pure; errors
 * never repeat the URL, which may hold a password.
 */
import type { ConnectionConfig, SslMode } from '../types.js';

/** A URL holds exactly the fields of a connection. */
export type ParsedPostgresUrl = ConnectionConfig;

export class UrlParseError extends Error {
  override name = 'UrlParseError';
}

/** libpq sslmode values mapped onto the three modes Semaia supports (weak modes are upgraded to require). */
const SSLMODES: Record<string, SslMode> = {
  disable: 'disable',
  allow: 'require',
  prefer: 'require',
  require: 'require',
  'verify-ca': 'verify-full',
  'verify-full': 'verify-full',
};

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new UrlParseError(`the ${what} is not correctly percent-encoded`);
  }
}

export function parsePostgresUrl(input: string, defaultSsl: SslMode = 'require'): ParsedPostgresUrl {
  const text = input.trim();
  if (!/^postgres(ql)?:\/\//i.test(text))
    throw new UrlParseError('must start with postgres:// or postgresql://');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlParseError('is not a valid URL');
  }
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1); // IPv6 literal
  host = decode(host, 'host');
  if (!host) throw new UrlParseError('has no host (Unix sockets are not supported)');
  if (host.includes(',')) throw new UrlParseError('names several hosts; only one is supported');

  let port = 5432;
  if (url.port !== '') {
    port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UrlParseError('has an invalid port');
  }

  const user = decode(url.username, 'user name');
  if (!user) throw new UrlParseError('has no user name');
  const password = url.password ? decode(url.password, 'password') : undefined;

  const path = url.pathname.replace(/^\//, '');
  if (path.includes('/')) throw new UrlParseError('has an invalid database name');
  const database = decode(path, 'database name') || user; // libpq defaults the database to the user name

  let ssl = defaultSsl;
  const sslmode = url.searchParams.get('sslmode');
  const sslFlag = url.searchParams.get('ssl');
  if (sslmode !== null) {
    const mapped = SSLMODES[sslmode.toLowerCase()];
    if (!mapped)
      throw new UrlParseError(`has an unknown sslmode (use one of ${Object.keys(SSLMODES).join(', ')})`);
    ssl = mapped;
  } else if (sslFlag !== null) {
    // node-postgres style ?ssl=true|false
    if (/^(true|1)$/i.test(sslFlag)) ssl = 'require';
    else if (/^(false|0)$/i.test(sslFlag)) ssl = 'disable';
    else throw new UrlParseError('has an invalid ssl value (use true or false)');
  }
  if (url.searchParams.has('host'))
    throw new UrlParseError('sets host as a parameter; put it in the authority part');

  return { host, port, database, user, ...(password !== undefined ? { password } : {}), ssl };
}

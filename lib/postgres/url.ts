/**
 * `postgres://user:password@host:port/database?sslmode=...` → ConnectionConfig (pure, no `pg` import), for the
 * local sample connector and tests.
 */
import type { ConnectionConfig, SslMode } from '../types.js';

export function parseConnectionUrl(url: string): ConnectionConfig {
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error('Not a postgres:// URL');
  const sslmode = u.searchParams.get('sslmode');
  const ssl: SslMode = sslmode === 'require' || sslmode === 'verify-full' ? sslmode : 'disable';
  return {
    host: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(u.username) || 'postgres',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ssl,
  };
}

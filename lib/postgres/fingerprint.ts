/**
 * A cheap fingerprint of the parts of the catalog the schema index reflects, so a cached index can be checked
 * without reading the catalog again: one query of counts and xmin sums over pg_class, pg_attribute,
 * pg_constraint, pg_description, pg_enum, pg_type and pg_namespace. Any DDL, comment or grant writes a new
 * row version in one of them (a new xmin, or a different count); ANALYZE updates row estimates in place and
 * so does not change it. Temporary relations are left out: other sessions create them all the time.
 * Also returns the role's search_path (its schemas rank first).
 */
import type { ConnectionConfig } from '../types.js';
import { withReadOnlyTransaction, type SessionOptions } from './session.js';

const part = (from: string) =>
  `(SELECT count(*) || ':' || coalesce(sum(x.xmin::text::int8), 0) FROM ${from})`;

const PERSISTENT_RELATIONS = `pg_class x WHERE x.relkind IN ('r', 'v', 'm', 'p', 'f') AND x.relpersistence <> 't'`;

const FINGERPRINT_SQL = `
SELECT md5(concat_ws('|',
  ${part(PERSISTENT_RELATIONS)},
  ${part(`pg_attribute x JOIN pg_class c ON c.oid = x.attrelid WHERE x.attnum > 0 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND c.relpersistence <> 't'`)},
  ${part(`pg_constraint x JOIN pg_class c ON c.oid = x.conrelid WHERE c.relpersistence <> 't'`)},
  ${part('pg_description x')},
  ${part('pg_enum x')},
  ${part(`pg_type x WHERE x.typtype IN ('d', 'e')`)},
  ${part(`pg_namespace x WHERE x.nspname !~ '^pg_(toast_)?temp_'`)}
)) AS fingerprint, current_schemas(false)::text[] AS search_path`;

export interface CatalogFingerprint {
  fingerprint: string;
  searchPath: string[];
}

export function readCatalogFingerprint(
  conn: ConnectionConfig,
  options: SessionOptions = {},
): Promise<CatalogFingerprint> {
  return withReadOnlyTransaction(conn, options, async (client) => {
    const { rows } = await client.query<{ fingerprint: string; search_path: string[] }>(FINGERPRINT_SQL);
    return { fingerprint: rows[0]!.fingerprint, searchPath: rows[0]!.search_path };
  });
}

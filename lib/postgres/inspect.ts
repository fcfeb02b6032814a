/**
 * Schema inspection from pg_catalog (information_schema is slow on big catalogs and misses materialized views):
 * a fixed number of set-based queries in one read-only transaction, whatever the number of tables.
 *
 * Listed: tables, views, materialized views, partitioned tables and foreign tables the role may read
 * (schema USAGE and SELECT on the table or on some of its columns; only readable columns are listed, and no
 * key, constraint or index that involves a column the role cannot read); enums and domains per schema.
 * Not listed: partitions (their parent is, with what they declare), system schemas (pg_*, information_schema).
 * At most `maxRelations` relations per call, in (schema, name) order; `nextCursor` pages on.
 */
import type pg from 'pg';
import { badRequest } from '../errors.js';
import type { ConnectionConfig } from '../types.js';
import {
  buildRelation,
  emptySchema,
  groupByOid,
  type ColumnRow,
  type ConstraintRow,
  type IndexRow,
  type RelationRow,
} from './inspect-assemble.js';
import {
  COLUMNS_SQL,
  constraintsSql,
  DOMAINS_SQL,
  ENUMS_SQL,
  indexesSql,
  RELATIONS_SQL,
  SCHEMAS_SQL,
} from './inspect-sql.js';
import type { SchemaEntry, SchemaInfo } from './inspect-types.js';
import type { SessionRole } from './privileges.js';
import { withReadOnlyTransaction, type SessionOptions } from './session.js';

export type * from './inspect-types.js';

export const MAX_RELATIONS = 5_000;
/** The most a caller may ask for in one call (the model's schema index wants every relation). */
export const MAX_RELATIONS_LIMIT = 20_000;

export interface InspectOptions {
  maxRelations?: number;
  /** Only this schema. */
  schema?: string;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

/** A cursor names the last relation of a page; it is opaque to clients. */
function encodeCursor(schema: string, name: string): string {
  return Buffer.from(JSON.stringify([schema, name])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return value as [string, string];
    }
  } catch {
    // reported below
  }
  throw badRequest('The cursor is not one this API returned', { field: 'cursor' });
}

interface DomainRow {
  schema: string;
  name: string;
  base_type: string;
  nullable: boolean;
  default: string | null;
  check_names: string[];
  check_expressions: string[];
  comment: string | null;
}

async function readSchema(
  client: pg.Client,
  maxRelations: number,
  opts: InspectOptions,
  role: SessionRole,
  after: [string, string] | [null, null],
): Promise<SchemaInfo> {
  const meta = await client.query<{ database: string; version: string; version_num: number }>(
    // jit off: the catalog queries' cost estimates cross jit_above_cost on big catalogs, and compiling them
    // took longer (over a second) than running them.
    `SELECT current_database() AS database, current_setting('server_version') AS version,
            current_setting('server_version_num')::int AS version_num, set_config('jit', 'off', true) AS jit`,
  );
  const m = meta.rows[0]!;
  const schemaFilter = opts.schema ?? null;

  const schemas = await client.query<{ name: string; comment: string | null }>(SCHEMAS_SQL, [schemaFilter]);
  const relations = await client.query<RelationRow>(RELATIONS_SQL, [
    maxRelations + 1,
    schemaFilter,
    ...after,
  ]);
  const truncated = relations.rows.length > maxRelations;
  const rels = truncated ? relations.rows.slice(0, maxRelations) : relations.rows;

  // Constraints and indexes are read from each relation and from every partition below it.
  const source: string[] = [];
  const listed: string[] = [];
  const fullAccess: boolean[] = [];
  for (const rel of rels) {
    for (const oid of [rel.oid, ...rel.descendants]) {
      source.push(oid);
      listed.push(rel.oid);
      fullAccess.push(rel.full_access);
    }
  }
  const sources = [source, listed, fullAccess];
  const columns = await client.query<ColumnRow>(COLUMNS_SQL, [
    rels.map((r) => r.oid),
    rels.map((r) => r.full_access),
  ]);
  const constraints = await client.query<ConstraintRow>(constraintsSql(m.version_num), sources);
  const indexes = await client.query<IndexRow>(indexesSql(m.version_num), sources);
  const enums = await client.query<{
    schema: string;
    name: string;
    labels: string[];
    comment: string | null;
  }>(ENUMS_SQL, [schemaFilter]);
  const domains = await client.query<DomainRow>(DOMAINS_SQL, [schemaFilter]);

  const bySchema = new Map<string, SchemaEntry>(
    schemas.rows.map((s) => [s.name, emptySchema(s.name, s.comment)]),
  );
  const entry = (name: string) => {
    let schema = bySchema.get(name);
    if (!schema) {
      schema = emptySchema(name, null);
      bySchema.set(name, schema);
    }
    return schema;
  };
  const columnsByOid = groupByOid(columns.rows);
  const constraintsByOid = groupByOid(constraints.rows);
  const indexesByOid = groupByOid(indexes.rows);
  for (const rel of rels) {
    entry(rel.schema).relations.push(
      buildRelation(
        rel,
        columnsByOid.get(rel.oid) ?? [],
        constraintsByOid.get(rel.oid) ?? [],
        indexesByOid.get(rel.oid) ?? [],
      ),
    );
  }
  for (const e of enums.rows) {
    bySchema.get(e.schema)?.enums.push({ name: e.name, labels: e.labels, comment: e.comment });
  }
  for (const d of domains.rows) {
    bySchema.get(d.schema)?.domains.push({
      name: d.name,
      baseType: d.base_type,
      nullable: d.nullable,
      default: d.default,
      checks: d.check_names.map((name, i) => ({ name, expression: d.check_expressions[i] ?? '' })),
      comment: d.comment,
    });
  }

  const last = rels[rels.length - 1];
  return {
    database: m.database,
    serverVersion: m.version,
    role,
    schemas: [...bySchema.values()],
    relationCount: rels.length,
    truncated,
    maxRelations,
    nextCursor: truncated && last ? encodeCursor(last.schema, last.name) : null,
  };
}

export async function inspectSchema(
  conn: ConnectionConfig,
  options: SessionOptions & InspectOptions = {},
): Promise<SchemaInfo> {
  const maxRelations = Math.max(1, Math.min(options.maxRelations ?? MAX_RELATIONS, MAX_RELATIONS_LIMIT));
  // A bad cursor is the caller's error, before connecting.
  const after: [string, string] | [null, null] = options.cursor ? decodeCursor(options.cursor) : [null, null];
  return withReadOnlyTransaction(conn, options, (client, { role }) =>
    readSchema(client, maxRelations, options, role, after),
  );
}

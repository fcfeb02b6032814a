/**
 * Type names for result columns. Common built-in types come from a static OID map (their OIDs are fixed in
 * every PostgreSQL); anything else — user types, and types with a modifier like varchar(20) — is resolved on
 * the server with format_type in the same transaction.
 */
import type { ClientBase } from 'pg';

const BUILTIN: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  18: '"char"',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  142: 'xml',
  600: 'point',
  650: 'cidr',
  700: 'real',
  701: 'double precision',
  705: 'unknown',
  790: 'money',
  829: 'macaddr',
  869: 'inet',
  1000: 'boolean[]',
  1001: 'bytea[]',
  1005: 'smallint[]',
  1007: 'integer[]',
  1009: 'text[]',
  1014: 'character[]',
  1015: 'character varying[]',
  1016: 'bigint[]',
  1021: 'real[]',
  1022: 'double precision[]',
  1042: 'character',
  1043: 'character varying',
  1082: 'date',
  1083: 'time without time zone',
  1114: 'timestamp without time zone',
  1115: 'timestamp without time zone[]',
  1182: 'date[]',
  1184: 'timestamp with time zone',
  1185: 'timestamp with time zone[]',
  1186: 'interval',
  1231: 'numeric[]',
  1266: 'time with time zone',
  1560: 'bit',
  1562: 'bit varying',
  1700: 'numeric',
  2205: 'regclass',
  2249: 'record',
  2278: 'void',
  2950: 'uuid',
  2951: 'uuid[]',
  3614: 'tsvector',
  3802: 'jsonb',
  3807: 'jsonb[]',
};

export interface FieldType {
  dataTypeID: number;
  dataTypeModifier: number;
}

const key = (f: FieldType) => `${f.dataTypeID}:${f.dataTypeModifier}`;

/** Names for each field, in order; one server round trip only when a field is not in the static map. */
export async function resolveTypeNames(client: ClientBase, fields: FieldType[]): Promise<string[]> {
  const unknown = fields.filter((f) => f.dataTypeModifier !== -1 || BUILTIN[f.dataTypeID] === undefined);
  const looked = new Map<string, string>();
  if (unknown.length > 0) {
    const { rows } = await client.query<{ oid: number; typmod: number; name: string }>({
      text: 'SELECT t.oid::int AS oid, t.typmod, format_type(t.oid::oid, NULLIF(t.typmod, -1)) AS name FROM unnest($1::int[], $2::int[]) AS t(oid, typmod)',
      values: [unknown.map((f) => f.dataTypeID), unknown.map((f) => f.dataTypeModifier)],
    });
    for (const r of rows) looked.set(`${r.oid}:${r.typmod}`, r.name);
  }
  return fields.map((f) => looked.get(key(f)) ?? BUILTIN[f.dataTypeID] ?? `oid ${f.dataTypeID}`);
}

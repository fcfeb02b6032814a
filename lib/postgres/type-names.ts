/**
 * Result column types: the declared name (as /inspect gives it) and how values of the type are converted.
 * Built-in types come from a static OID map (their OIDs are fixed in every PostgreSQL). The rest — user types,
 * types with a modifier like varchar(20), and columns read straight from a table, whose declared type may be a
 * domain (the server describes a domain column by its base type) — are resolved in one catalog round trip.
 */
import type { ClientBase } from 'pg';
import type { ValueKind, ValueType } from './values.js';

type Scalar = [name: string, kind: ValueKind];
const S = (name: string, kind: ValueKind = 'text'): Scalar => [name, kind];

const SCALARS: Record<number, Scalar> = {
  16: S('boolean', 'bool'),
  17: S('bytea'),
  18: S('"char"'),
  19: S('name'),
  20: S('bigint'),
  21: S('smallint', 'int'),
  23: S('integer', 'int'),
  25: S('text'),
  26: S('oid', 'int'),
  114: S('json', 'json'),
  142: S('xml'),
  600: S('point'),
  603: S('box'),
  650: S('cidr'),
  700: S('real', 'float'),
  701: S('double precision', 'float'),
  705: S('unknown'),
  790: S('money'),
  829: S('macaddr'),
  869: S('inet'),
  1042: S('character'),
  1043: S('character varying'),
  1082: S('date'),
  1083: S('time without time zone'),
  1114: S('timestamp without time zone', 'timestamp'),
  1184: S('timestamp with time zone', 'timestamp'),
  1186: S('interval'),
  1266: S('time with time zone'),
  1560: S('bit'),
  1562: S('bit varying'),
  1700: S('numeric'),
  2205: S('regclass'),
  2249: S('record'),
  2278: S('void'),
  2950: S('uuid'),
  3614: S('tsvector'),
  3802: S('jsonb', 'json'),
  3904: S('int4range'),
  3906: S('numrange'),
  3908: S('tsrange'),
  3910: S('tstzrange'),
  3912: S('daterange'),
  3926: S('int8range'),
};

/** Array type OID → element type OID (the array's name is the element's with `[]`). */
const ARRAYS: Record<number, number> = {
  1000: 16,
  1001: 17,
  1005: 21,
  1007: 23,
  1009: 25,
  1014: 1042,
  1015: 1043,
  1016: 20,
  1020: 603,
  1021: 700,
  1022: 701,
  1028: 26,
  1115: 1114,
  1182: 1082,
  1183: 1083,
  1185: 1184,
  1187: 1186,
  1231: 1700,
  1270: 1266,
  199: 114,
  2951: 2950,
  3807: 3802,
  3905: 3904,
};

export interface FieldType {
  dataTypeID: number;
  dataTypeModifier: number;
  /** The table and column the value comes straight from (0 when it is computed). */
  tableID: number;
  columnID: number;
}

export interface ColumnType {
  name: string;
  value: ValueType;
}

const BOX = 603;
const kindOf = (oid: number): ValueKind => SCALARS[oid]?.[1] ?? 'text';

function builtin(oid: number): ColumnType | undefined {
  const scalar = SCALARS[oid];
  if (scalar) return { name: scalar[0], value: { kind: scalar[1] } };
  const element = ARRAYS[oid];
  if (element === undefined) return undefined;
  return {
    name: `${SCALARS[element]![0]}[]`,
    value: { kind: 'text', array: { element: kindOf(element), delimiter: element === BOX ? ';' : ',' } },
  };
}

// The declared type of a table column when it is a domain (the field then carries the base type). For arrays,
// the element's base type and delimiter (an array of a domain has the domain as its element).
const LOOKUP_SQL = `
WITH RECURSIVE f AS (
  SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[]) WITH ORDINALITY AS f(oid, typmod, tbl, col, i)
), base(i, oid, depth) AS (
  SELECT f.i, t.typelem, 0 FROM f JOIN pg_type t ON t.oid = f.oid::oid WHERE t.typcategory = 'A' AND t.typelem <> 0
  UNION ALL
  SELECT b.i, t.typbasetype, b.depth + 1 FROM base b JOIN pg_type t ON t.oid = b.oid WHERE t.typtype = 'd'
)
SELECT f.i::int AS i,
       COALESCE(
         (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
          WHERE f.tbl <> 0 AND a.attrelid = f.tbl::oid AND a.attnum = f.col AND at.typtype = 'd'),
         format_type(f.oid::oid, NULLIF(f.typmod, -1))) AS name,
       (SELECT b.oid::int FROM base b WHERE b.i = f.i ORDER BY b.depth DESC LIMIT 1) AS element,
       (SELECT e.typdelim FROM base b JOIN pg_type e ON e.oid = b.oid WHERE b.i = f.i ORDER BY b.depth DESC LIMIT 1) AS delimiter
FROM f`;

/** Name and value type of each field, in order; one catalog round trip only when a field needs it. */
export async function resolveColumnTypes(client: ClientBase, fields: FieldType[]): Promise<ColumnType[]> {
  const known = fields.map((f) =>
    f.dataTypeModifier === -1 && f.tableID === 0 ? builtin(f.dataTypeID) : undefined,
  );
  if (known.every((k) => k !== undefined)) return known as ColumnType[];

  const { rows } = await client.query<{
    i: number;
    name: string;
    element: number | null;
    delimiter: string | null;
  }>({
    text: LOOKUP_SQL,
    values: [
      fields.map((f) => f.dataTypeID),
      fields.map((f) => f.dataTypeModifier),
      fields.map((f) => f.tableID),
      fields.map((f) => f.columnID),
    ],
  });
  return fields.map((f, index) => {
    const row = rows.find((r) => r.i === index + 1);
    const fallback = builtin(f.dataTypeID);
    const name = row?.name ?? fallback?.name ?? `oid ${f.dataTypeID}`;
    if (fallback) return { name, value: fallback.value };
    if (row?.element != null) {
      return {
        name,
        value: { kind: 'text', array: { element: kindOf(row.element), delimiter: row.delimiter ?? ',' } },
      };
    }
    return { name, value: { kind: 'text' } }; // enums, ranges, composites, extension types: their text
  });
}

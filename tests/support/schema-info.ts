/** Crafted inspectSchema results for the schema-context tests (the shape of lib/postgres/inspect.ts). */
import type { ColumnInfo, RelationInfo, SchemaInfo } from '../../lib/postgres/inspect.js';

export const col = (name: string, type = 'integer', extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type,
  nullable: true,
  default: null,
  comment: null,
  ...extra,
});

/** A table with an `id` primary key (unless columns say otherwise) and FKs given as `column → schema.table`. */
export function rel(
  name: string,
  columns: ColumnInfo[] = [col('id')],
  extra: Partial<RelationInfo> = {},
  fks: Record<string, string> = {},
): RelationInfo {
  return {
    name,
    kind: 'table',
    comment: null,
    rowEstimate: null,
    columns,
    primaryKey: columns.some((c) => c.name === 'id') ? { name: `${name}_pkey`, columns: ['id'] } : null,
    foreignKeys: Object.entries(fks).map(([column, target]) => {
      const [schema, table] = target.split('.') as [string, string];
      return {
        name: `${name}_${column}_fkey`,
        columns: [column],
        references: { schema, table, columns: ['id'] },
        onUpdate: 'NO ACTION',
        onDelete: 'NO ACTION',
        deferrable: false,
        initiallyDeferred: false,
      };
    }),
    uniqueConstraints: [],
    checkConstraints: [],
    exclusionConstraints: [],
    indexes: [],
    partitionKey: null,
    partitions: [],
    ...extra,
  };
}

export function schemaInfo(
  schemas: Record<string, RelationInfo[]>,
  extra: Record<string, Record<string, unknown>> = {},
): SchemaInfo {
  const entries = Object.entries(schemas).map(([name, relations]) => ({
    name,
    comment: null,
    relations,
    enums: [],
    domains: [],
    ...(extra[name] ?? {}),
  }));
  const count = entries.reduce((n, s) => n + s.relations.length, 0);
  return {
    database: 'db',
    serverVersion: '17',
    role: { name: 'reader', superuser: false, replication: false, memberOf: [] },
    schemas: entries,
    relationCount: count,
    truncated: false,
    maxRelations: 20_000,
    nextCursor: null,
  };
}

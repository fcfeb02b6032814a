/**
 * The stored half of a connector's schema index: every relation inspectSchema returned, reduced to what the
 * model's context, `describe_table` and `search_schema` use, with enum labels, CHECK value lists and domain
 * base types resolved onto columns, and foreign keys resolved to relation positions. Partitions are folded
 * into their parent by inspect already; one listed beside its parent anyway is dropped here. Plain JSON, so
 * it can be cached in DynamoDB as it is.
 */
import type { RelationInfo, RelationKind, SchemaEntry, SchemaInfo } from '../../postgres/inspect.js';
import { checkValueList, elementType, typeSpellings } from './values.js';

/** Bumped whenever the shape below changes: a stored index of another format is rebuilt. */
export const INDEX_FORMAT = 1;

export interface IndexedColumn {
  name: string;
  /** Declared type (a domain or enum by its own name). */
  type: string;
  /** A domain's base type. */
  baseType?: string;
  nullable: boolean;
  default?: string;
  comment?: string;
  /** Enum labels or a CHECK value list. */
  values?: string[];
}

export interface IndexedForeignKey {
  columns: string[];
  schema: string;
  table: string;
  refColumns: string[];
  /** Position of the referenced relation in `relations`, when it is visible. */
  target?: number;
}

export interface IndexedRelation {
  schema: string;
  name: string;
  kind: RelationKind;
  rows: number | null;
  comment?: string;
  columns: IndexedColumn[];
  pk?: string[];
  fks: IndexedForeignKey[];
  uniques?: string[][];
  /** CHECK expressions, as pg_get_constraintdef spells them. */
  checks?: string[];
  indexes?: { name: string; columns: string[]; unique: boolean }[];
  partitionKey?: string;
  partitions?: number;
}

export interface SchemaIndex {
  format: number;
  database: string;
  serverVersion: string;
  relations: IndexedRelation[];
  /** The catalog had more relations than were read. */
  truncated: boolean;
  builtAt: string;
}

interface TypeFacts {
  baseType?: string;
  values?: string[];
}

/** Enum labels and domain facts by every spelling a column's type may use. */
function typeFacts(schemas: SchemaEntry[]): Map<string, TypeFacts> {
  const facts = new Map<string, TypeFacts>();
  for (const s of schemas) {
    for (const e of s.enums) {
      for (const spelling of typeSpellings(s.name, e.name)) facts.set(spelling, { values: e.labels });
    }
    for (const d of s.domains) {
      const values = d.checks.map((c) => checkValueList(c.expression)).find((v) => v !== undefined);
      const fact: TypeFacts = { baseType: d.baseType, ...(values ? { values } : {}) };
      for (const spelling of typeSpellings(s.name, d.name)) facts.set(spelling, fact);
    }
  }
  return facts;
}

const some = <T>(list: T[] | undefined): T[] | undefined => (list && list.length ? list : undefined);

function indexRelation(schema: string, rel: RelationInfo, facts: Map<string, TypeFacts>): IndexedRelation {
  const checkValues = new Map<string, string[]>();
  for (const c of rel.checkConstraints) {
    const values = c.columns.length === 1 ? checkValueList(c.expression) : undefined;
    if (values) checkValues.set(c.columns[0]!, values);
  }
  const columns = rel.columns.map((c): IndexedColumn => {
    const fact = facts.get(elementType(c.type));
    const values = checkValues.get(c.name) ?? fact?.values;
    return {
      name: c.name,
      type: c.type,
      ...(fact?.baseType ? { baseType: fact.baseType } : {}),
      nullable: c.nullable,
      ...(c.default !== null ? { default: c.default } : {}),
      ...(c.comment ? { comment: c.comment } : {}),
      ...(values ? { values } : {}),
    };
  });
  const uniques = some(rel.uniqueConstraints.map((u) => u.columns));
  const checks = some(rel.checkConstraints.map((c) => c.expression));
  const indexes = some(
    rel.indexes
      .filter((i) => !i.primary)
      .map((i) => ({ name: i.name, columns: i.columns, unique: i.unique })),
  );
  return {
    schema,
    name: rel.name,
    kind: rel.kind,
    rows: rel.rowEstimate,
    ...(rel.comment ? { comment: rel.comment } : {}),
    columns,
    ...(rel.primaryKey ? { pk: rel.primaryKey.columns } : {}),
    fks: rel.foreignKeys.map((fk) => ({
      columns: fk.columns,
      schema: fk.references.schema,
      table: fk.references.table,
      refColumns: fk.references.columns,
    })),
    ...(uniques ? { uniques } : {}),
    ...(checks ? { checks } : {}),
    ...(indexes ? { indexes } : {}),
    ...(rel.partitionKey ? { partitionKey: rel.partitionKey } : {}),
    ...(rel.partitions.length ? { partitions: rel.partitions.length } : {}),
  };
}

const key = (schema: string, name: string) => `${schema}\u0000${name}`;

export function buildSchemaIndex(info: SchemaInfo, now = new Date()): SchemaIndex {
  const schemas = info.schemas;
  const facts = typeFacts(schemas);
  // Partitions listed beside their parent are folded into it (the parent carries their keys and rows).
  const partitions = new Set<string>();
  for (const s of schemas) {
    for (const rel of s.relations) {
      for (const p of rel.partitions) {
        const dot = p.indexOf('.');
        partitions.add(
          dot > 0 && !p.startsWith('"') ? key(p.slice(0, dot), p.slice(dot + 1)) : key(s.name, p),
        );
      }
    }
  }
  const relations: IndexedRelation[] = [];
  for (const s of schemas) {
    for (const rel of s.relations) {
      if (!partitions.has(key(s.name, rel.name))) relations.push(indexRelation(s.name, rel, facts));
    }
  }
  const position = new Map(relations.map((r, i) => [key(r.schema, r.name), i]));
  for (const r of relations) {
    for (const fk of r.fks) {
      const target = position.get(key(fk.schema, fk.table));
      if (target !== undefined) fk.target = target;
    }
  }
  return {
    format: INDEX_FORMAT,
    database: info.database,
    serverVersion: info.serverVersion,
    relations,
    truncated: info.truncated,
    builtAt: now.toISOString(),
  };
}

import type { RelationInfo, SchemaInfo } from '../../lib/postgres/inspect.js';
import { findRelation, relationLine, summarizeSchema } from '../../lib/model/schema.js';

function rel(name: string, extra: Partial<RelationInfo> = {}): RelationInfo {
  return {
    name,
    kind: 'table',
    comment: null,
    rowEstimate: 1200,
    columns: [
      { name: 'id', type: 'integer', nullable: false, default: null, comment: null },
      { name: 'label', type: 'text', nullable: true, default: null, comment: 'Shown   in the UI' },
    ],
    primaryKey: { name: `${name}_pkey`, columns: ['id'] },
    foreignKeys: [],
    uniqueConstraints: [],
    checkConstraints: [],
    exclusionConstraints: [],
    indexes: [],
    partitionKey: null,
    partitions: [],
    ...extra,
  };
}

function info(relations: RelationInfo[], extra: Partial<SchemaInfo> = {}): SchemaInfo {
  return {
    database: 'shop',
    serverVersion: '17',
    role: { name: 'reader', superuser: false, replication: false, memberOf: [] },
    schemas: [{ name: 'public', comment: null, relations, enums: [], domains: [] }],
    relationCount: relations.length,
    truncated: false,
    maxRelations: 5000,
    nextCursor: null,
    ...extra,
  };
}

describe('schema summary', () => {
  it('describes a relation on one line with keys, foreign keys and comments', () => {
    const line = relationLine(
      'public',
      rel('orders', {
        comment: 'One row\nper order',
        rowEstimate: 1_500_000,
        columns: [
          { name: 'id', type: 'bigint', nullable: false, default: null, comment: null },
          { name: 'customer_id', type: 'integer', nullable: false, default: null, comment: null },
          { name: 'a', type: 'int', nullable: true, default: null, comment: null },
          { name: 'b', type: 'int', nullable: true, default: null, comment: null },
        ],
        foreignKeys: [
          {
            name: 'fk1',
            columns: ['customer_id'],
            references: { schema: 'public', table: 'customers', columns: ['id'] },
            onUpdate: 'NO ACTION',
            onDelete: 'CASCADE',
            deferrable: false,
            initiallyDeferred: false,
          },
          {
            name: 'fk2',
            columns: ['a', 'b'],
            references: { schema: 'x', table: 'pairs', columns: ['a', 'b'] },
            onUpdate: 'NO ACTION',
            onDelete: 'NO ACTION',
            deferrable: false,
            initiallyDeferred: false,
          },
        ],
      }),
    );
    expect(line).toBe(
      '- public.orders (table, ~1.5M rows) -- One row per order: id bigint PK, customer_id integer NOT NULL → public.customers.id, a int, b int; FK (a, b) → x.pairs(a, b)',
    );
  });

  it('lists everything when it fits', () => {
    const s = summarizeSchema(info([rel('a'), rel('b', { kind: 'materialized_view', rowEstimate: null })]));
    expect(s.split('\n')).toEqual([
      '- public.a (table, ~1200 rows): id integer PK, label text -- Shown in the UI',
      '- public.b (materialized view): id integer PK, label text -- Shown in the UI',
    ]);
  });

  it('cuts a large schema to the budget, names the rest, and points at describe_table', () => {
    const many = Array.from({ length: 400 }, (_, i) => rel(`table_${String(i).padStart(3, '0')}`));
    const s = summarizeSchema(info(many, { truncated: true }), 4_000);
    expect(s.length).toBeLessThanOrEqual(4_000);
    expect(s).toContain('- public.table_000 (table');
    expect(s).toContain('Other relations (columns not shown): public.table_');
    expect(s).toMatch(/… and \d+\+ more relations not listed\./);
    expect(s).toContain('describe_table');
  });

  it('says when nothing is visible', () => {
    expect(summarizeSchema(info([]))).toContain('no tables');
  });

  it('finds a relation by exact, then case-folded name, optionally in a schema', () => {
    const schema = info([rel('orders'), rel('MixedCase')]);
    schema.schemas.push({
      name: 'audit',
      comment: null,
      relations: [rel('orders', { rowEstimate: 7 })],
      enums: [],
      domains: [],
    });
    expect(findRelation(schema, undefined, 'ORDERS')?.schema).toBe('public');
    expect(findRelation(schema, 'audit', 'orders')?.rowEstimate).toBe(7);
    expect(findRelation(schema, undefined, 'MixedCase')?.name).toBe('MixedCase');
    expect(findRelation(schema, undefined, 'mixedcase')?.name).toBe('MixedCase');
    expect(findRelation(schema, 'public', 'missing')).toBeUndefined();
  });
});

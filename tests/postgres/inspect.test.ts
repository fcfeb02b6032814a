import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { inspectSchema, type RelationInfo, type SchemaInfo } from '../../lib/postgres/inspect.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let conn: ConnectionConfig;
let schema: SchemaInfo;

const FIXTURE = `
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'The shop';
CREATE TABLE shop.warehouses (region text, code text, city text NOT NULL, PRIMARY KEY (region, code));
COMMENT ON TABLE shop.warehouses IS 'Where stock is kept';
CREATE TABLE shop.stock (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  wh text NOT NULL,
  region text NOT NULL,
  qty integer DEFAULT 0,
  note varchar(40),
  price numeric(10,2),
  tags text[],
  FOREIGN KEY (region, wh) REFERENCES shop.warehouses (region, code) ON DELETE CASCADE
);
COMMENT ON COLUMN shop.stock.qty IS 'Units on hand';
CREATE INDEX stock_note_idx ON shop.stock (lower(note), qty);
CREATE TABLE shop.events (id integer, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO shop.events SELECT g, DATE '2024-06-01' + g, 'k' FROM generate_series(1, 300) g;
ANALYZE shop.events_2024; ANALYZE shop.events_2025;
CREATE TABLE shop.event_refs (event_id integer, event_at date, FOREIGN KEY (event_id, event_at) REFERENCES shop.events (id, at));
CREATE VIEW shop.stock_view AS SELECT s.id, w.city FROM shop.stock s JOIN shop.warehouses w ON (w.region, w.code) = (s.region, s.wh);
COMMENT ON VIEW shop.stock_view IS 'Stock with its city';
CREATE MATERIALIZED VIEW shop.stock_totals AS SELECT region, sum(qty) AS total FROM shop.stock GROUP BY region;
CREATE TABLE shop.never_analyzed (x integer);
INSERT INTO shop.never_analyzed SELECT generate_series(1, 10);
CREATE TABLE shop.analyzed (x integer);
INSERT INTO shop.analyzed SELECT generate_series(1, 100);
ANALYZE shop.analyzed;
CREATE TABLE shop.partial (visible integer, hidden text);
CREATE TABLE shop.private_table (x integer);
CREATE SCHEMA secret;
CREATE TABLE secret.hidden (x integer);
`;

const rel = (s: SchemaInfo, schemaName: string, name: string): RelationInfo | undefined =>
  s.schemas.find((x) => x.name === schemaName)?.relations.find((r) => r.name === name);

beforeAll(async () => {
  db = await createTestDatabase('inspect');
  conn = parsePostgresUrl(db.url, 'disable');
  await db.query(FIXTURE);
  // The operator's switch: a superuser sees everything (by default a privileged role is refused).
  schema = await inspectSchema(conn, { allowPrivileged: true });
});
afterAll(async () => {
  await db?.drop();
});

describe('inspectSchema as a superuser', () => {
  it('lists user schemas only, with comments', () => {
    const names = schema.schemas.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['public', 'shop', 'secret']));
    expect(names.some((n) => n.startsWith('pg_') || n === 'information_schema')).toBe(false);
    expect(schema.schemas.find((s) => s.name === 'shop')!.comment).toBe('The shop');
    expect(schema.database).toBe(db.name);
    expect(schema.role.superuser).toBe(true);
    expect(schema.truncated).toBe(false);
  });

  it('lists tables, views, materialized views and partitioned tables, but not partitions', () => {
    const shop = schema.schemas.find((s) => s.name === 'shop')!;
    const kinds = Object.fromEntries(shop.relations.map((r) => [r.name, r.kind]));
    expect(kinds).toEqual({
      analyzed: 'table',
      event_refs: 'table',
      events: 'partitioned_table',
      never_analyzed: 'table',
      partial: 'table',
      private_table: 'table',
      stock: 'table',
      stock_totals: 'materialized_view',
      stock_view: 'view',
      warehouses: 'table',
    });
  });

  it('describes columns with exact types, defaults, nullability and comments', () => {
    const stock = rel(schema, 'shop', 'stock')!;
    expect(stock.columns).toEqual([
      { name: 'id', type: 'bigint', nullable: false, default: 'GENERATED ALWAYS AS IDENTITY', comment: null },
      { name: 'wh', type: 'text', nullable: false, default: null, comment: null },
      { name: 'region', type: 'text', nullable: false, default: null, comment: null },
      { name: 'qty', type: 'integer', nullable: true, default: '0', comment: 'Units on hand' },
      { name: 'note', type: 'character varying(40)', nullable: true, default: null, comment: null },
      { name: 'price', type: 'numeric(10,2)', nullable: true, default: null, comment: null },
      { name: 'tags', type: 'text[]', nullable: true, default: null, comment: null },
    ]);
    expect(rel(schema, 'shop', 'warehouses')!.comment).toBe('Where stock is kept');
    expect(rel(schema, 'shop', 'stock_view')!.comment).toBe('Stock with its city');
  });

  it('gives composite primary keys and multi-column foreign keys in key order', () => {
    expect(rel(schema, 'shop', 'warehouses')!.primaryKey).toEqual({
      name: 'warehouses_pkey',
      columns: ['region', 'code'],
    });
    expect(rel(schema, 'shop', 'stock')!.foreignKeys).toEqual([
      {
        name: 'stock_region_wh_fkey',
        columns: ['region', 'wh'],
        references: { schema: 'shop', table: 'warehouses', columns: ['region', 'code'] },
        onUpdate: 'NO ACTION',
        onDelete: 'CASCADE',
        deferrable: false,
        initiallyDeferred: false,
      },
    ]);
  });

  it('lists one foreign key to a partitioned table (not one per partition)', () => {
    const fks = rel(schema, 'shop', 'event_refs')!.foreignKeys;
    expect(fks).toHaveLength(1);
    expect(fks[0]!.references).toEqual({ schema: 'shop', table: 'events', columns: ['id', 'at'] });
  });

  it('lists indexes with their columns and expressions', () => {
    const idx = rel(schema, 'shop', 'stock')!.indexes;
    expect(idx.map((i) => i.name).sort()).toEqual(['stock_note_idx', 'stock_pkey']);
    const note = idx.find((i) => i.name === 'stock_note_idx')!;
    expect(note).toMatchObject({ unique: false, primary: false, method: 'btree' });
    expect(note.columns).toEqual([expect.stringMatching(/^lower\(\(?note\)?::text\)$/), 'qty']);
    expect(note.definition).toMatch(/^CREATE INDEX stock_note_idx ON shop\.stock/);
    expect(idx.find((i) => i.name === 'stock_pkey')).toMatchObject({
      columns: ['id'],
      unique: true,
      primary: true,
    });
  });

  it('gives row estimates: null when never analyzed, the partitions sum for a partitioned table', () => {
    expect(rel(schema, 'shop', 'never_analyzed')!.rowEstimate).toBeNull();
    expect(rel(schema, 'shop', 'analyzed')!.rowEstimate).toBe(100);
    expect(rel(schema, 'shop', 'events')!.rowEstimate).toBe(300);
    expect(rel(schema, 'shop', 'stock_view')!.rowEstimate).toBeNull();
  });

  it('caps the number of relations and says so', async () => {
    const capped = await inspectSchema(conn, { maxRelations: 3, allowPrivileged: true });
    expect(capped.truncated).toBe(true);
    expect(capped.relationCount).toBe(3);
    expect(capped.schemas.reduce((n, s) => n + s.relations.length, 0)).toBe(3);
    expect(capped.nextCursor).toEqual(expect.any(String));
    expect(schema.nextCursor).toBeNull();
  });

  it('pages past the cap with the cursor: every relation once, in order', async () => {
    const all = schema.schemas.flatMap((s) => s.relations.map((r) => `${s.name}.${r.name}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const part = await inspectSchema(conn, { maxRelations: 4, cursor, allowPrivileged: true });
      seen.push(...part.schemas.flatMap((s) => s.relations.map((r) => `${s.name}.${r.name}`)));
      if (!part.nextCursor) break;
      expect(part.truncated).toBe(true);
      cursor = part.nextCursor;
    }
    expect(seen).toEqual(all);
  });

  it('filters by schema, and pages within it', async () => {
    const shop = await inspectSchema(conn, { schema: 'shop', maxRelations: 6, allowPrivileged: true });
    expect(shop.schemas.map((s) => s.name)).toEqual(['shop']);
    const rest = await inspectSchema(conn, {
      schema: 'shop',
      cursor: shop.nextCursor!,
      allowPrivileged: true,
    });
    expect(rest.schemas.map((s) => s.name)).toEqual(['shop']);
    const names = [...shop.schemas[0]!.relations, ...rest.schemas[0]!.relations].map((r) => r.name);
    expect(names).toEqual(schema.schemas.find((s) => s.name === 'shop')!.relations.map((r) => r.name));
    expect(rest.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not make', async () => {
    await expect(inspectSchema(conn, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
      code: 'IncorrectSignature',
      details: { field: 'cursor' },
    });
  });
});

describe('inspectSchema as a limited role', () => {
  it('shows only what the role may read', async () => {
    const role = await db.createRole('reader', 'reader-pass');
    await db.query(`
      GRANT USAGE ON SCHEMA shop TO ${role.name};
      GRANT SELECT ON shop.stock, shop.warehouses TO ${role.name};
      GRANT SELECT (visible) ON shop.partial TO ${role.name};
      GRANT SELECT ON secret.hidden TO ${role.name};
    `);
    const limited = await inspectSchema(parsePostgresUrl(role.url, 'disable'));
    expect(limited.role).toEqual({ name: role.name, superuser: false, replication: false, memberOf: [] });
    expect(limited.schemas.map((s) => s.name)).not.toContain('secret'); // no USAGE on the schema
    const shop = limited.schemas.find((s) => s.name === 'shop')!;
    expect(shop.relations.map((r) => r.name)).toEqual(['partial', 'stock', 'warehouses']);
    expect(rel(limited, 'shop', 'partial')!.columns.map((c) => c.name)).toEqual(['visible']);
  });
});

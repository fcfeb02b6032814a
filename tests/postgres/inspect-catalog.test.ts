/**
 * inspectSchema against what pg_catalog says, on a schema with the shapes real databases have (Pagila's
 * partitioned `payment` with keys only on its partitions, Lago's enums, MusicBrainz's CHECK value lists,
 * domains, exclusion constraints, NULLS NOT DISTINCT, deferrable keys) and a role that may read only some
 * columns. The expectations come from catalog queries written here, independently of lib/postgres.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { inspectSchema, type RelationInfo, type SchemaInfo } from '../../lib/postgres/inspect.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

let db: TestDatabase;
let conn: ConnectionConfig;
let schema: SchemaInfo;

const FIXTURE = `
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'Invoices and payments';
CREATE TYPE billing.invoice_status AS ENUM ('draft', 'open', 'paid', 'void');
COMMENT ON TYPE billing.invoice_status IS 'Lifecycle of an invoice';
CREATE TYPE billing.empty_enum AS ENUM ();
CREATE DOMAIN billing.positive_amount AS numeric(12,2) NOT NULL CONSTRAINT positive CHECK (VALUE > 0);
CREATE DOMAIN billing.small_amount AS billing.positive_amount CONSTRAINT small CHECK (VALUE < 1000);
CREATE DOMAIN billing.email AS text DEFAULT 'nobody@example.com' CONSTRAINT has_at CHECK (VALUE ~ '@');
COMMENT ON DOMAIN billing.email IS 'An address';

CREATE TABLE billing.customers (id int PRIMARY KEY, email billing.email,
  CONSTRAINT customers_email_key UNIQUE NULLS NOT DISTINCT (email));
CREATE TABLE billing.invoices (
  id int PRIMARY KEY,
  customer_id int,
  status text NOT NULL DEFAULT 'draft',
  amount billing.positive_amount,
  small billing.small_amount,
  state billing.invoice_status,
  contact billing.email,
  CONSTRAINT invoices_status_check CHECK (status = ANY (ARRAY['draft'::text, 'paid'::text])),
  CONSTRAINT invoices_customer_fkey FOREIGN KEY (customer_id) REFERENCES billing.customers (id)
    DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT invoices_id_status_key UNIQUE (id, status) DEFERRABLE
);
CREATE TABLE billing.bookings (room int, during tsrange,
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&));

CREATE TABLE billing.payments (id int NOT NULL, customer_id int NOT NULL, paid_on date NOT NULL, amount numeric)
  PARTITION BY RANGE (paid_on);
CREATE TABLE billing.payments_2024 PARTITION OF billing.payments FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE billing.payments_2025 PARTITION OF billing.payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE SCHEMA archive;
CREATE TABLE archive.payments_2023 PARTITION OF billing.payments FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
ALTER TABLE billing.payments_2024 ADD PRIMARY KEY (paid_on, id),
  ADD CONSTRAINT payments_2024_customer_fkey FOREIGN KEY (customer_id) REFERENCES billing.customers (id),
  ADD CONSTRAINT payments_2024_amount_check CHECK (amount >= 0);
ALTER TABLE billing.payments_2025 ADD PRIMARY KEY (paid_on, id),
  ADD CONSTRAINT payments_2025_customer_fkey FOREIGN KEY (customer_id) REFERENCES billing.customers (id),
  ADD CONSTRAINT payments_2025_amount_check CHECK (amount >= 0);
CREATE INDEX payments_2024_customer_idx ON billing.payments_2024 (customer_id);
CREATE INDEX payments_2025_customer_idx ON billing.payments_2025 (customer_id);
CREATE INDEX payments_paid_on_idx ON billing.payments (paid_on);

CREATE TABLE billing.accounts (
  id int PRIMARY KEY CHECK (id > 0),
  owner text,
  secret text CONSTRAINT accounts_secret_key UNIQUE CONSTRAINT accounts_secret_check CHECK (length(secret) > 3),
  customer_id int CONSTRAINT accounts_customer_fkey REFERENCES billing.customers (id),
  invoice_id int CONSTRAINT accounts_invoice_fkey REFERENCES billing.invoices (id),
  secret_customer int CONSTRAINT accounts_secret_customer_fkey REFERENCES billing.customers (id)
);
CREATE INDEX accounts_owner_idx ON billing.accounts (owner);
CREATE INDEX accounts_secret_expr_idx ON billing.accounts (lower(secret));
CREATE INDEX accounts_owner_partial_idx ON billing.accounts (owner) WHERE secret IS NOT NULL;
CREATE INDEX accounts_owner_incl_idx ON billing.accounts (owner) INCLUDE (secret);
`;

const rel = (s: SchemaInfo, schemaName: string, name: string): RelationInfo => {
  const found = s.schemas.find((x) => x.name === schemaName)?.relations.find((r) => r.name === name);
  if (!found) throw new Error(`${schemaName}.${name} is not in the inspect result`);
  return found;
};

beforeAll(async () => {
  db = await createTestDatabase('inspect_catalog');
  conn = parsePostgresUrl(db.url, 'disable');
  await db.query(FIXTURE);
  // The operator's switch: a superuser sees everything (by default a privileged role is refused).
  schema = await inspectSchema(conn, { allowPrivileged: true });
});
afterAll(async () => {
  await db?.drop();
});

/** What pg_catalog says each top-level relation carries, counting what its partitions declare. */
async function catalogConstraints(): Promise<Map<string, Record<string, string[]>>> {
  const { rows } = await db.query<{ relation: string; kind: string; signature: string }>(`
    SELECT rn.nspname || '.' || root.relname AS relation, con.contype AS kind,
           CASE con.contype
             WHEN 'f' THEN (SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(n, ord)
                             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.n)
                           || '->' || fn.nspname || '.' || fc.relname || '(' ||
                           (SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(con.confkey) WITH ORDINALITY u(n, ord)
                             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = u.n) || ')'
             WHEN 'c' THEN pg_get_constraintdef(con.oid)
             WHEN 'x' THEN pg_get_constraintdef(con.oid)
             ELSE (SELECT string_agg(a.attname, ',' ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(n, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.n)
           END AS signature
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_class root ON root.oid = COALESCE(pg_partition_root(c.oid), c.oid)
    JOIN pg_namespace rn ON rn.oid = root.relnamespace
    LEFT JOIN pg_class fc ON fc.oid = con.confrelid
    LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE rn.nspname IN ('billing', 'archive') AND con.contype IN ('p', 'f', 'u', 'c', 'x')
      AND NOT (con.contype IN ('p', 'f', 'u') AND con.conparentid <> 0)
      AND NOT (con.contype = 'c' AND NOT con.conislocal)`);
  const out = new Map<string, Record<string, string[]>>();
  for (const r of rows) {
    const entry = out.get(r.relation) ?? {};
    const list = (entry[r.kind] ??= []);
    if (!list.includes(r.signature)) list.push(r.signature);
    out.set(r.relation, entry);
  }
  for (const entry of out.values()) for (const list of Object.values(entry)) list.sort();
  return out;
}

/** The same signatures, from the inspect result. */
function inspectedConstraints(r: RelationInfo): Record<string, string[]> {
  const out: Record<string, string[]> = {
    p: r.primaryKey ? [r.primaryKey.columns.join(',')] : [],
    f: r.foreignKeys.map(
      (f) =>
        `${f.columns.join(',')}->${f.references.schema}.${f.references.table}(${f.references.columns.join(',')})`,
    ),
    u: r.uniqueConstraints.map((u) => u.columns.join(',')),
    c: r.checkConstraints.map((c) => c.expression),
    x: r.exclusionConstraints.map((x) => x.definition),
  };
  for (const k of Object.keys(out)) {
    out[k]!.sort();
    if (out[k]!.length === 0) delete out[k];
  }
  return out;
}

describe('inspect matches pg_catalog', () => {
  it('every relation carries the keys, checks and exclusions the catalog has for it and its partitions', async () => {
    const expected = await catalogConstraints();
    const listed = schema.schemas
      .filter((s) => s.name === 'billing' || s.name === 'archive')
      .flatMap((s) => s.relations.map((r) => [`${s.name}.${r.name}`, inspectedConstraints(r)] as const));
    expect(listed.map(([name]) => name).sort()).toEqual(
      [
        'billing.accounts',
        'billing.bookings',
        'billing.customers',
        'billing.invoices',
        'billing.payments',
      ].sort(),
    );
    for (const [name, got] of listed) expect({ name, ...got }).toEqual({ name, ...expected.get(name) });
  });

  it("folds the partitions' keys into the partitioned table and lists the partitions", () => {
    const payments = rel(schema, 'billing', 'payments');
    expect(payments.kind).toBe('partitioned_table');
    expect(payments.partitionKey).toBe('RANGE (paid_on)');
    expect(payments.partitions).toEqual(['archive.payments_2023', 'payments_2024', 'payments_2025']);
    expect(payments.primaryKey).toEqual({ name: 'payments_2024_pkey', columns: ['paid_on', 'id'] });
    expect(payments.foreignKeys).toEqual([
      {
        name: 'payments_2024_customer_fkey',
        columns: ['customer_id'],
        references: { schema: 'billing', table: 'customers', columns: ['id'] },
        onUpdate: 'NO ACTION',
        onDelete: 'NO ACTION',
        deferrable: false,
        initiallyDeferred: false,
      },
    ]);
    expect(payments.indexes.map((i) => [i.name, i.columns, i.primary])).toEqual([
      ['payments_paid_on_idx', ['paid_on'], false],
      ['payments_2024_customer_idx', ['customer_id'], false],
      ['payments_2024_pkey', ['paid_on', 'id'], true],
    ]);
    expect(rel(schema, 'billing', 'invoices').partitionKey).toBeNull();
    expect(rel(schema, 'billing', 'invoices').partitions).toEqual([]);
  });

  it('gives CHECK expressions, exclusion definitions, NULLS NOT DISTINCT and deferrable flags', () => {
    const invoices = rel(schema, 'billing', 'invoices');
    expect(invoices.checkConstraints).toEqual([
      {
        name: 'invoices_status_check',
        columns: ['status'],
        expression: "CHECK ((status = ANY (ARRAY['draft'::text, 'paid'::text])))",
      },
    ]);
    expect(invoices.foreignKeys[0]).toMatchObject({ deferrable: true, initiallyDeferred: true });
    expect(invoices.uniqueConstraints).toEqual([
      {
        name: 'invoices_id_status_key',
        columns: ['id', 'status'],
        nullsNotDistinct: false,
        deferrable: true,
        initiallyDeferred: false,
      },
    ]);
    const customers = rel(schema, 'billing', 'customers');
    expect(customers.uniqueConstraints[0]).toMatchObject({
      name: 'customers_email_key',
      nullsNotDistinct: true,
    });
    expect(customers.indexes.find((i) => i.name === 'customers_email_key')?.nullsNotDistinct).toBe(true);
    expect(rel(schema, 'billing', 'bookings').exclusionConstraints).toEqual([
      { name: 'bookings_no_overlap', definition: 'EXCLUDE USING gist (during WITH &&)' },
    ]);
  });

  it('types domain and enum columns by their own names; NOT NULL domains are not nullable', async () => {
    const { rows } = await db.query<{ name: string; type: string; nullable: boolean }>(`
      SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
             NOT a.attnotnull AND NOT EXISTS (
               WITH RECURSIVE up(oid) AS (SELECT a.atttypid UNION SELECT t.typbasetype FROM pg_type t JOIN up ON t.oid = up.oid WHERE t.typtype = 'd')
               SELECT 1 FROM up JOIN pg_type t ON t.oid = up.oid WHERE t.typtype = 'd' AND t.typnotnull) AS nullable
      FROM pg_attribute a WHERE a.attrelid = 'billing.invoices'::regclass AND a.attnum > 0 ORDER BY a.attnum`);
    const columns = rel(schema, 'billing', 'invoices').columns.map(({ name, type, nullable }) => ({
      name,
      type,
      nullable,
    }));
    expect(columns).toEqual(rows);
    expect(columns.filter((c) => !c.nullable).map((c) => c.name)).toEqual([
      'id',
      'status',
      'amount',
      'small',
    ]);
    expect(columns.find((c) => c.name === 'state')?.type).toBe('billing.invoice_status');
  });

  it('lists enums with their labels and domains with base types, defaults and checks', async () => {
    const billing = schema.schemas.find((s) => s.name === 'billing')!;
    const enums = await db.query<{ name: string; labels: string[] }>(`
      SELECT t.typname AS name, COALESCE(array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FILTER (WHERE e.oid IS NOT NULL), '{}') AS labels
      FROM pg_type t LEFT JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE t.typnamespace = 'billing'::regnamespace AND t.typtype = 'e' GROUP BY t.typname ORDER BY t.typname`);
    expect(billing.enums.map(({ name, labels }) => ({ name, labels }))).toEqual(enums.rows);
    expect(billing.enums.find((e) => e.name === 'invoice_status')?.comment).toBe('Lifecycle of an invoice');

    const domains = await db.query<{ name: string; base_type: string; default: string | null }>(`
      SELECT t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS base_type, t.typdefault AS "default"
      FROM pg_type t WHERE t.typnamespace = 'billing'::regnamespace AND t.typtype = 'd' ORDER BY t.typname`);
    expect(billing.domains.map((d) => ({ name: d.name, base_type: d.baseType, default: d.default }))).toEqual(
      domains.rows,
    );
    const byName = Object.fromEntries(billing.domains.map((d) => [d.name, d]));
    expect(byName.positive_amount).toMatchObject({
      baseType: 'numeric(12,2)',
      nullable: false,
      checks: [{ name: 'positive', expression: 'CHECK ((VALUE > (0)::numeric))' }],
    });
    expect(byName.small_amount).toMatchObject({ baseType: 'billing.positive_amount', nullable: false });
    expect(byName.email).toMatchObject({ nullable: true, comment: 'An address' });
  });
});

describe('a role that may read only some columns', () => {
  let limited: SchemaInfo;

  beforeAll(async () => {
    const role = await db.createRole('columns', 'columns-pass');
    await db.query(`
      GRANT USAGE ON SCHEMA billing TO ${role.name};
      GRANT SELECT (id, owner, customer_id, invoice_id) ON billing.accounts TO ${role.name};
      GRANT SELECT (id) ON billing.customers TO ${role.name};
    `);
    limited = await inspectSchema(parsePostgresUrl(role.url, 'disable'));
  });

  it('sees no key, check, foreign key or index that involves a column it cannot read', () => {
    const accounts = rel(limited, 'billing', 'accounts');
    expect(accounts.columns.map((c) => c.name)).toEqual(['id', 'owner', 'customer_id', 'invoice_id']);
    expect(accounts.primaryKey).toEqual({ name: 'accounts_pkey', columns: ['id'] });
    // invoices is not readable at all: a key pointing there would reveal it.
    expect(accounts.foreignKeys.map((f) => f.name)).toEqual(['accounts_customer_fkey']);
    expect(accounts.uniqueConstraints).toEqual([]);
    expect(accounts.checkConstraints.map((c) => c.name)).toEqual(['accounts_id_check']);
    expect(accounts.indexes.map((i) => i.name)).toEqual(['accounts_owner_idx', 'accounts_pkey']);
  });

  it('sees only the readable columns of a table it may partly read, and no unreadable relation', () => {
    const billing = limited.schemas.find((s) => s.name === 'billing')!;
    expect(billing.relations.map((r) => r.name)).toEqual(['accounts', 'customers']);
    const customers = rel(limited, 'billing', 'customers');
    expect(customers.columns.map((c) => c.name)).toEqual(['id']);
    expect(customers.uniqueConstraints).toEqual([]);
    expect(customers.indexes.map((i) => i.name)).toEqual(['customers_pkey']);
  });
});

/**
 * The local sample database: a small shop with related tables (one composite foreign key, a self reference),
 * comments, a view and a materialized view, a few thousand generated rows (seeded, so identical on every
 * machine), ANALYZE'd. Loaded once; the read-only role `semaia_reader` is what connectors log in as.
 */
import pg from 'pg';

const ident = (name: string) => '"' + name.replace(/"/g, '""') + '"';
const literal = (text: string) => "'" + text.replace(/'/g, "''") + "'";

/** Marker written last, in the same transaction as the data: its presence means the load completed. */
const MARKER = 'semaia_sample_version';
const VERSION = 1;

export const SAMPLE_SQL = `
SELECT setseed(0.42);

CREATE TABLE categories (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  parent_id integer REFERENCES categories (id)
);
COMMENT ON TABLE categories IS 'Product categories; a category may sit inside a parent category.';

CREATE TABLE customers (
  id serial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  full_name text NOT NULL,
  country char(2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE customers IS 'People who have an account in the shop.';
COMMENT ON COLUMN customers.country IS 'ISO 3166-1 alpha-2 country code.';

CREATE TABLE products (
  id serial PRIMARY KEY,
  sku varchar(20) NOT NULL UNIQUE,
  name text NOT NULL,
  category_id integer NOT NULL REFERENCES categories (id),
  price numeric(10, 2) NOT NULL CHECK (price >= 0),
  active boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE products IS 'Everything the shop sells.';
COMMENT ON COLUMN products.price IS 'Current list price in EUR.';

CREATE TABLE warehouses (
  code char(3) PRIMARY KEY,
  city text NOT NULL
);
COMMENT ON TABLE warehouses IS 'Places goods ship from.';

CREATE TABLE inventory (
  warehouse_code char(3) NOT NULL REFERENCES warehouses (code),
  product_id integer NOT NULL REFERENCES products (id),
  quantity integer NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (warehouse_code, product_id)
);
COMMENT ON TABLE inventory IS 'Stock per warehouse and product.';

CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  status text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')),
  ordered_at timestamptz NOT NULL
);
COMMENT ON TABLE orders IS 'One checkout by a customer.';
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_ordered_at_idx ON orders (ordered_at);

CREATE TABLE order_items (
  order_id integer NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no smallint NOT NULL,
  warehouse_code char(3) NOT NULL,
  product_id integer NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(10, 2) NOT NULL,
  PRIMARY KEY (order_id, line_no),
  FOREIGN KEY (warehouse_code, product_id) REFERENCES inventory (warehouse_code, product_id)
);
COMMENT ON TABLE order_items IS 'Lines of an order, each shipped from one warehouse''s stock.';
COMMENT ON COLUMN order_items.unit_price IS 'Price per unit when the order was placed, in EUR.';

INSERT INTO categories (name, parent_id) VALUES
  ('Books', NULL), ('Electronics', NULL), ('Home', NULL), ('Garden', NULL),
  ('Novels', 1), ('Cookbooks', 1), ('Phones', 2), ('Laptops', 2), ('Kitchen', 3), ('Tools', 4);

INSERT INTO warehouses (code, city) VALUES ('BER', 'Berlin'), ('LYS', 'Lyon'), ('MAD', 'Madrid');

INSERT INTO customers (email, full_name, country, created_at)
SELECT 'customer' || g || '@example.com',
       (ARRAY['Ada','Ben','Chloe','David','Elena','Farid','Greta','Hugo','Ines','Jonas'])[1 + g % 10] || ' ' ||
       (ARRAY['Schmidt','Martin','Garcia','Rossi','Novak','Jensen','Silva','Dubois'])[1 + (g * 7) % 8],
       (ARRAY['DE','FR','ES','IT','NL','PT','PL','SE'])[1 + (g * 3) % 8],
       timestamptz '2023-01-01 00:00:00+00' + (g * interval '17 hours')
FROM generate_series(1, 500) g;

INSERT INTO products (sku, name, category_id, price, active)
SELECT 'SKU-' || lpad(g::text, 5, '0'),
       (ARRAY['Classic','Deluxe','Compact','Smart','Eco','Pro'])[1 + g % 6] || ' ' ||
       (ARRAY['novel','cookbook','phone','laptop','pan','rake','lamp','kettle','drill','atlas'])[1 + g % 10],
       5 + g % 6,
       round((3 + random() * 400)::numeric, 2),
       g % 17 <> 0
FROM generate_series(1, 200) g;

INSERT INTO inventory (warehouse_code, product_id, quantity)
SELECT w.code, p.id, (random() * 120)::int
FROM warehouses w CROSS JOIN products p;

INSERT INTO orders (customer_id, status, ordered_at)
SELECT 1 + (random() * 499)::int,
       (ARRAY['pending','paid','shipped','delivered','delivered','delivered','cancelled'])[1 + (random() * 6)::int],
       timestamptz '2024-01-01 00:00:00+00' + random() * interval '540 days'
FROM generate_series(1, 2000) g;

INSERT INTO order_items (order_id, line_no, warehouse_code, product_id, quantity, unit_price)
SELECT o.id, l.line_no, (ARRAY['BER','LYS','MAD'])[1 + (o.id + l.line_no) % 3], p.id, 1 + (random() * 4)::int, p.price
FROM orders o
CROSS JOIN LATERAL generate_series(1, 1 + o.id % 4) AS l(line_no)
JOIN products p ON p.id = 1 + (o.id * 31 + l.line_no * 17) % 200;

CREATE VIEW customer_order_totals AS
SELECT c.id AS customer_id, c.full_name, c.country, count(DISTINCT o.id) AS orders,
       coalesce(sum(i.quantity * i.unit_price), 0) AS total_spent
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status <> 'cancelled'
LEFT JOIN order_items i ON i.order_id = o.id
GROUP BY c.id;
COMMENT ON VIEW customer_order_totals IS 'Orders and money spent per customer (cancelled orders excluded).';

CREATE MATERIALIZED VIEW monthly_revenue AS
SELECT date_trunc('month', o.ordered_at)::date AS month, count(DISTINCT o.id) AS orders,
       sum(i.quantity * i.unit_price) AS revenue
FROM orders o JOIN order_items i ON i.order_id = o.id
WHERE o.status <> 'cancelled'
GROUP BY 1;
COMMENT ON MATERIALIZED VIEW monthly_revenue IS 'Revenue per calendar month (UTC), refreshed on load.';
`;

async function connect(url: string, database?: string): Promise<pg.Client> {
  const u = new URL(url);
  if (database) u.pathname = '/' + encodeURIComponent(database);
  const client = new pg.Client({ connectionString: u.toString() });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function isLoaded(superuserUrl: string, database: string): Promise<boolean> {
  const client = await connect(superuserUrl, database);
  try {
    const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS loaded`, [`public.${MARKER}`]);
    return rows[0]?.loaded === true;
  } finally {
    await client.end();
  }
}

/**
 * Creates and fills `database` unless a completed load is already there, then (every start) makes sure the
 * read-only role exists with the given password and may only read.
 */
export async function loadSampleData(
  superuserUrl: string,
  database: string,
  reader: string,
  readerPassword: string,
): Promise<void> {
  const admin = await connect(superuserUrl);
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    const loaded = exists.rowCount ? await isLoaded(superuserUrl, database) : false;
    if (exists.rowCount && !loaded) await admin.query(`DROP DATABASE ${ident(database)} WITH (FORCE)`); // interrupted load
    if (!loaded) {
      await admin.query(`CREATE DATABASE ${ident(database)}`);
      const db = await connect(superuserUrl, database);
      try {
        await db.query('BEGIN');
        await db.query(SAMPLE_SQL);
        await db.query(
          `CREATE TABLE ${MARKER} (version integer NOT NULL); INSERT INTO ${MARKER} VALUES (${VERSION})`,
        );
        await db.query('COMMIT');
        await db.query('ANALYZE');
      } finally {
        await db.end();
      }
    }
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [reader]);
    const verb = role.rowCount ? 'ALTER' : 'CREATE';
    await admin.query(
      `${verb} ROLE ${ident(reader)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${literal(readerPassword)}`,
    );
    await admin.query(`ALTER ROLE ${ident(reader)} SET default_transaction_read_only = on`);
    await admin.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(reader)}`);
  } finally {
    await admin.end();
  }
  const db = await connect(superuserUrl, database);
  try {
    await db.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await db.query(`GRANT USAGE ON SCHEMA public TO ${ident(reader)}`);
    await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ident(reader)}`);
    await db.query(`REVOKE ALL ON ${MARKER} FROM ${ident(reader)}`);
  } finally {
    await db.end();
  }
}

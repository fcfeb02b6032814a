/** One relation per line, as the model reads it: quoting, types, keys, values, comments, cuts. */
import { relationLine, shortType, valueList } from '../../lib/model/schema/lines.js';
import { parseQualifiedName, qualifiedName, quoteIdent } from '../../lib/model/schema/quote.js';
import { buildSchemaIndex } from '../../lib/model/schema/relations.js';
import { checkValueList } from '../../lib/model/schema/values.js';
import { col, rel, schemaInfo } from '../support/schema-info.js';

const FULL = { columnComment: 60, comment: 100, maxChars: 4_000 };

const lineOf = (info: ReturnType<typeof schemaInfo>, name: string, opts = FULL) =>
  relationLine(
    buildSchemaIndex(info).relations.find((r) => r.name === name)!,
    opts,
  );

describe('identifier quoting', () => {
  it('quotes what SQL needs quoted, as quote_ident does', () => {
    expect(quoteIdent('orders')).toBe('orders');
    expect(quoteIdent('User')).toBe('"User"');
    expect(quoteIdent('first name')).toBe('"first name"');
    expect(quoteIdent('group')).toBe('"group"');
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('2019')).toBe('"2019"');
    expect(quoteIdent('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdent('bıgınt')).toBe('"bıgınt"');
    expect(quoteIdent('name')).toBe('name'); // unreserved keywords stay bare
    expect(qualifiedName('public', 'User')).toBe('public."User"');
  });

  it('reads qualified names back', () => {
    expect(parseQualifiedName('public."User"')).toEqual({ schema: 'public', name: 'User' });
    expect(parseQualifiedName('"My Schema"."a.b"')).toEqual({ schema: 'My Schema', name: 'a.b' });
    expect(parseQualifiedName('orders')).toEqual({ name: 'orders' });
    expect(parseQualifiedName('a.b.c')).toBeUndefined();
  });

  it('quotes odd identifiers everywhere in a line: relation, columns, FK targets', () => {
    const info = schemaInfo({
      public: [
        rel(
          'User',
          [col('id'), col('first name', 'text'), col('group', 'text'), col('Team', 'integer')],
          {},
          {
            Team: 'Sales Ops.Teams',
          },
        ),
      ],
      'Sales Ops': [rel('Teams')],
    });
    expect(lineOf(info, 'User')).toBe(
      '- public."User": id int PK, "first name" text, "group" text, "Team" int → "Sales Ops"."Teams".id',
    );
  });
});

describe('relation lines', () => {
  it('carries keys, FK arrows, row estimates, comments, short types and multi-column keys', () => {
    const info = schemaInfo({
      sales: [
        rel(
          'orders',
          [
            col('id', 'bigint', { nullable: false }),
            col('customer_id', 'integer', { comment: 'Who  ordered\nit' }),
            col('placed_at', 'timestamp with time zone'),
            col('note', 'character varying(80)'),
            col('a', 'integer'),
            col('b', 'integer'),
          ],
          {
            comment: 'One row\nper order',
            rowEstimate: 1_500_000,
            foreignKeys: [
              {
                name: 'fk_pair',
                columns: ['a', 'b'],
                references: { schema: 'x', table: 'pairs', columns: ['a', 'b'] },
                onUpdate: 'NO ACTION',
                onDelete: 'NO ACTION',
                deferrable: false,
                initiallyDeferred: false,
              },
            ],
          },
        ),
      ],
    });
    info.schemas[0]!.relations[0]!.foreignKeys.push({
      name: 'fk_customer',
      columns: ['customer_id'],
      references: { schema: 'sales', table: 'customers', columns: ['id'] },
      onUpdate: 'NO ACTION',
      onDelete: 'CASCADE',
      deferrable: false,
      initiallyDeferred: false,
    });
    expect(lineOf(info, 'orders')).toBe(
      '- sales.orders (~1.5M rows) -- One row per order: id bigint PK, customer_id int → sales.customers.id ' +
        '/*Who ordered it*/, placed_at timestamptz, note varchar(80), a int, b int; FK (a, b) → x.pairs(a, b)',
    );
  });

  it('shows enum labels, CHECK value lists and domain base types (inspect contract fields)', () => {
    const info = schemaInfo(
      {
        billing: [
          rel(
            'invoices',
            [
              col('id'),
              col('status', 'billing.invoice_status'),
              col('kind', 'text'),
              col('amount', 'money_cents'),
              col('channel', 'channel_code'),
              col('tags', 'billing.invoice_status[]'),
            ],
            {
              checkConstraints: [
                {
                  name: 'invoices_kind_check',
                  columns: ['kind'],
                  expression:
                    "CHECK ((kind = ANY (ARRAY['one_off'::text, 'subscription'::text, 'credit note'::text])))",
                },
                { name: 'positive', columns: ['amount'], expression: 'CHECK ((amount >= 0))' },
              ],
            },
          ),
        ],
      },
      {
        billing: {
          enums: [{ name: 'invoice_status', labels: ['draft', 'finalized', 'voided'], comment: null }],
          domains: [
            {
              name: 'money_cents',
              baseType: 'bigint',
              nullable: false,
              default: null,
              checks: [],
              comment: null,
            },
            {
              name: 'channel_code',
              baseType: 'text',
              nullable: true,
              default: null,
              checks: [{ name: 'c', expression: "CHECK (((VALUE = 'web'::text) OR (VALUE = 'api'::text)))" }],
              comment: null,
            },
          ],
        },
      },
    );
    expect(lineOf(info, 'invoices')).toBe(
      '- billing.invoices: id int PK, status billing.invoice_status {draft,finalized,voided}, kind text ' +
        "{one_off,subscription,'credit note'}, amount bigint, channel text {web,api}, tags " +
        'billing.invoice_status[] {draft,finalized,voided}',
    );
  });

  it('caps long value lists', () => {
    const many = Array.from({ length: 30 }, (_, i) => `v${i}`);
    expect(valueList(many)).toBe('{v0,v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11,…+18}');
    expect(valueList(["it's", 'a,b'])).toBe("{'it''s','a,b'}");
  });

  it('parses the CHECK spellings PostgreSQL prints', () => {
    expect(
      checkValueList(
        "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))",
      ),
    ).toEqual(['a', 'b']);
    expect(checkValueList('CHECK ((level = ANY (ARRAY[1, 2, 3])))')).toEqual(['1', '2', '3']);
    expect(checkValueList("CHECK ((upper((gender)::text) = ANY (ARRAY['M'::text, 'F'::text])))")).toEqual([
      'M',
      'F',
    ]);
    expect(checkValueList('CHECK ((rating >= 1) AND (rating <= 5))')).toBeUndefined();
    expect(checkValueList("CHECK ((kind = 'x'::text) OR (kind = 'y'::text))")).toEqual(['x', 'y']);
  });

  it('shortens types the way PostgreSQL accepts them', () => {
    expect(shortType('character varying(50)[]')).toBe('varchar(50)[]');
    expect(shortType('timestamp(3) without time zone')).toBe('timestamp(3)');
    expect(shortType('double precision')).toBe('float8');
    expect(shortType('"Name"')).toBe('"Name"');
  });

  it('says what a partitioned table is, and cuts a very wide table keeping keys and asked-about columns', () => {
    const wide = [
      col('id'),
      ...Array.from({ length: 300 }, (_, i) => col(`c${i}`, 'text')),
      col('total_due', 'numeric'),
    ];
    const info = schemaInfo({
      public: [
        rel('events', [col('id'), col('at', 'timestamp with time zone')], {
          kind: 'partitioned_table',
          rowEstimate: 20_000,
          partitionKey: 'RANGE (at)',
          partitions: ['events_2024', 'events_2025'],
        }),
        rel('wide', wide),
      ],
    });
    expect(lineOf(info, 'events')).toBe(
      '- public.events (partitioned table, ~20k rows, 2 partitions): id int PK, at timestamptz',
    );
    const index = buildSchemaIndex(info).relations.find((r) => r.name === 'wide')!;
    const line = relationLine(index, {
      columnComment: 0,
      comment: 80,
      maxChars: 800,
      keep: new Set(['total_due']),
    });
    expect(line.length).toBeLessThanOrEqual(800);
    expect(line).toMatch(/^- public.wide: id int PK, c0 text, c1 text, /);
    expect(line).toContain(', total_due numeric, …+');
    expect(line).toMatch(/…\+\d+ columns$/);
  });
});

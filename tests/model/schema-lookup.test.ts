/** describe_table and search_schema answered from the index, and the words behind the ranking. */
import { schemaContextFrom } from '../../lib/model/schema.js';
import { prepareRanking } from '../../lib/model/schema/rank.js';
import { buildSchemaIndex } from '../../lib/model/schema/relations.js';
import { WordSplitter } from '../../lib/model/schema/terms.js';
import { questionStems, splitWords, stem } from '../../lib/model/schema/words.js';
import { col, rel, schemaInfo } from '../support/schema-info.js';

const info = schemaInfo({
  public: [
    rel(
      'rental',
      [col('id'), col('rental_date', 'timestamp with time zone'), col('customer_id')],
      { rowEstimate: 16_000 },
      {
        customer_id: 'public.customer',
      },
    ),
    rel('customer', [col('id'), col('first_name', 'text'), col('last_name', 'text')], { rowEstimate: 600 }),
    rel(
      'payment',
      [col('id'), col('rental_id'), col('amount', 'numeric')],
      { rowEstimate: 16_000, comment: 'Money received' },
      {
        rental_id: 'public.rental',
      },
    ),
    rel('Order Lines', [col('id'), col('Qty', 'integer')]),
  ],
  legacy: [
    rel('rental', [col('id'), col('rental_date', 'timestamp with time zone'), col('customer_id')], {
      kind: 'view',
    }),
  ],
});
const ctx = schemaContextFrom(prepareRanking(buildSchemaIndex(info)));

describe('describe_table', () => {
  it('returns the candidates when a name exists in several schemas, the table first', () => {
    const out = ctx.describe(undefined, 'rental');
    expect(out.error).toBe(
      'Several relations are named rental: call describe_table again with one of these schemas',
    );
    expect(out.candidates).toEqual([
      { relation: 'public.rental', schema: 'public', kind: 'table', rowEstimate: 16_000 },
      { relation: 'legacy.rental', schema: 'legacy', kind: 'view', rowEstimate: null },
    ]);
  });

  it('describes one relation in full with a schema (argument or qualified name), with referencing tables', () => {
    const a = ctx.describe('public', 'rental');
    const b = ctx.describe(undefined, 'public.rental');
    expect(a).toEqual(b);
    expect(a.table).toMatchObject({
      relation: 'public.rental',
      kind: 'table',
      rowEstimate: 16_000,
      primaryKey: ['id'],
      foreignKeys: ['(customer_id) → public.customer(id)'],
      referencedBy: ['public.payment(rental_id)'],
    });
    expect((a.table as any).columns[1]).toEqual({
      name: 'rental_date',
      type: 'timestamp with time zone',
      nullable: true,
    });
    expect(ctx.describe('legacy', 'rental').table).toMatchObject({ relation: 'legacy.rental', kind: 'view' });
  });

  it('finds quoted names exactly or case-folded, and says when nothing matches', () => {
    expect(ctx.describe(undefined, '"Order Lines"').table).toMatchObject({
      relation: 'public."Order Lines"',
    });
    expect(ctx.describe(undefined, 'order lines').table).toMatchObject({ relation: 'public."Order Lines"' });
    expect(ctx.describe('public', 'CUSTOMER').table).toMatchObject({ relation: 'public.customer' });
    expect(ctx.describe('nope', 'customer')).toEqual({ error: 'No table or view named nope.customer' });
  });

  it('stays within its budget on a very wide table', () => {
    const wide = schemaInfo({
      public: [
        rel(
          'wide',
          Array.from({ length: 400 }, (_, i) => col(`column_${i}`, 'text', { comment: 'x'.repeat(50) })),
        ),
      ],
    });
    const out = schemaContextFrom(prepareRanking(buildSchemaIndex(wide))).describe(undefined, 'wide', 3_000);
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(3_000);
    expect((out.table as any).note).toMatch(/^\d+ more columns not shown$/);
  });
});

describe('search_schema', () => {
  it('ranks by keywords like the context, with the detail asked for', () => {
    const out = ctx.search({ query: 'money received for rentals', detail: 'names' });
    expect((out.relations as string[]).slice(0, 2)).toEqual(['public.payment', 'public.rental']);
    const summary = ctx.search({ query: 'payments' });
    expect((summary.relations as string[])[0]).toBe(
      'public.payment (table) -- Money received: id int, rental_id int, amount numeric',
    );
    const full = ctx.search({ query: 'payments', detail: 'full' });
    expect((full.relations as string[])[0]).toBe(
      '- public.payment (~16k rows) -- Money received: id int PK, rental_id int → public.rental.id, amount numeric',
    );
  });

  it('matches patterns against relation and column names, optionally in one schema', () => {
    expect(ctx.search({ query: '%rental%', detail: 'names' }).relations).toEqual([
      'public.rental',
      'public.payment',
      'legacy.rental',
    ]);
    expect(ctx.search({ query: 'rent*', schema: 'legacy', detail: 'names' }).relations).toEqual([
      'legacy.rental',
    ]);
    expect(ctx.search({ query: '%qty%', detail: 'names' }).relations).toEqual(['public."Order Lines"']);
    expect(ctx.search({ query: 'zebra' })).toMatchObject({ matches: 0, relations: [] });
  });

  it('stays within its budget and says how many more there are', () => {
    const many = schemaInfo({
      public: Array.from({ length: 300 }, (_, i) =>
        rel(`order_part_${i}`, [col('id'), col('order_total', 'numeric')]),
      ),
    });
    const out = schemaContextFrom(prepareRanking(buildSchemaIndex(many))).search({ query: 'order' }, 2_000);
    expect(JSON.stringify(out).length).toBeLessThanOrEqual(2_000);
    expect(out.matches).toBe(300);
    expect(out.note).toMatch(/^\d+ more not shown: narrow the query or name a schema$/);
  });
});

describe('words', () => {
  it('stems plurals and verb forms to one word', () => {
    for (const [a, b] of [
      ['orders', 'order'],
      ['categories', 'category'],
      ['hired', 'hire'],
      ['shipping', 'ships'],
      ['people', 'person'],
      ['addresses', 'address'],
      ['taxes', 'tax'],
    ]) {
      expect(stem(a!)).toBe(stem(b!));
    }
    expect(stem('status')).toBe('status');
    expect(stem('business')).toBe('business');
  });

  it('splits snake_case, camelCase and digits, and drops question filler', () => {
    expect(splitWords('SalesOrderID')).toEqual(['sales', 'order', 'id']);
    expect(splitWords('first_name')).toEqual(['first', 'name']);
    expect(splitWords('HTTPServer2024')).toEqual(['http', 'server', '2024']);
    expect(questionStems('How many orders did we ship per country?')).toEqual(['order', 'ship', 'countri']);
  });

  it('splits run-together names with known words, and leaves real words alone', () => {
    const splitter = new WordSplitter(['sales', 'order', 'header', 'date', 'hired', 'business', 'entity']);
    expect(splitter.split('salesorderheader')).toEqual(['sales', 'order', 'header']);
    expect(splitter.split('hiredate')).toEqual(['hire', 'date']);
    expect(splitter.split('businessentityid')).toEqual(['business', 'entity', 'id']);
    expect(splitter.split('customer')).toBeUndefined();
    expect(splitter.split('xyzzyplugh')).toBeUndefined();
  });
});

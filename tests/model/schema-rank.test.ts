/** The model's schema context on crafted schemas: the right relations, their join paths, never alphabetical. */
import { historyQuery, schemaContextFrom } from '../../lib/model/schema.js';
import { prepareRanking, rankRelations } from '../../lib/model/schema/rank.js';
import { buildSchemaIndex } from '../../lib/model/schema/relations.js';
import { buildSummary } from '../../lib/model/schema/summary.js';
import type { Message } from '../../lib/types.js';
import { col, rel, schemaInfo } from '../support/schema-info.js';

// 80 unrelated tables whose names sort before the ones that matter.
const NOISE = [
  'accounts',
  'activities',
  'api_keys',
  'app_settings',
  'attachments',
  'audit_trail',
  'badges',
  'banners',
  'bookmarks',
  'branches',
  'campaign_clicks',
  'cities',
  'comments',
  'countries',
  'cron_jobs',
  'dashboards',
  'devices',
  'emails_sent',
  'experiments',
  'feature_flags',
  'feedback',
  'files',
  'folders',
  'groups',
].flatMap((n) => [n, `${n}_history`, `${n}_cache`].slice(0, (n.length % 3) + 1));

function crm() {
  const noise = NOISE.map((n) =>
    rel(n, [col('id'), col('label', 'text'), col('created_at', 'timestamp with time zone')]),
  );
  return schemaInfo({
    public: [
      ...noise,
      rel('customers', [col('id'), col('name', 'text'), col('email', 'text'), col('country', 'text')], {
        comment: 'People and companies we bill',
        rowEstimate: 40_000,
      }),
      rel(
        'subscriptions',
        [col('id'), col('customer_id'), col('plan_id'), col('started_at', 'date')],
        { rowEstimate: 50_000 },
        {
          customer_id: 'public.customers',
          plan_id: 'public.plans',
        },
      ),
      rel('plans', [col('id'), col('title', 'text'), col('monthly_price', 'numeric')], { rowEstimate: 12 }),
      rel(
        'invoices',
        [
          col('id'),
          col('subscription_id'),
          col('due_on', 'date'),
          col('amount', 'numeric'),
          col('paid', 'boolean'),
        ],
        { rowEstimate: 900_000 },
        {
          subscription_id: 'public.subscriptions',
        },
      ),
      rel('tags', [col('id'), col('tag', 'text')]),
      rel(
        'invoice_tags',
        [col('invoice_id'), col('tag_id')],
        { primaryKey: { name: 'pk', columns: ['invoice_id', 'tag_id'] } },
        {
          invoice_id: 'public.invoices',
          tag_id: 'public.tags',
        },
      ),
      rel(
        'events',
        [col('id'), col('at', 'timestamp with time zone'), col('customer_id')],
        {
          kind: 'partitioned_table',
          rowEstimate: 5_000_000,
          partitions: ['events_2024', 'events_2025'],
        },
        { customer_id: 'public.customers' },
      ),
      rel('events_2024', [col('id'), col('at', 'timestamp with time zone'), col('customer_id')]),
      rel('events_2025', [col('id'), col('at', 'timestamp with time zone'), col('customer_id')]),
    ],
    documentation: [
      rel(
        'invoices_example',
        [col('id'), col('invoice_id'), col('amount', 'numeric'), col('due_on', 'date')],
        { comment: 'Example invoices' },
      ),
    ],
    audit: [
      rel('invoices_log', [
        col('id'),
        col('invoice_id'),
        col('amount', 'numeric'),
        col('changed_at', 'timestamp with time zone'),
      ]),
    ],
  });
}

const ranked = prepareRanking(buildSchemaIndex(crm()));
const names = (order: number[]) =>
  order.map((i) => `${ranked.search.relations[i]!.schema}.${ranked.search.relations[i]!.name}`);
const fullLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => /^- (\S+?)[ :]/.exec(l)![1]!);

describe('ranking', () => {
  it('pulls the matched table and the join path to the customers', () => {
    const ranking = rankRelations(ranked, {
      question: 'Which invoices are overdue, and which customers owe them?',
    });
    const top = names(ranking.order).slice(0, 4);
    expect(top.slice(0, 2).sort()).toEqual(['public.customers', 'public.invoices']);
    expect(top).toContain('public.subscriptions'); // invoices → subscriptions → customers
    const summary = buildSummary(ranked, ranking, 2_500);
    expect(fullLines(summary.text).slice(0, 3).sort()).toEqual([
      'public.customers',
      'public.invoices',
      'public.subscriptions',
    ]);
  });

  it('brings a link table between two matched tables', () => {
    const top = names(rankRelations(ranked, { question: 'Which tags are on each invoice?' }).order).slice(
      0,
      3,
    );
    expect(top.sort()).toEqual(['public.invoice_tags', 'public.invoices', 'public.tags']);
  });

  it('ranks documentation and audit copies below the main schema', () => {
    const order = names(rankRelations(ranked, { question: 'invoice amounts and due dates' }).order);
    expect(order[0]).toBe('public.invoices');
    expect(order.indexOf('documentation.invoices_example')).toBeGreaterThan(order.indexOf('public.invoices'));
    expect(order.indexOf('audit.invoices_log')).toBeGreaterThan(order.indexOf('public.invoices'));
  });

  it('folds partitions into their parent', () => {
    const all = ranked.search.relations.map((r) => r.name);
    expect(all).toContain('events');
    expect(all).not.toContain('events_2024');
    expect(
      names(rankRelations(ranked, { question: 'customer events last month' }).order)
        .slice(0, 2)
        .sort(),
    ).toEqual(['public.customers', 'public.events']);
  });

  it('keeps the tables of the recent conversation in view for a follow-up', () => {
    const history: Message[] = [
      {
        id: 'm1',
        chatId: 'c',
        role: 'user',
        content: 'Total unpaid invoice amount?',
        createdAt: '',
        status: 'complete',
      },
      {
        id: 'm2',
        chatId: 'c',
        role: 'assistant',
        content: '42',
        createdAt: '',
        status: 'complete',
        queries: [{ sql: 'SELECT sum(amount) FROM public.invoices WHERE NOT paid', seq: 1, at: 0 }],
      },
    ];
    const order = names(
      rankRelations(ranked, { question: 'and per country?', ...historyQuery(history) }).order,
    );
    expect(order.slice(0, 3)).toContain('public.invoices');
    expect(order.slice(0, 3)).toContain('public.customers');
  });

  it('without a question, orders by the priors (centrality, size), never alphabetically', () => {
    const order = names(rankRelations(ranked, {}).order);
    expect(order.slice(0, 4).sort()).toEqual([
      'public.customers',
      'public.events',
      'public.invoices',
      'public.subscriptions',
    ]);
    expect(order.indexOf('public.accounts')).toBeGreaterThan(5);
  });
});

describe('the context text', () => {
  it('gives full lines first, then the next names, then a count, within the budget', () => {
    const ctx = schemaContextFrom(ranked, { question: 'overdue invoices per customer', budget: 2_000 });
    const lines = ctx.summary.split('\n');
    expect(ctx.summary.length).toBeLessThanOrEqual(2_000);
    expect(lines[0]).toBe(
      `${ranked.search.relations.length} relations, ranked by relevance to the conversation, most relevant first:`,
    );
    expect(lines[1]).toMatch(/^- public\.(invoices|customers) /);
    expect(lines.some((l) => l.startsWith('Next most relevant (columns not shown): '))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(
      /^… and \d+ more relations not listed: search_schema finds them\.$/,
    );
    // The names that follow are not alphabetical either: the link and lookup tables come before the noise.
    const next = lines
      .find((l) => l.startsWith('Next'))!
      .split(': ')[1]!
      .split(', ');
    expect(next.slice(0, 6)).not.toEqual([...next.slice(0, 6)].sort());
  });

  it('lists everything when it fits, and says when nothing is visible', () => {
    const small = prepareRanking(buildSchemaIndex(schemaInfo({ public: [rel('a'), rel('b')] })));
    expect(schemaContextFrom(small).summary.split('\n')).toEqual([
      '2 relations, the most central first:',
      '- public.a: id int PK',
      '- public.b: id int PK',
    ]);
    const none = prepareRanking(buildSchemaIndex(schemaInfo({ public: [] })));
    expect(schemaContextFrom(none).summary).toBe('(no tables or views are visible to this connection)');
  });
});

/**
 * The model's schema context through the real chat route over HTTP (shim, real handler and stores, real
 * PostgreSQL, the real SDK against the scripted Gemini server): what the model receives with the first
 * request for a question on a schema too large to show whole, search_schema and describe_table as tools.
 */
import { partsOf, startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import type { TestApi } from '../support/api.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import { readSse } from '../support/sse-client.js';

let bench: ModelApi;
let scripted: ScriptedGemini;
let api: TestApi;
let connectorId: string;

// 120 tables of 12 columns named before the ones that matter: alphabetically, the budget ends long before them.
const NOISE = Array.from({ length: 120 }, (_, i) => {
  const cols = Array.from({ length: 11 }, (_, k) => `attribute_${k} text`).join(', ');
  return `CREATE TABLE public.a_module_${String(i).padStart(3, '0')} (id int PRIMARY KEY, ${cols});`;
}).join('\n');

beforeAll(async () => {
  bench = await startModelApi('schema_context');
  ({ gemini: scripted, api } = bench);
  const { db } = bench;
  // A read-only role made before the fixture, so its default privileges cover every schema and table.
  const reader = await db.readerUrl();
  await db.query(`
    ${NOISE}
    CREATE TABLE public.customers (id int PRIMARY KEY, name text, email text);
    CREATE TABLE public.subscriptions (id int PRIMARY KEY, customer_id int REFERENCES customers(id), started_on date);
    CREATE TYPE public.invoice_status AS ENUM ('draft', 'open', 'paid', 'void');
    CREATE TABLE public.invoices (id int PRIMARY KEY, subscription_id int REFERENCES subscriptions(id),
      due_on date, amount numeric(12,2), status invoice_status);
    CREATE SCHEMA purchasing;
    CREATE TABLE purchasing.vendor (id int PRIMARY KEY, name text, credit_rating int);
    INSERT INTO purchasing.vendor VALUES (1, 'Acme', 1), (2, 'Globex', 2);
    CREATE TABLE public.rental (id int PRIMARY KEY, rented_at timestamptz);
    CREATE SCHEMA legacy;
    CREATE VIEW legacy.rental AS SELECT id, rented_at FROM public.rental;`);
  connectorId = await bench.addConnector('Big', reader);
});

afterAll(() => bench?.close());

beforeEach(() => scripted.reset());

async function chat(message: string) {
  const res = await api.fetch('POST', `/connectors/${connectorId}/chats`, { body: { message } });
  expect(res.status).toBe(200);
  return (await readSse(res)).events;
}

const systemOf = (i: number) => scripted.requests[i]!.body.systemInstruction!.parts![0]!.text as string;
const functionResponse = (i: number) =>
  (partsOf(scripted.requests[i]!.body).find((p) => p.functionResponse) as any).functionResponse;

describe('the schema context a chat sends the model', () => {
  it('holds the tables the question needs and their join path, with enum labels, on a schema too large to list', async () => {
    scripted.script({ chunks: ['ok'] });
    await chat('Which invoices are still open, and which customers owe them?');
    const lines = systemOf(0).split('\n');
    const line = (name: string) => lines.find((l) => l.startsWith(`- public.${name}`));
    expect(line('invoices')).toBe(
      '- public.invoices: id int PK, subscription_id int → public.subscriptions.id, due_on date, amount numeric(12,2), status invoice_status {draft,open,paid,void}',
    );
    expect(line('customers')).toBe('- public.customers: id int PK, name text, email text');
    // The three come first (not alphabetically); unrelated tables only fill what budget is left after them.
    const full = lines.flatMap((l) => /^- (\w+\.\w+)[ :]/.exec(l)?.[1] ?? []);
    expect(full.slice(0, 3).sort()).toEqual(['public.customers', 'public.invoices', 'public.subscriptions']);
    expect(systemOf(0)).toContain('call\nsearch_schema to find it');
    expect(systemOf(0)).toMatch(/… and \d+ more relations not listed: search_schema finds them\./);
  });

  it('lets the model call search_schema and gets ranked results back', async () => {
    scripted.script(
      {
        chunks: [
          { functionCall: { name: 'search_schema', args: { query: 'vendor credit rating' }, id: 's1' } },
        ],
      },
      { chunks: ['Found it.'] },
    );
    const events = await chat('Which suppliers have the best credit rating?');
    expect(events.map((e) => e.event)).toEqual(['chat', 'token', 'stored', 'done']);
    expect(functionResponse(1)).toMatchObject({
      id: 's1',
      name: 'search_schema',
      response: { relations: ['purchasing.vendor (table): id int, name text, credit_rating int'] },
    });
  });

  it('answers describe_table for an ambiguous name with the candidates', async () => {
    scripted.script(
      { chunks: [{ functionCall: { name: 'describe_table', args: { table: 'rental' }, id: 'd1' } }] },
      { chunks: ['Which one?'] },
    );
    await chat('Describe the rental table');
    expect(functionResponse(1).response).toEqual({
      error: 'Several relations are named rental: call describe_table again with one of these schemas',
      candidates: [
        { relation: 'public.rental', schema: 'public', kind: 'table', rowEstimate: null },
        { relation: 'legacy.rental', schema: 'legacy', kind: 'view', rowEstimate: null },
      ],
    });
  });
});

describe('the scripted model by default', () => {
  it('finds a table it was not shown with search_schema, then queries it', async () => {
    const echo = await startScriptedGemini({ echoDelayMs: 0 });
    process.env.GEMINI_BASE_URL = echo.url;
    try {
      const events = await chat('How many suppliers do we have?');
      const last = echo.requests[echo.requests.length - 1]!.body;
      const calls = partsOf(last).flatMap((p) => (p.functionCall ? [(p.functionCall as any).name] : []));
      expect(events.find((e) => e.event === 'query')!.json).toEqual({
        sql: 'SELECT count(*) AS count FROM purchasing.vendor',
      });
      expect(events.find((e) => e.event === 'rows')!.json.rows).toEqual([['2']]);
      expect(calls).toEqual(['search_schema', 'run_sql']);
    } finally {
      process.env.GEMINI_BASE_URL = scripted.url;
      await echo.close();
    }
  });
});

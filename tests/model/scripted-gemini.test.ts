/** The scripted Gemini server itself, through the real SDK: its default behaviour and the unary endpoint. */
import { GoogleGenAI } from '@google/genai';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';

let gemini: ScriptedGemini;
let ai: GoogleGenAI;
const model = 'gemini-2.5-flash';

beforeAll(async () => {
  gemini = await startScriptedGemini({ echoDelayMs: 0 });
  // A fetch of our own, as lib/model/stream.ts passes: without one the SDK installs an undici dispatcher from
  // Node's global realm, which jest's sandbox does not see ("Undici globalDispatcher is not available").
  ai = new GoogleGenAI({
    apiKey: 'k',
    httpOptions: { baseUrl: gemini.url, fetch: (input, init) => fetch(input, init) },
  });
});
afterAll(async () => {
  await gemini.close();
});
beforeEach(() => gemini.reset());

async function collect(params: Parameters<GoogleGenAI['models']['generateContentStream']>[0]) {
  const texts: string[] = [];
  const calls: unknown[] = [];
  for await (const chunk of await ai.models.generateContentStream(params)) {
    for (const p of chunk.candidates?.[0]?.content?.parts ?? []) {
      if (p.text) texts.push(p.text);
      if (p.functionCall) calls.push(p.functionCall);
    }
  }
  return { texts, calls };
}

const runSql = { functionDeclarations: [{ name: 'run_sql', parametersJsonSchema: { type: 'object' } }] };

describe('scripted Gemini defaults (no script queued)', () => {
  it('echoes a friendly reply word by word', async () => {
    const { texts } = await collect({ model, contents: 'hello there' });
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toContain('You said: "hello there"');
  });

  it('asks run_sql for a question about data, choosing a table named in the schema', async () => {
    const { calls } = await collect({
      model,
      contents: 'How many customers are there?',
      config: {
        systemInstruction: 'Database schema:\n- public.customers (table, ~3 rows): id integer PK',
        tools: [runSql],
      },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      name: 'run_sql',
      args: { sql: 'SELECT count(*) AS count FROM "public"."customers"' },
    });
  });

  it('lists tables when no known table is named, and summarizes a function response', async () => {
    const first = await collect({ model, contents: 'show me the data', config: { tools: [runSql] } });
    expect(String((first.calls[0] as any).args.sql)).toContain('information_schema.tables');
    const second = await collect({
      model,
      contents: [
        { role: 'user', parts: [{ text: 'show me the data' }] },
        { role: 'model', parts: [{ functionCall: first.calls[0] as any }] },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                name: 'run_sql',
                response: { columns: [{ name: 'n' }], rows: [[7]], rowCount: 1 },
              },
            },
          ],
        },
      ],
      config: { tools: [runSql] },
    });
    expect(second.texts.join('')).toContain(
      'The query returned 1 row with columns n. The first row is: n = 7.',
    );
  });

  it('searches the schema when the question names no table it was shown, then queries the best match', async () => {
    const tools = [
      {
        functionDeclarations: [
          { name: 'run_sql', parametersJsonSchema: { type: 'object' } },
          { name: 'search_schema', parametersJsonSchema: { type: 'object' } },
        ],
      },
    ];
    const system = 'Database schema:\n- public.customers (~3 rows): id int PK';
    const question = 'How many suppliers do we have?';
    const first = await collect({ model, contents: question, config: { systemInstruction: system, tools } });
    expect(first.calls).toEqual([
      { name: 'search_schema', args: { query: 'suppliers' }, id: expect.any(String) },
    ]);
    const found = (relations: string[]) =>
      collect({
        model,
        contents: [
          { role: 'user', parts: [{ text: question }] },
          { role: 'model', parts: [{ functionCall: first.calls[0] as any }] },
          { role: 'user', parts: [{ functionResponse: { name: 'search_schema', response: { relations } } }] },
        ],
        config: { systemInstruction: system, tools },
      });
    const second = await found(['purchasing."Vendor Accounts" (table): id int, name text']);
    expect(second.calls).toEqual([
      {
        name: 'run_sql',
        args: { sql: 'SELECT count(*) AS count FROM purchasing."Vendor Accounts"' },
        id: expect.any(String),
      },
    ]);
    expect((await found([])).texts.join('')).toContain('I could not find a table about that');
  });

  it('does not call tools when the tool mode is NONE', async () => {
    const { calls, texts } = await collect({
      model,
      contents: 'how many rows?',
      config: { tools: [runSql], toolConfig: { functionCallingConfig: { mode: 'NONE' as any } } },
    });
    expect(calls).toEqual([]);
    expect(texts.length).toBeGreaterThan(0);
  });
});

describe('scripted Gemini embeddings', () => {
  it('answers embedContent through the SDK deterministically, without consuming scripted turns', async () => {
    gemini.script({ chunks: ['kept'] });
    const embed = async (contents: string[], outputDimensionality?: number) =>
      (
        await ai.models.embedContent({
          model: 'text-embedding-004',
          contents,
          ...(outputDimensionality ? { config: { outputDimensionality } } : {}),
        })
      ).embeddings!.map((e) => e.values!);
    const [a, b, c] = await embed(['sales orders by customer', 'sales orders by customer', 'film rentals']);
    expect(a).toHaveLength(768);
    expect(a).toEqual(b);
    const cosine = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(cosine(a!, b!)).toBeCloseTo(1, 6);
    expect(cosine(a!, c!)).toBeCloseTo(0, 6);
    expect((await embed(['orders'], 64))[0]).toHaveLength(64);
    expect(gemini.requests.map((r) => r.action)).toEqual(['batchEmbedContents', 'batchEmbedContents']);
    expect(gemini.pending()).toBe(1);
  });

  it('answers the single embedContent method too', async () => {
    const res = await fetch(`${gemini.url}/v1beta/models/text-embedding-004:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: JSON.stringify({ content: { parts: [{ text: 'orders' }] }, outputDimensionality: 8 }),
    });
    const body = (await res.json()) as any;
    expect(body.embedding.values).toHaveLength(8);
    expect(Math.hypot(...body.embedding.values)).toBeCloseTo(1, 6);
  });
});

describe('scripted Gemini protocol', () => {
  it('serves generateContent (unary) from the same scripts', async () => {
    gemini.script({ chunks: ['Hel', 'lo'] });
    const res = await ai.models.generateContent({ model, contents: 'hi' });
    expect(res.text).toBe('Hello');
    expect(gemini.requests[0]!.action).toBe('generateContent');
  });

  it('refuses a request without an API key like the real service', async () => {
    const res = await fetch(`${gemini.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe(403);
  });

  it('sends Retry-After with a scripted 429', async () => {
    gemini.script({ status: 429, retryAfter: 2 });
    const res = await fetch(`${gemini.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: '{}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as any).error.status).toBe('RESOURCE_EXHAUSTED');
  });
});

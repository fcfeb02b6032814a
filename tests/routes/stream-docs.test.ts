/**
 * The stream example in docs/streams.md is checked against the rules and a real stream: its framing parses,
 * its ids follow the documented format (seq counts events, chars counts the text), and every event has the
 * names and data keys that a real chat stream sends.
 */
import { readFileSync } from 'node:fs';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import type { ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import type { TestApi } from '../support/api.js';
import { startModelApi, type ModelApi } from '../support/model-api.js';
import type { TestDatabase } from '../support/postgres.js';
import { parseSse, readSse } from '../support/sse-client.js';

const doc = readFileSync('docs/streams.md', 'utf8');
const example = /```sse\n([\s\S]*?)```/.exec(doc)![1]!;

let bench: ModelApi;
let gemini: ScriptedGemini;
let api: TestApi;
let db: TestDatabase;

beforeAll(async () => {
  bench = await startModelApi('stream_docs');
  ({ gemini, api, db } = bench);
  await db.query(
    `CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 12);`,
  );
});

afterAll(() => bench?.close());

describe('docs/streams.md', () => {
  it('opens with :ok and numbers events as documented: <messageId>:<seq>:<chars>', () => {
    expect(example.startsWith(':ok\n\n')).toBe(true);
    const { events } = parseSse(example);
    const messageId = JSON.parse(events[0]!.data).assistantMessageId;
    let chars = 0;
    events.forEach((e, seq) => {
      const data = JSON.parse(e.data);
      if (e.event === 'token') chars += data.text.length;
      expect(e.id).toBe(`${messageId}:${seq}:${chars}`);
    });
  });

  it('shows the events, and data keys, of a real chat stream', async () => {
    const created = await api.request('POST', '/connectors', {
      body: { name: 'Shop', ...parsePostgresUrl(await db.readerUrl(), 'disable') },
    });
    gemini.script(
      {
        chunks: [
          'Let me  ',
          { functionCall: { name: 'run_sql', args: { sql: 'SELECT count(*) AS count FROM customers' } } },
        ],
      },
      { chunks: ['There are 12 customers.'] },
    );
    const live = await readSse(
      await api.fetch('POST', `/connectors/${created.json.connector.id}/chats`, {
        body: { message: 'How many customers are there?' },
      }),
    );
    const shape = (list: { event?: string | undefined; data: string }[]) =>
      list.map((e) => `${e.event} ${Object.keys(JSON.parse(e.data)).sort().join(',')}`);
    expect(shape(parseSse(example).events)).toEqual(shape(live.events));
    // The example's text is the real one too.
    const text = (list: { event?: string | undefined; data: string }[]) =>
      list
        .filter((e) => e.event === 'token')
        .map((e) => JSON.parse(e.data).text)
        .join('');
    expect(text(parseSse(example).events)).toBe(text(live.events));
  });
});

/**
 * A real browser against the real API: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) loads a page from one loopback origin and talks to the API on another, so every call
 * with JSON and x-user-uid goes through a CORS preflight. The page creates a chat, then posts a message,
 * reading each SSE body with a stream reader and noting when each event arrives: tokens must come spread
 * over time (the scripted model waits between chunks), not in one lump at the end.
 */
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StreamifyHandler } from 'aws-lambda';
import type { Browser } from 'playwright-core';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn('browser test skipped: /usr/bin/chromium not found — apt-get install chromium');
}
const describeBrowser = haveChromium ? describe : describe.skip;

const CHUNK_DELAY_MS = 30;
const CHUNKS = ['The ', 'items ', 'table ', 'has ', 'two ', 'rows: ', 'one ', 'and two.'];

/** The page: plain fetch + stream reader + a tiny SSE parser, as a front end would do it. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Semaia browser test</title></head>
<body><pre id="log"></pre>
<script>
async function stream(url, body) {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-uid': 'browser-user' },
    body: JSON.stringify(body),
  });
  const out = { status: res.status, contentType: res.headers.get('content-type'), events: [] };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.search(/\\r?\\n\\r?\\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\\r?\\n\\r?\\n/, '');
      let event = 'message';
      const data = [];
      for (const line of block.split(/\\r?\\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue; // comments (heartbeats, ':ok')
      out.events.push({ event, data: JSON.parse(data.join('\\n')), at: performance.now() - started });
      document.getElementById('log').textContent += event + '\\n';
    }
  }
  return out;
}
// A client that loses its POST stream mid-reply, then picks the reply up with a real EventSource.
window.resumeChat = async (api, connectorId) => {
  const res = await fetch(api + '/api/connectors/' + connectorId + '/chats', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-uid': 'browser-user' },
    body: JSON.stringify({ message: 'Tell me about the items' }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '', text = '', lastId = '', ids = null, tokens = 0;
  while (tokens < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while (tokens < 3 && (end = buffer.indexOf('\\n\\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = '', data = '', id = '';
      for (const line of block.split('\\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = line.slice(6);
        else if (line.startsWith('id: ')) id = line.slice(4);
      }
      if (!event) continue;
      lastId = id;
      if (event === 'chat') ids = JSON.parse(data);
      if (event === 'token') { text += JSON.parse(data).text; tokens++; }
    }
  }
  await reader.cancel(); // the connection drops mid-reply
  const live = text;
  const url = api + '/api/chats/' + ids.chatId + '/messages/' + ids.assistantMessageId +
    '/events?lastEventId=' + encodeURIComponent(lastId);
  const resumed = await new Promise((resolve, reject) => {
    const es = new EventSource(url);
    const names = [];
    let more = '';
    es.addEventListener('token', (e) => { names.push('token'); more += JSON.parse(e.data).text; });
    es.addEventListener('stored', () => names.push('stored'));
    es.addEventListener('done', () => { names.push('done'); es.close(); resolve({ names, more }); });
    es.addEventListener('error', (e) => { if (e.data) { es.close(); reject(new Error(e.data)); } });
    setTimeout(() => { es.close(); reject(new Error('EventSource did not finish: ' + names.join(','))); }, 20000);
  });
  return { ids, live, resumed };
};
window.runChat = async (api, connectorId) => {
  const first = await stream(api + '/api/connectors/' + connectorId + '/chats', { message: 'How many items are there?' });
  const chatEvent = first.events.find((e) => e.event === 'chat');
  const chatId = chatEvent && chatEvent.data.chatId;
  const second = await stream(api + '/api/chats/' + chatId + '/messages', { message: 'And their labels?' });
  return { origin: location.origin, chatId, first, second };
};
</script></body></html>`;

describeBrowser('a chat in headless Chromium, cross-origin, streamed', () => {
  let gemini: ScriptedGemini;
  let db: TestDatabase;
  let api: TestApi;
  let page: Server;
  let pageUrl: string;
  let browser: Browser;
  let connectorId: string;
  const seen: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    gemini = await startScriptedGemini({ fallback: 'fail' });
    db = await createTestDatabase('browser');
    await db.query(
      `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items VALUES (1, 'one'), (2, 'two')`,
    );

    // The real handler, wrapped only to note which methods and paths reached the function.
    installLambdaGlobals();
    const { handler: real } = await import('../../handlers/api.js');
    const handler = awslambda.streamifyResponse(async (event, stream, context) => {
      const e = event as { requestContext?: { http?: { method?: string } }; rawPath?: string };
      seen.push(`${e.requestContext?.http?.method} ${e.rawPath}`);
      await (real as unknown as StreamifyHandler)(event, stream, context);
    }) as unknown as StreamifyHandler;
    api = await startTestApi({
      handler,
      env: { GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url, SSE_HEARTBEAT_MS: '5000' },
    });

    const created = await api.request('POST', '/connectors', {
      user: 'browser-user',
      body: { name: 'Items', ...parsePostgresUrl(await db.readerUrl(), 'disable') },
    });
    expect(created.status).toBe(201);
    connectorId = created.json.connector.id;

    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (page ? page.close(resolve) : resolve(undefined)));
    await api?.close();
    await gemini?.close();
    await db?.drop();
    process.env = saved;
  });

  it('passes the CORS preflight, streams tokens as they are written, then stored and done', async () => {
    gemini.script({ chunks: CHUNKS, delayMs: CHUNK_DELAY_MS }, { chunks: CHUNKS, delayMs: CHUNK_DELAY_MS });
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const result = await tab.evaluate(
      ([apiUrl, id]) =>
        (globalThis as unknown as { runChat: (a: string, b: string) => Promise<any> }).runChat(apiUrl!, id!),
      [api.url, connectorId],
    );
    await tab.close();

    // Cross-origin for real: the page and the API differ (by port), and the browser sent preflights.
    expect(new URL(result.origin).port).not.toBe(new URL(api.url).port);
    expect(seen).toContain(`OPTIONS /api/connectors/${connectorId}/chats`);
    expect(seen).toContain(`OPTIONS /api/chats/${result.chatId}/messages`);
    expect(seen).toContain(`POST /api/connectors/${connectorId}/chats`);

    const scriptedSpan = (CHUNKS.length - 1) * CHUNK_DELAY_MS;
    for (const reply of [result.first, result.second]) {
      expect(reply.status).toBe(200);
      expect(reply.contentType).toContain('text/event-stream');
      const kinds: string[] = reply.events.map((e: { event: string }) => e.event);
      expect(kinds.slice(-2)).toEqual(['stored', 'done']);
      const tokens = reply.events.filter((e: { event: string }) => e.event === 'token');
      expect(tokens.map((t: { data: { text: string } }) => t.data.text).join('')).toBe(CHUNKS.join(''));
      // Spread over time, not one lump at the end: the first token came well before the last.
      expect(tokens.length).toBeGreaterThanOrEqual(4);
      const spread = tokens[tokens.length - 1].at - tokens[0].at;
      expect(spread).toBeGreaterThanOrEqual(scriptedSpan * 0.6);
      // And `stored` came after the last token.
      const stored = reply.events.find((e: { event: string }) => e.event === 'stored');
      expect(stored.at).toBeGreaterThanOrEqual(tokens[tokens.length - 1].at);
    }
    expect(gemini.pending()).toBe(0);
  }, 60_000);

  it("a dropped POST stream is picked up by the browser's own EventSource, with no gap and no duplicate", async () => {
    gemini.script({ chunks: [...CHUNKS, ...CHUNKS], delayMs: CHUNK_DELAY_MS });
    const tab = await browser.newPage();
    // EventSource cannot send headers: in the cloud the edge authorizer adds the user's headers to every
    // request; here the browser's request is given them the same way on its way out.
    await tab.route('**/events?*', (route) =>
      route.continue({ headers: { ...route.request().headers(), 'x-user-uid': 'browser-user' } }),
    );
    await tab.goto(pageUrl);
    const result = await tab.evaluate(
      ([apiUrl, id]) =>
        (globalThis as unknown as { resumeChat: (a: string, b: string) => Promise<any> }).resumeChat(
          apiUrl!,
          id!,
        ),
      [api.url, connectorId],
    );
    await tab.close();
    expect(result.resumed.names.slice(-2)).toEqual(['stored', 'done']);
    const chat = await api.request('GET', `/chats/${result.ids.chatId}`, { user: 'browser-user' });
    const reply = chat.json.messages[1];
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe([...CHUNKS, ...CHUNKS].join(''));
    expect(result.live.length).toBeGreaterThan(0);
    expect(result.live + result.resumed.more).toBe(reply.content);
    expect(seen).toContain(
      `GET /api/chats/${result.ids.chatId}/messages/${result.ids.assistantMessageId}/events`,
    );
  }, 60_000);
});

/**
 * Clients that stop reading. A write that has not drained within SSE_WRITE_TIMEOUT_MS marks the client gone:
 * later writes are dropped, so what one stalled response holds is bounded by its stream's buffer, and the
 * reply is still generated and stored. The stream is ended, not destroyed (the runtime cannot drop a
 * response: destroying it leaves the invocation hanging), so a client that reads again gets the events up to
 * the stall and the end, and resumes the rest with Last-Event-ID. Checked on the Lambda response stream's
 * stand-in (lib/local/lambda-runtime.ts, shaped like the runtime's own), and end to end through the shim
 * with a real HTTP client that stops reading.
 *
 * The end-to-end client talks over a Unix socket: on loopback TCP the kernel takes about 4 MB before a
 * writer sees backpressure, more than a whole reply can be (MODEL_MAX_REPLY_CHARS ≤ 50,000); a Unix
 * socket's buffers are a few hundred KB, so the stall happens within one reply.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamifyHandler } from 'aws-lambda';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { AppError } from '../../lib/errors.js';
import { BodyResponse, SseResponse } from '../../lib/http/respond.js';
import { writeChunk } from '../../lib/http/stream-io.js';
import {
  createResponseStream,
  installLambdaGlobals,
  type LocalResponseStream,
} from '../../lib/local/lambda-runtime.js';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import { createShimServer, type ShimServer } from '../../lib/local/shim-server.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { waitFor } from '../limits/support.js';
import { parseSse, readSse } from '../support/sse-client.js';

installLambdaGlobals();

const HWM = 16 * 1024;
/** A response stream whose reader stopped: the sink takes chunks and never asks for more. */
const stalledStream = () => createResponseStream(() => undefined, { highWaterMark: HWM });
const never = () => new AbortController().signal;

describe('the writer, on a stream whose reader stopped', () => {
  it('writeChunk reports a write that did not drain in time, and one that did', async () => {
    const stalled = stalledStream();
    expect(await writeChunk(stalled, 'x'.repeat(HWM + 1), 50)).toBe(false);
    const draining = createResponseStream((_chunk, done) => setTimeout(done, 5), { highWaterMark: HWM });
    expect(await writeChunk(draining, 'y'.repeat(HWM + 1), 1_000)).toBe(true);
  });

  it('an SSE response buffers no more than the stream holds once a write stalls, and is still ended', async () => {
    const stream = stalledStream();
    const sse = new SseResponse(stream, undefined, 0, never(), 100);
    await sse.open();
    const event = { text: 'z'.repeat(200) };
    let sent = 0;
    while (!sse.clientGone) {
      await sse.send('token', event, `m:${sent}:0`);
      sent++;
    }
    const held = stream.writableLength;
    expect(held).toBeLessThanOrEqual(HWM + 1024);
    for (let i = 0; i < 1_000; i++) await sse.send('token', event); // dropped: nobody reads them
    expect(stream.writableLength).toBe(held);
    expect(sse.stalled).toBe(true);
    await sse.close(); // resolves at once: it does not wait on a client known to be stalled
    expect(stream.writableEnded).toBe(true);
    expect(stream.destroyed).toBe(false); // destroying would leave a Lambda invocation hanging
  });

  it('a streamed body to a stalled reader stops its producer with Timeout', async () => {
    const stream = stalledStream();
    const body = new BodyResponse(stream, 200, { 'content-type': 'text/csv' }, 100);
    let written = 0;
    const err = await (async () => {
      for (;;) {
        await body.write('a,b,c\n'.repeat(1_000));
        written++;
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('Timeout');
    expect(stream.writableLength).toBeLessThanOrEqual(HWM + 6_000);
    expect(written).toBeLessThan(5);
  });
});

describe('a chat client that never reads, through the shim', () => {
  let gemini: ScriptedGemini;
  let api: TestApi;
  let db: TestDatabase;
  let unixShim: ShimServer;
  let dir: string;
  const streams: LocalResponseStream[] = [];
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    gemini = await startScriptedGemini({ fallback: 'fail' });
    db = await createTestDatabase('slow_client');
    api = await startTestApi({
      env: {
        GEMINI_API_KEY: 'k',
        GEMINI_BASE_URL: gemini.url,
        SSE_WRITE_TIMEOUT_MS: '500',
        MODEL_MAX_REPLY_CHARS: '50000',
      },
    });
    const { handler } = await import('../../handlers/api.js');
    // The same handler, keeping hold of each response stream to see what it buffers.
    const watched = awslambda.streamifyResponse(async (event, stream, context) => {
      streams.push(stream as unknown as LocalResponseStream);
      await (handler as StreamifyHandler)(event, stream, context);
    });
    unixShim = createShimServer({ handler: watched, timeoutMs: 60_000 });
    unixShim.on('connection', (s: Socket) => serverSockets.push(s));
    dir = mkdtempSync(join(tmpdir(), 'semaia-slow-'));
    await new Promise<void>((resolve) => unixShim.listen(join(dir, 'api.sock'), resolve));
  });

  afterAll(async () => {
    unixShim?.closeAllConnections();
    await new Promise((r) => unixShim?.close(r));
    await api?.close();
    await gemini?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds no more than the stream buffers, stores the whole reply, and ends the stream once the client reads again', async () => {
    const user = 'stalled-reader';
    const created = await api.request('POST', '/connectors', {
      user,
      body: { name: 'db', ...parsePostgresUrl(await db.readerUrl(), 'disable') },
    });
    const words = Array.from({ length: 5_000 }, (_, i) => `w${String(i).padStart(4, '0')} `);
    gemini.script({ chunks: words });

    // A real HTTP client that stops reading as soon as the response starts.
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          socketPath: join(dir, 'api.sock'),
          method: 'POST',
          path: `/api/connectors/${created.json.connector.id}/chats`,
          headers: { 'x-user-uid': user, 'content-type': 'application/json' },
        },
        (res) => {
          res.pause();
          resolve(res);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ message: 'tell me a long story' }));
    });
    expect(response.statusCode).toBe(200);

    let peak = 0;
    const sampler = setInterval(() => {
      const held =
        streams.reduce((n, s) => n + (s.destroyed ? 0 : s.writableLength), 0) +
        serverSockets.reduce((n, s) => n + (s.destroyed ? 0 : s.writableLength), 0);
      peak = Math.max(peak, held);
    }, 5);
    let chatId: string | undefined;
    try {
      await waitFor(
        async () => {
          chatId ??= (await api.request('GET', '/chats', { user })).json.chats[0]?.id;
          if (!chatId) return false;
          const chat = await api.request('GET', `/chats/${chatId}`, { user });

          return chat.json.messages.some((m: any) => m.role === 'assistant' && m.status !== 'streaming');
        },
        'the reply to be stored',
        30_000,
      );
    } finally {
      clearInterval(sampler);
    }
    const reply = (await api.request('GET', `/chats/${chatId}`, { user })).json.messages[1];
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe(words.join(''));
    // The stream's buffer and the socket's, plus the event that stalled: far less than the reply's ~400 KB.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2 * HWM + 2 * 1024);

    // The client reads again: it gets the events written before the stall, then the end of the response.
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    const ended = new Promise((resolve) => response.on('end', resolve));
    response.resume();
    await ended;
    const live = parseSse(text).events;
    const tokens = (list: { event?: string | undefined; data: string }[]) =>
      list
        .filter((e) => e.event === 'token')
        .map((e) => JSON.parse(e.data).text)
        .join('');
    expect(live.length).toBeGreaterThan(1);
    expect(live.length).toBeLessThan(words.length); // the rest was dropped, not buffered
    expect(reply.content.startsWith(tokens(live))).toBe(true);
    expect(streams.every((s) => s.writableFinished)).toBe(true);

    // And resumes the rest from the last id it got.
    const lastId = live[live.length - 1]!.id!;
    const resumed = await readSse(
      await api.fetch('GET', `/chats/${chatId}/messages/${reply.id}/events`, {
        user,
        headers: { 'last-event-id': lastId },
      }),
    );
    expect(tokens(live) + tokens(resumed.events)).toBe(reply.content);
    expect(resumed.events.map((e) => e.event).slice(-2)).toEqual(['stored', 'done']);
  });
});

/**
 * Clients that stop reading. A write that has not drained within SSE_WRITE_TIMEOUT_MS marks the client gone:
 * later writes are dropped, so what one stalled response holds is bounded by its stream's buffer; the
 * reply is still generated and stored; the stream is then destroyed, which frees that buffer and ends the
 * invocation (Lambda gives no disconnect signal, so nothing else would). Checked on the Lambda response
 * stream's stand-in (lib/local/lambda-runtime.ts, the shape of the runtime's own), and end to end through
 * the shim with a real HTTP client that never reads.
 *
 * The end-to-end client talks over a Unix socket: on loopback TCP the kernel takes about 4 MB before a
 * writer sees backpressure, more than a whole reply can be (MODEL_MAX_REPLY_CHARS ≤ 50,000); a Unix
 * socket's buffers are a few hundred KB, so the stall happens within one reply.
 */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamifyHandler } from 'aws-lambda';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { sendJson, SseResponse } from '../../lib/http/respond.js';
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

  it('an SSE response buffers no more than the stream holds once a write stalls, and close frees it', async () => {
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
    await sse.close();
    expect(stream.destroyed).toBe(true); // its buffer goes with it
  });

  it('a JSON body to a stalled reader is cut after the timeout instead of held to the deadline', async () => {
    process.env.SSE_WRITE_TIMEOUT_MS = '100';
    try {
      const stream = stalledStream();
      await sendJson(stream, 200, { rows: 'r'.repeat(1_000_000) });
      expect(stream.destroyed).toBe(true);
      const slow = createResponseStream((_chunk, done) => setTimeout(done, 1), { highWaterMark: HWM });
      await sendJson(slow, 200, { rows: 'é'.repeat(200_000) });
      expect(slow.writableFinished).toBe(true);
    } finally {
      delete process.env.SSE_WRITE_TIMEOUT_MS;
    }
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

  it('does not hold more than the stream buffer, the reply is stored whole, and the connection is closed', async () => {
    const user = 'stalled-reader';
    const created = await api.request('POST', '/connectors', {
      user,
      body: { name: 'db', ...parsePostgresUrl(await db.readerUrl(), 'disable') },
    });
    const words = Array.from({ length: 5_000 }, (_, i) => `w${String(i).padStart(4, '0')} `);
    gemini.script({ chunks: words });

    const body = JSON.stringify({ message: 'tell me a long story' });
    const client = connect(join(dir, 'api.sock'));
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.pause(); // never reads a byte of the answer
    client.write(
      `POST /api/connectors/${created.json.connector.id}/chats HTTP/1.1\r\nhost: local\r\nx-user-uid: ${user}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );

    let peak = 0;
    const sampler = setInterval(() => {
      const held =
        streams.reduce((n, s) => n + (s.destroyed ? 0 : s.writableLength), 0) +
        serverSockets.reduce((n, s) => n + (s.destroyed ? 0 : s.writableLength), 0);
      peak = Math.max(peak, held);
    }, 5);
    try {
      let chatId: string | undefined;
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
      const reply = (await api.request('GET', `/chats/${chatId}`, { user })).json.messages[1];
      expect(reply.status).toBe('complete');
      expect(reply.content).toBe(words.join(''));
      await waitFor(
        async () => serverSockets.every((s) => s.destroyed),
        'the connection to be closed',
        5_000,
      );
    } finally {
      clearInterval(sampler);
      client.destroy();
    }
    // The stream's buffer and the socket's, plus the event that stalled: far less than the reply's ~400 KB.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2 * HWM + 2 * 1024);
    expect(streams.every((s) => s.destroyed)).toBe(true);
  });
});

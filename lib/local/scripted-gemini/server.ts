/**
 * A scripted stand-in for the Gemini API that speaks its real HTTP protocol, so the real `@google/genai`
 * SDK can talk to it through `httpOptions.baseUrl` (GEMINI_BASE_URL):
 *   POST /v1beta/models/{model}:streamGenerateContent?alt=sse  → SSE, one `data: <GenerateContentResponse>` per event
 *   POST /v1beta/models/{model}:generateContent                → one JSON GenerateContentResponse
 *   POST /v1beta/models/{model}:embedContent | :batchEmbedContents → deterministic vectors (embeddings.ts)
 * Tests queue turns with `script(...)`; every generate request consumes one. With nothing queued the server
 * answers by itself (default-turn.ts: echo, search_schema and run_sql for questions about data) so front-end
 * developers can build UIs without a key. Never part of the Lambda bundle.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { config } from '../../config.js';
import { defaultTurn } from './default-turn.js';
import { embeddingResponse } from './embeddings.js';
import type {
  GeminiPart,
  GenerateContentBody,
  ReceivedRequest,
  ScriptedGemini,
  ScriptedGeminiOptions,
  ScriptedTurn,
} from './types.js';
import { chunkToResponse, mergeForUnary, readBody, sendError, usageOf, withFinish } from './wire.js';

export type * from './types.js';

// Unref: a scripted delay must not keep the process (or jest) alive after close().
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export async function startScriptedGemini(opts: ScriptedGeminiOptions = {}): Promise<ScriptedGemini> {
  const queue: ScriptedTurn[] = [];
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let sent = 0;
  const fallback = opts.fallback ?? 'echo';
  const echoDelayMs = opts.echoDelayMs ?? config.scriptedModelDelayMs;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/(v1beta|v1alpha|v1)\/models\/([^/:]+):([A-Za-z]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('Scripted Gemini: POST /v1beta/models/{model}:streamGenerateContent?alt=sse\n');
        return;
      }
      sendError(res, 404, `No route for ${req.method} ${url.pathname}`);
      return;
    }
    const [, , model, action] = match as unknown as [string, string, string, string];
    let body: GenerateContentBody;
    const raw = await readBody(req);
    try {
      body = JSON.parse(raw) as GenerateContentBody;
    } catch {
      sendError(res, 400, 'Invalid JSON payload received.');
      return;
    }
    requests.push({
      method: req.method,
      path: url.pathname + url.search,
      model,
      action,
      headers: req.headers,
      body,
    });
    if (opts.verbose)
      process.stderr.write(`[scripted-gemini] ${action} ${model} (${queue.length} scripted turns queued)\n`);

    if (!req.headers['x-goog-api-key'] && !url.searchParams.get('key')) {
      sendError(res, 403, "Method doesn't allow unregistered callers. Please use an API Key.");
      return;
    }
    if (action === 'embedContent' || action === 'batchEmbedContents') {
      // Deterministic, never scripted: embeddings do not consume queued turns.
      const embedded = embeddingResponse(action, body);
      if (embedded === undefined) sendError(res, 400, 'Invalid embedding request: no content.');
      else {
        res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(embedded));
      }
      return;
    }
    if (action !== 'streamGenerateContent' && action !== 'generateContent') {
      sendError(res, 404, `Method ${action} is not scripted`);
      return;
    }

    let turn = queue.shift();
    if (!turn) {
      if (fallback === 'fail') {
        sendError(res, 500, 'No scripted turn queued');
        return;
      }
      turn = defaultTurn(body, echoDelayMs);
    }
    if (turn.status) {
      if (turn.delayMs) await sleep(turn.delayMs);
      sendError(res, turn.status, turn.message ?? `Scripted error ${turn.status}`, turn.retryAfter);
      return;
    }

    let closed = false;
    res.on('close', () => {
      closed = true;
    });

    const chunks = (turn.chunks ?? []).map(chunkToResponse);
    const responses = withFinish(chunks, usageOf(raw, chunks, turn.usage));
    if (action === 'generateContent') {
      if (turn.hang) return; // never answers; the client's abort or close() ends it
      if (turn.delayMs) await sleep(turn.delayMs);
      const error = responses.find((r) => 'error' in r) as
        { error: { code: number; message: string } } | undefined;
      if (error) {
        sendError(res, error.error.code, error.error.message);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(mergeForUnary(responses)));
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (turn.hang) return;
    let written = 0;
    for (const r of responses) {
      if (turn.delayMs) await sleep(turn.delayMs);
      if (closed) return;
      if (turn.breakAfter !== undefined && written >= turn.breakAfter) {
        res.socket?.destroy();
        return;
      }
      // Wait until the bytes are flushed: a later socket.destroy() would otherwise discard them.
      await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(r)}\r\n\r\n`, () => resolve()));
      written++;
      sent++;
    }
    if (turn.breakAfter !== undefined && written >= turn.breakAfter) {
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, String(err));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}`,
    requests,
    script: (...turns) => {
      queue.push(...turns);
    },
    pending: () => queue.length,
    chunksSent: () => sent,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Text parts of a request's contents, flattened (handy in assertions). */
export function partsOf(body: GenerateContentBody): GeminiPart[] {
  return (body.contents ?? []).flatMap((c) => c.parts ?? []);
}

/**
 * A scripted stand-in for the Gemini API that speaks its real HTTP protocol, so the real `@google/genai`
 * SDK can talk to it through `httpOptions.baseUrl` (GEMINI_BASE_URL):
 *   POST /v1beta/models/{model}:streamGenerateContent?alt=sse  → SSE, one `data: <GenerateContentResponse>` per event
 *   POST /v1beta/models/{model}:generateContent                → one JSON GenerateContentResponse
 * Tests queue turns with `script(...)`; every model request consumes one. With nothing queued the server
 * answers by itself (echo, and a `run_sql` call for questions about data) so front-end developers can build
 * UIs without a key. Never part of the Lambda bundle.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { config } from '../../config.js';

/** One Gemini `Part` as JSON (text, functionCall, thoughtSignature...). */
export type GeminiPart = Record<string, unknown>;

/** What one streamed chunk carries. A bare string is a text part. */
export type ScriptChunk =
  | string
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: { name: string; args?: Record<string, unknown>; id?: string }; thoughtSignature?: string }
  | { parts: GeminiPart[] }
  | { finishReason: string }
  /** An error object inside the stream (the SDK raises ApiError with this code). */
  | { error: { code: number; message: string; status?: string } };

export interface ScriptedTurn {
  /** Chunks streamed in order; a `STOP` finish reason is added to the last one unless one is given. */
  chunks?: ScriptChunk[];
  /** Answer with this HTTP error status (e.g. 429, 500, 503) instead of a stream. */
  status?: number;
  /** Message inside the error body for `status`. */
  message?: string;
  /** `Retry-After` header (seconds) sent with `status`. */
  retryAfter?: number;
  /** Milliseconds to wait before each chunk (also before the first one). */
  delayMs?: number;
  /** Destroy the socket after this many chunks were written (a broken stream). */
  breakAfter?: number;
  /** Send the headers, then nothing, forever (until the client aborts or the server closes). */
  hang?: boolean;
  /** The last chunk's `usageMetadata` (default: about 4 characters a token of the request and of the reply). */
  usage?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Model name from the path, e.g. `gemini-2.5-flash`. */
  model: string;
  /** `streamGenerateContent` or `generateContent` (or whatever else was called). */
  action: string;
  headers: Record<string, string | string[] | undefined>;
  body: GenerateContentBody;
}

/** The request body fields the SDK sends, as plain JSON. */
export interface GenerateContentBody {
  contents?: { role?: string; parts?: GeminiPart[] }[];
  systemInstruction?: { role?: string; parts?: GeminiPart[] };
  generationConfig?: Record<string, unknown>;
  tools?: { functionDeclarations?: { name: string; description?: string }[] }[];
  toolConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ScriptedGeminiOptions {
  port?: number;
  host?: string;
  /** What to do when no turn is queued: `echo` (default, friendly replies) or `fail` (HTTP 500, for tests). */
  fallback?: 'echo' | 'fail';
  /** Milliseconds between words of the default replies (default SCRIPTED_GEMINI_DELAY_MS or 25: a visible pace for UI work). */
  echoDelayMs?: number;
  /** Log one line per request on stderr. */
  verbose?: boolean;
}

export interface ScriptedGemini {
  /** Base URL to hand to the SDK (`httpOptions.baseUrl` / GEMINI_BASE_URL). */
  url: string;
  /** Every model request received, oldest first. */
  requests: ReceivedRequest[];
  /** Queues turns; each model request consumes the oldest one. */
  script(...turns: ScriptedTurn[]): void;
  /** Turns still queued. */
  pending(): number;
  /** Stream chunks written so far (all requests): lets a test see that a token arrived before the rest was sent. */
  chunksSent(): number;
  /** Drops queued turns and recorded requests (between tests). */
  reset(): void;
  close(): Promise<void>;
}

// Unref: a scripted delay must not keep the process (or jest) alive after close().
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

function chunkToResponse(chunk: ScriptChunk): Record<string, unknown> {
  if (typeof chunk === 'string') return candidate([{ text: chunk }]);
  if ('error' in chunk) return { error: { status: 'INTERNAL', ...chunk.error } };
  if ('finishReason' in chunk)
    return {
      candidates: [{ content: { role: 'model', parts: [] }, finishReason: chunk.finishReason, index: 0 }],
    };
  if ('parts' in chunk) return candidate(chunk.parts);
  return candidate([chunk as GeminiPart]);
}

function candidate(parts: GeminiPart[]): Record<string, unknown> {
  return { candidates: [{ content: { role: 'model', parts }, index: 0 }] };
}

/** Gemini's counts, made up like the real ones: about 4 characters a token (unless the turn sets them). */
function usageOf(requestBody: string, responses: Record<string, unknown>[], set: ScriptedTurn['usage']) {
  const prompt = set?.promptTokenCount ?? Math.ceil(requestBody.length / 4);
  const output = set?.candidatesTokenCount ?? Math.max(1, Math.ceil(JSON.stringify(responses).length / 4));
  const thoughts = set?.thoughtsTokenCount ?? 0;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    totalTokenCount: prompt + output + thoughts,
  };
}

/** Adds `finishReason: STOP` and the usage to the last chunk unless the script set a finish reason itself. */
function withFinish(
  responses: Record<string, unknown>[],
  usageMetadata: ReturnType<typeof usageOf>,
): Record<string, unknown>[] {
  const hasFinish = responses.some((r) => JSON.stringify(r).includes('"finishReason"'));
  const hasError = responses.some((r) => 'error' in r);
  if (hasFinish || hasError) return responses;
  const last = responses[responses.length - 1];
  const usage = { usageMetadata };
  if (!last)
    return [
      {
        candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }],
        ...usage,
      },
    ];
  const cands = last.candidates as Record<string, unknown>[];
  return [
    ...responses.slice(0, -1),
    { ...last, candidates: [{ ...cands[0], finishReason: 'STOP' }], ...usage },
  ];
}

function mergeForUnary(responses: Record<string, unknown>[]): Record<string, unknown> {
  const parts: GeminiPart[] = [];
  let finishReason = 'STOP';
  for (const r of responses) {
    const c = (
      r.candidates as { content?: { parts?: GeminiPart[] }; finishReason?: string }[] | undefined
    )?.[0];
    parts.push(...(c?.content?.parts ?? []));
    if (c?.finishReason) finishReason = c.finishReason;
  }
  return { candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }] };
}

// ---------------------------------------------------------------------------------------------------
// The default behaviour (no script queued): a friendly echo, and run_sql for questions about data.

const DATA_WORDS =
  /\b(how many|count|rows?|tables?|list|show|data|query|sql|select|top|average|sum|total|records?|which|who)\b/i;

function lastUserTurn(body: GenerateContentBody): { text?: string; functionResponses: GeminiPart[] } {
  const last = body.contents?.[body.contents.length - 1];
  const parts = last?.parts ?? [];
  const text = parts
    .map((p) => (typeof p.text === 'string' ? p.text : ''))
    .join('')
    .trim();
  return { text: text || undefined, functionResponses: parts.filter((p) => p.functionResponse) };
}

function systemText(body: GenerateContentBody): string {
  return (body.systemInstruction?.parts ?? [])
    .map((p) => (typeof p.text === 'string' ? p.text : ''))
    .join('\n');
}

function hasTool(body: GenerateContentBody, name: string): boolean {
  const mode = (body.toolConfig as { functionCallingConfig?: { mode?: string } } | undefined)
    ?.functionCallingConfig?.mode;
  if (mode === 'NONE') return false;
  return (body.tools ?? []).some((t) => (t.functionDeclarations ?? []).some((f) => f.name === name));
}

/** Table names (`schema.table`) mentioned in the system instruction's schema summary. */
function tablesInSchema(system: string): string[] {
  const names = new Set<string>();
  for (const m of system.matchAll(
    /^\s*(?:[-*]\s*)?(?:table|view|materialized view)?\s*"?([A-Za-z_][\w$]*)"?\."?([A-Za-z_][\w$]*)"?/gim,
  )) {
    names.add(`${m[1]}.${m[2]}`);
  }
  return [...names];
}

const quoteIdent = (name: string) => '"' + name.replace(/"/g, '""') + '"';

function chooseSql(question: string, system: string): string {
  const tables = tablesInSchema(system);
  const lower = question.toLowerCase();
  const mentioned = tables.find((t) => {
    const table = t.split('.')[1]!.toLowerCase();
    return lower.includes(table) || lower.includes(table.replace(/s$/, ''));
  });
  if (mentioned) {
    const [schema, table] = mentioned.split('.') as [string, string];
    const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    return /\b(how many|count|number of|total)\b/i.test(question)
      ? `SELECT count(*) AS count FROM ${target}`
      : `SELECT * FROM ${target} LIMIT 10`;
  }
  return (
    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') " +
    'ORDER BY 1, 2 LIMIT 20'
  );
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

function summarizeFunctionResponse(part: GeminiPart): string {
  const fr = part.functionResponse as { name?: string; response?: Record<string, unknown> } | undefined;
  const resp = (fr?.response ?? {}) as Record<string, unknown>;
  const out = (resp.output ?? resp) as Record<string, unknown>;
  if (resp.error || out.error) {
    const err = (resp.error ?? out.error) as { message?: string } | string;
    return `The query failed (${typeof err === 'string' ? err : (err.message ?? 'error')}). I would need to adjust it. `;
  }
  const rows = Array.isArray(out.rows) ? (out.rows as unknown[][]) : [];
  const columns = Array.isArray(out.columns)
    ? (out.columns as unknown[]).map((c) => (typeof c === 'string' ? c : (c as { name?: string }).name))
    : [];
  const count = typeof out.rowCount === 'number' ? out.rowCount : rows.length;
  let text = `The query returned ${count} row${count === 1 ? '' : 's'}`;
  if (columns.length) text += ` with columns ${columns.join(', ')}`;
  text += '. ';
  if (rows.length) {
    const first = rows[0]!;
    text += `The first row is: ${columns.map((c, i) => `${c} = ${JSON.stringify(first[i])}`).join(', ')}. `;
  }
  return text + '(This answer comes from the scripted model: set GEMINI_API_KEY to talk to Gemini.)';
}

function defaultTurn(body: GenerateContentBody, delayMs: number): ScriptedTurn {
  const { text, functionResponses } = lastUserTurn(body);
  if (functionResponses.length > 0) {
    return { chunks: words(functionResponses.map(summarizeFunctionResponse).join(' ')), delayMs };
  }
  const question = text ?? '';
  const system = systemText(body);
  if (hasTool(body, 'run_sql') && DATA_WORDS.test(question)) {
    const sql = chooseSql(question, system);
    return {
      chunks: [
        ...words('Let me look that up in your database. '),
        { functionCall: { name: 'run_sql', args: { sql }, id: `call-${Date.now().toString(36)}` } },
      ],
      delayMs,
    };
  }
  if (/EXPLAIN|query plan/i.test(system) || /"Node Type"/.test(question)) {
    const node = /"Node Type"\s*:\s*"([^"]+)"/.exec(question)?.[1];
    const reply =
      `This query reads the data it needs and returns the result. ` +
      (node ? `The top step of PostgreSQL's plan is: ${node}. ` : '') +
      '(Explanation written by the scripted model: set GEMINI_API_KEY for a real one.)';
    return { chunks: words(reply), delayMs };
  }
  const reply = question
    ? `You said: "${question.length > 200 ? question.slice(0, 200) + '…' : question}". I am the scripted Gemini model; ask me about your data (for example "how many rows are in each table?") to see a query run.`
    : 'Hello from the scripted Gemini model.';
  return { chunks: words(reply), delayMs };
}

// ---------------------------------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendError(res: ServerResponse, status: number, message: string, retryAfter?: number) {
  const statusText: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    404: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { code: status, message, status: statusText[status] ?? 'UNKNOWN' } }));
}

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

    if (action !== 'streamGenerateContent' && action !== 'generateContent') {
      sendError(res, 404, `Method ${action} is not scripted`);
      return;
    }
    if (!req.headers['x-goog-api-key'] && !url.searchParams.get('key')) {
      sendError(res, 403, "Method doesn't allow unregistered callers. Please use an API Key.");
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

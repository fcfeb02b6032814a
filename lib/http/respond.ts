/**
 * The only code that starts responses on the Lambda stream. Every response goes through
 * `awslambda.HttpResponseStream.from`, which sends the status and headers as the prelude before the first
 * body byte. The Lambda runtime's rules are kept here: nothing is written before `from()`, the prelude is
 * always sent (an empty body still gets `write('')`), the stream is always ended, and no hop-by-hop header
 * (content-length, connection, transfer-encoding) goes in the prelude.
 */
import type { Writable } from 'node:stream';
import { AppError } from '../errors.js';
import { corsHeaders } from './cors.js';
import { formatComment, formatEvent, formatJsonEvent } from './sse.js';
import { endStream, isWritable, writeChunk } from './stream-io.js';
import type { SseStream } from './sse-stream.js';
import type { BodyWriter } from './types.js';

const HOP_BY_HOP = new Set(['content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade']);

/** Static header sets, merged once at load (they are already lower-case and hop-by-hop free). */
const JSON_HEADERS: Record<string, string> = {
  ...corsHeaders,
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};
const EMPTY_HEADERS: Record<string, string> = { ...corsHeaders, 'cache-control': 'no-store' };

function preludeHeaders(
  base: Record<string, string>,
  extra?: Record<string, string>,
): Record<string, string> {
  const out = { ...base };
  if (extra) {
    for (const k in extra) {
      const key = k.toLowerCase();
      if (!HOP_BY_HOP.has(key)) out[key] = extra[k]!;
    }
  }
  return out;
}

export async function sendJson(
  stream: Writable,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): Promise<void> {
  const hasBody = body !== undefined && status !== 204 && status !== 304;
  const out = awslambda.HttpResponseStream.from(stream, {
    statusCode: status,
    headers: preludeHeaders(hasBody ? JSON_HEADERS : EMPTY_HEADERS, headers),
  });
  // write('') even without a body: `end()` alone would never send the prelude (client sees 200, empty).
  await writeChunk(out, hasBody ? JSON.stringify(body) : '');
  await endStream(out);
}

const STREAM_HEADERS: Record<string, string> = { ...corsHeaders, 'cache-control': 'no-store' };

/** A streamed body: the prelude is sent with the first write, so a failure before it can still be a status. */
export class BodyResponse implements BodyWriter {
  private out: Writable | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly status: number,
    private readonly headers: Record<string, string>,
    private readonly writeTimeoutMs = Infinity,
  ) {}

  get started(): boolean {
    return this.out !== undefined;
  }

  /** Rejects (Timeout) when the chunk has not drained within `writeTimeoutMs`: the producer must stop. */
  async write(chunk: string | Uint8Array): Promise<void> {
    this.out ??= awslambda.HttpResponseStream.from(this.stream, {
      statusCode: this.status,
      headers: preludeHeaders(STREAM_HEADERS, this.headers),
    });
    if (!(await writeChunk(this.out, chunk, this.writeTimeoutMs))) {
      throw new AppError('Timeout', 'The client stopped reading the response');
    }
  }

  async end(): Promise<void> {
    if (!this.out) await this.write(''); // `end()` alone would never send the prelude
    await endStream(this.out!);
  }
}

export const SSE_HEADERS: Record<string, string> = {
  ...corsHeaders,
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/**
 * An open SSE response: events, comments and a heartbeat, with writes dropped once the client is gone. A
 * client is gone when the stream closed (locally) or when a write has not drained within `writeTimeoutMs`
 * (it stopped reading; Lambda never says): from then on nothing more is buffered for it, so one stalled
 * stream holds at most the stream's buffer plus the write that stalled. The stream is still ended: it
 * finishes if the client reads again, or at the function's timeout (a response cannot be dropped).
 */
export class SseResponse implements SseStream {
  private readonly out: Writable;
  private heartbeat: NodeJS.Timeout | undefined;
  private gone = false;
  private writing = 0;
  /** A write did not drain in time. */
  stalled = false;

  constructor(
    stream: Writable,
    headers: Record<string, string> | undefined,
    heartbeatMs: number,
    signal: AbortSignal,
    private readonly writeTimeoutMs = Infinity,
  ) {
    this.out = awslambda.HttpResponseStream.from(stream, {
      statusCode: 200,
      headers: preludeHeaders(SSE_HEADERS, headers),
    });
    signal.addEventListener('abort', () => (this.gone = true), { once: true });
    if (heartbeatMs > 0) {
      // Only an idle stream needs a heartbeat; one still waiting for a write to drain is not idle.
      this.heartbeat = setInterval(() => {
        if (this.writing === 0) void this.comment('heartbeat');
      }, heartbeatMs);
      this.heartbeat.unref();
    }
  }

  get clientGone(): boolean {
    return this.gone || this.stalled || !isWritable(this.out);
  }

  /** Sends the prelude at once, so the client sees the status before the first event. */
  open(): Promise<void> {
    return this.write(':ok\n\n');
  }

  send(event: string, data: unknown, id?: string): Promise<void> {
    return this.write(formatJsonEvent(event, data, id));
  }

  comment(text: string): Promise<void> {
    return this.write(formatComment(text));
  }

  retry(ms: number): Promise<void> {
    return this.write(formatEvent({ retry: ms }));
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    // Not waiting on a client known to be stalled: the request log is written now, the runtime waits on.
    if (!(await endStream(this.out, this.stalled ? 0 : this.writeTimeoutMs))) this.stalled = true;
  }

  private async write(text: string): Promise<void> {
    if (this.clientGone) return;
    this.writing++;
    try {
      if (!(await writeChunk(this.out, text, this.writeTimeoutMs))) this.stalled = true;
    } finally {
      this.writing--;
    }
  }
}

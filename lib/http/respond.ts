/**
 * The only code that starts responses on the Lambda stream. Every response goes through
 * `awslambda.HttpResponseStream.from`, which sends the status and headers as the prelude before the first
 * body byte. The Lambda runtime's rules are kept here: nothing is written before `from()`, the prelude is
 * always sent (an empty body still gets `write('')`), the stream is always ended, and no hop-by-hop header
 * (content-length, connection, transfer-encoding) goes in the prelude.
 */
import type { Writable } from 'node:stream';
import { corsHeaders } from './cors.js';
import { formatComment, formatJsonEvent } from './sse.js';
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
  ) {}

  get started(): boolean {
    return this.out !== undefined;
  }

  write(chunk: string | Uint8Array): Promise<void> {
    this.out ??= awslambda.HttpResponseStream.from(this.stream, {
      statusCode: this.status,
      headers: preludeHeaders(STREAM_HEADERS, this.headers),
    });
    return writeChunk(this.out, chunk);
  }

  async end(): Promise<void> {
    if (!this.out) await this.write(''); // `end()` alone would never send the prelude
    await endStream(this.out!);
  }

  /** Cuts the response: the runtime (and locally the shim) ends the client's connection mid-body. */
  abort(err: unknown): void {
    this.stream.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

export const SSE_HEADERS: Record<string, string> = {
  ...corsHeaders,
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/** An open SSE response: events, comments and a heartbeat, with writes dropped once the client is gone. */
export class SseResponse implements SseStream {
  private readonly out: Writable;
  private heartbeat: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    stream: Writable,
    headers: Record<string, string> | undefined,
    heartbeatMs: number,
    signal: AbortSignal,
  ) {
    this.out = awslambda.HttpResponseStream.from(stream, {
      statusCode: 200,
      headers: preludeHeaders(SSE_HEADERS, headers),
    });
    signal.addEventListener('abort', () => (this.gone = true), { once: true });
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => void this.comment('heartbeat'), heartbeatMs);
      this.heartbeat.unref();
    }
  }

  get clientGone(): boolean {
    return this.gone || !isWritable(this.out);
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

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await endStream(this.out);
  }

  private write(text: string): Promise<void> {
    if (this.clientGone) return Promise.resolve();
    return writeChunk(this.out, text);
  }
}

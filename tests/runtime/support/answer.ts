/**
 * Checks what the real runtime posted for one invocation the way Lambda's front end reads it, strictly:
 * a streaming response (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked, the error trailers
 * declared), the prelude as raw bytes (JSON, then exactly 8 NULs), no error trailers; then the status,
 * headers and body the client would get. Also reads an SSE body as it arrives, with a spec parser.
 */
import { createParser } from 'eventsource-parser';
import { parsePrelude, type ResponseHead } from '../../../lib/local/front-end.js';
import { PRELUDE_CONTENT_TYPE } from '../../../lib/local/lambda-runtime.js';
import { ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER } from './outcome.js';
import type { Invocation, InvocationResult } from './runtime-api.js';

export interface Answer {
  status: number;
  headers: ResponseHead['headers'];
  body: string;
  json: any;
}

export function checkedAnswer(result: InvocationResult): Answer {
  if (result.kind !== 'response') throw new Error(`the runtime posted an invocation error: ${result.body}`);
  const h = result.headers;
  expect(h['lambda-runtime-function-response-mode']).toBe('streaming');
  expect(h['transfer-encoding']).toBe('chunked');
  expect(h['content-type']).toBe(PRELUDE_CONTENT_TYPE);
  expect(String(h.trailer).toLowerCase()).toBe(`${ERROR_TYPE_TRAILER}, ${ERROR_BODY_TRAILER}`);
  expect(result.trailers).toEqual({});

  const at = result.body.indexOf(0);
  expect(at).toBeGreaterThan(0);
  expect([...result.body.subarray(at, at + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  expect(result.body[at + 8]).not.toBe(0);
  const prelude = result.body.subarray(0, at);
  const head = parsePrelude(prelude);
  // The prelude is exactly what HttpResponseStream.from() wrote: JSON.stringify of an object.
  expect(JSON.stringify(JSON.parse(prelude.toString('utf8')))).toBe(prelude.toString('utf8'));

  const body = result.body.subarray(at + 8).toString('utf8');
  let json: any;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: head.statusCode, headers: head.headers, body, json };
}

export interface SseEvent {
  event: string | undefined;
  id: string | undefined;
  data: any;
  /** performance.now() when the chunk that completed the event reached the Runtime API stand-in. */
  at: number;
}

export interface SseWatch {
  readonly events: SseEvent[];
  /** The text of the `token` events so far. */
  tokenText(): string;
  /** Resolves once `predicate` holds (checked at every event). */
  until(predicate: () => boolean): Promise<void>;
}

/** Parses the SSE body of an invocation as its chunks arrive (the bytes after the prelude). */
export function watchSse(invocation: Invocation): SseWatch {
  const events: SseEvent[] = [];
  const waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  let now = 0;
  const parser = createParser({
    onEvent: (e) => {
      events.push({ event: e.event, id: e.id, data: JSON.parse(e.data), at: now });
      for (const w of [...waiters]) {
        if (!w.predicate()) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
  });
  let prelude: Buffer | undefined = Buffer.alloc(0);
  const utf8 = new TextDecoder();
  invocation.on('chunk', (chunk) => {
    now = chunk.at;
    let bytes = chunk.bytes;
    if (prelude) {
      prelude = Buffer.concat([prelude, bytes]);
      const end = prelude.indexOf(Buffer.alloc(8));
      if (end < 0) return;
      bytes = prelude.subarray(end + 8);
      prelude = undefined;
    }
    parser.feed(utf8.decode(bytes, { stream: true }));
  });
  const watch: SseWatch = {
    events,
    tokenText: () =>
      events
        .filter((e) => e.event === 'token')
        .map((e) => String(e.data.text))
        .join(''),
    until: (predicate) =>
      predicate() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ predicate, resolve })),
  };
  return watch;
}

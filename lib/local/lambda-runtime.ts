/**
 * A faithful stand-in for the parts of the Lambda Node.js runtime that response streaming uses
 * (aws-lambda-nodejs-runtime-interface-client: HttpResponseStream.js, ResponseStream.js, the streaming
 * invoke processor), so code that works under the local shim works in Lambda. Reproduced rules, each
 * checked against the real client (aws-lambda-ric 4.0.2) by the runtime lane (tests/local/streaming-rules.ts):
 *   - streamifyResponse only tags the handler, whatever kind of function it is;
 *   - HttpResponseStream.from() sets the content type, which throws "Cannot set content-type, too late"
 *     after a write, and arranges for the JSON prelude + 8 NUL bytes to go out just before the first write();
 *   - end(chunk) bypasses that hook (so end('x') without a write sends a body with no prelude);
 *   - after the handler resolves, the invocation waits for the stream to end (until the timeout), and
 *     fails if it never finished; a stream destroyed before its end never finishes (the real client's HTTP
 *     request has an 'error' listener: no crash, and no response either).
 */
import { Writable } from 'node:stream';
import type { StreamifyHandler } from 'aws-lambda';

export const STREAMING_SYMBOL = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK_SYMBOL = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export class InvalidStreamingOperation extends Error {
  override name = 'Runtime.InvalidStreamingOperation';
}

/** What the runtime hands to a streaming handler: a writable whose bytes go to the front end. */
export interface LocalResponseStream extends Writable {
  setContentType(contentType: string): void;
  /** The content type the front end will read the bytes as. */
  readonly contentType: string;
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
}

/**
 * Creates the response stream. `sink` receives every byte as it is written (prelude included), in order,
 * and calls `done` when it can take more: that is the stream's backpressure.
 */
export function createResponseStream(
  sink: (chunk: Buffer, done: (err?: Error | null) => void) => void,
  options: { highWaterMark?: number } = {},
): LocalResponseStream {
  let writeCalled = false;
  let contentType = DEFAULT_CONTENT_TYPE;
  const inner = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    decodeStrings: true,
    write(chunk: Buffer, _enc, cb) {
      sink(chunk, cb);
    },
  }) as LocalResponseStream;

  // Like the runtime's HTTP request, which listens for its own errors: destroy(err) must not crash the process.
  inner.on('error', () => undefined);
  const origWrite = inner.write.bind(inner) as (chunk: unknown, ...rest: unknown[]) => boolean;
  Object.defineProperty(inner, 'contentType', { get: () => contentType });
  inner.setContentType = (type: string) => {
    if (writeCalled) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    contentType = type;
  };
  inner.write = function write(chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    if (!writeCalled && typeof inner._onBeforeFirstWrite === 'function') {
      inner._onBeforeFirstWrite((ch) => origWrite(ch));
    }
    writeCalled = true;
    // Node's Writable skips empty chunks; the runtime's HTTP request would still open and send nothing.
    if ((typeof chunk === 'string' || chunk instanceof Uint8Array) && chunk.length === 0) {
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (cb) process.nextTick(cb);
      return true;
    }
    return origWrite(chunk, ...rest);
  } as Writable['write'];
  return inner;
}

const DELIMITER = new Uint8Array(8);

/** The stream buffer size a handler asked for with `streamifyResponse(handler, {highWaterMark})`. */
export function highWaterMarkOf(handler: unknown): number | undefined {
  const value = (handler as Record<symbol, unknown>)[HIGH_WATER_MARK_SYMBOL];
  return typeof value === 'number' ? value : undefined;
}

/** The `awslambda` global as the runtime defines it (only the streaming members). */
export const awslambdaGlobal = {
  streamifyResponse<E, R>(handler: StreamifyHandler<E, R>, options?: { highWaterMark?: number }) {
    const tags = handler as unknown as Record<symbol, unknown>;
    tags[STREAMING_SYMBOL] = 'response';
    if (typeof options?.highWaterMark === 'number') tags[HIGH_WATER_MARK_SYMBOL] = options.highWaterMark;
    return handler;
  },
  HttpResponseStream: {
    from(stream: Writable, prelude: Record<string, unknown>): Writable {
      const s = stream as LocalResponseStream;
      s.setContentType(PRELUDE_CONTENT_TYPE);
      const metadata = JSON.stringify(prelude);
      s._onBeforeFirstWrite = (write) => {
        write(metadata);
        write(DELIMITER);
      };
      return s;
    },
  },
};

/**
 * Defines `globalThis.awslambda` as the Lambda runtime does. The AWS SDK (via @aws/lambda-invoke-store)
 * may already have created an empty `awslambda` object, so the members are added to whatever is there.
 */
export function installLambdaGlobals(): void {
  const g = globalThis as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  if (typeof g.awslambda.streamifyResponse !== 'function') Object.assign(g.awslambda, awslambdaGlobal);
}

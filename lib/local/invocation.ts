/**
 * Runs one invocation of a streaming handler the way the Lambda runtime does, with the front end's
 * decoding on the output: the caller gets the status and headers once the prelude arrives, then each body
 * chunk the moment the handler writes it. Used by the node:http shim and by `npm run invoke`.
 * As in aws-lambda-ric's streaming invoke processor: any function may be the handler, but it must return a
 * promise (or thenable), or the invocation fails with "Streaming does not support non-async handlers.";
 * a failure once the stream has ended leaves the complete response as it is, and is only logged.
 */
import { randomUUID } from 'node:crypto';
import type { Context, StreamifyHandler } from 'aws-lambda';
import { createLogger } from '../log.js';
import { BadPrelude, PreludeDecoder, type ResponseHead } from './front-end.js';
import { createResponseStream, highWaterMarkOf, type LocalResponseStream } from './lambda-runtime.js';

export interface InvocationHooks {
  onHead(head: ResponseHead): void;
  /** A body chunk; call `done` when the consumer can take more (backpressure reaches the handler's writes). */
  onBody(chunk: Buffer, done: (err?: Error | null) => void): void;
  onEnd(): void;
  /** The invocation failed; `headSent` tells whether the status line already went out. */
  onFailure(reason: string, headSent: boolean): void;
}

export interface InvocationOptions {
  timeoutMs: number;
  requestId?: string;
  functionName?: string;
  memoryMb?: number;
  /** Handed to the handler as `context.shutdown` (local only): aborted when the server stops. */
  shutdown?: AbortSignal;
}

export interface Invocation {
  stream: LocalResponseStream;
  /** Settles when the invocation is over (never rejects; failures go to onFailure). */
  done: Promise<void>;
}

export function invokeStreaming(
  handler: StreamifyHandler,
  event: unknown,
  options: InvocationOptions,
  hooks: InvocationHooks,
): Invocation {
  const requestId = options.requestId ?? randomUUID();
  const deadline = Date.now() + options.timeoutMs;
  let failed = false;

  // eslint-disable-next-line prefer-const -- the decoder reads the stream's content type, set later
  let stream: LocalResponseStream;
  const decoder = new PreludeDecoder(() => stream.contentType);
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    hooks.onFailure(reason, decoder.headSent);
  };

  stream = createResponseStream(
    (chunk, done) => {
      if (failed) return done();
      let out: ReturnType<PreludeDecoder['push']>;
      try {
        out = decoder.push(chunk);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
        return done();
      }
      if (out.head) hooks.onHead(out.head);
      if (out.body) hooks.onBody(out.body, done);
      else done();
    },
    { highWaterMark: highWaterMarkOf(handler) },
  );

  const functionName = options.functionName ?? 'semaia-api-local';
  const context: Context & { shutdown?: AbortSignal } = {
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };

  const finished = new Promise<void>((resolve) => {
    stream.once('finish', resolve);
    stream.once('close', resolve);
  });

  const runHandler = async (): Promise<void> => {
    try {
      const result = handler(event, stream as unknown as awslambda.HttpResponseStream, context) as unknown;
      if (!isThenable(result)) throw new Error('Streaming does not support non-async handlers.');
      await result;
    } catch (err) {
      // The runtime's error trailers come after the stream's last chunk: the front end never sees them.
      if (!stream.writableEnded) throw err;
      createLogger({ awsRequestId: requestId }).error('Invoke Error', err);
    }
  };

  const done = (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    try {
      // Like the runtime: after the handler resolves, wait for the stream to end (until the timeout).
      let outcome = await Promise.race([runHandler().then(() => finished), timeout]);
      // A stream destroyed with an error before its end: the real client's aborted request never completes
      // the invocation (no response, no error); the platform's timeout ends it. (Locally the shim destroys the
      // stream without an error when the client leaves: that one ends here.)
      if (outcome !== 'timeout' && stream.errored && !stream.writableFinished) outcome = await timeout;
      if (outcome === 'timeout') {
        fail(`Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds`);
        return;
      }
      if (!stream.writableFinished && !stream.destroyed) {
        fail('Response stream is not finished.');
        return;
      }
      if (stream.writableFinished && !failed) {
        try {
          const end = decoder.finish();
          if (end.head) hooks.onHead(end.head);
        } catch (err) {
          fail(err instanceof BadPrelude ? err.message : String(err));
          return;
        }
        hooks.onEnd();
      }
    } catch (err) {
      fail(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    } finally {
      clearTimeout(timer);
      if (!stream.destroyed) stream.destroy();
    }
  })();

  return { stream, done };
}

/** The runtime's own test (isPromise in its streaming invoke processor): an object with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs one invocation of a streaming handler the way the Lambda runtime does, with the front end's
 * decoding on the output: the caller gets the status and headers once the prelude arrives, then each body
 * chunk the moment the handler writes it. Used by the node:http shim and by `npm run invoke`.
 */
import { randomUUID } from 'node:crypto';
import type { Context, StreamifyHandler } from 'aws-lambda';
import { BadPrelude, PreludeDecoder, type ResponseHead } from './front-end.js';
import { createResponseStream, type LocalResponseStream } from './lambda-runtime.js';

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

  stream = createResponseStream((chunk, done) => {
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
  });

  const functionName = options.functionName ?? 'semaia-api-local';
  const context: Context = {
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

  const done = (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    try {
      const result = handler(event, stream as unknown as awslambda.HttpResponseStream, context) as unknown;
      if (!(result instanceof Promise)) throw new Error('Streaming does not support non-async handlers.');
      // Like the runtime: after the handler resolves, wait for the stream to end (until the timeout).
      const outcome = await Promise.race([result.then(() => finished), timeout]);
      if (outcome === 'timeout') {
        fail(`Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds`);
        return;
      }
      if (stream.errored) {
        fail(`Response stream failed: ${stream.errored.message}`);
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

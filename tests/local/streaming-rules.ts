/**
 * Tiny streaming handlers, each exercising one rule of Lambda's Node.js runtime, with what the real runtime
 * interface client (aws-lambda-ric 4.0.2, checked by the runtime lane on Node 20 and 22) makes of it, as the
 * Function URL front end would pass it on. The stand-in (lib/local) must give the same outcome for each:
 * tests/local/runtime.test.ts checks it in `npm test`, tests/runtime/rules.lane.ts runs the same handlers
 * under both the real client and the stand-in.
 * Handlers are plain functions here; each side tags them with its own `awslambda.streamifyResponse`.
 */
import type { Context } from 'aws-lambda';
import type { Writable } from 'node:stream';

/** What the front end makes of an invocation. */
export type Outcome =
  | { kind: 'response'; statusCode: number; headers: Record<string, string | string[]>; body: string }
  /** `error` is `<errorType>: <errorMessage>`; `headSent` tells whether the status line had gone out. */
  | { kind: 'failed'; error: string; headSent: boolean }
  /** The invocation never ends: the platform's timeout is what stops it. */
  | { kind: 'hang' };

type HttpResponseStreamApi = { from(stream: Writable, prelude: Record<string, unknown>): Writable };
type Handler = (event: unknown, stream: Writable, context: Context) => unknown;

export interface StreamingRule {
  id: string;
  /** What the real client does, as a sentence (the tests' names). */
  behaviour: string;
  handler: Handler;
  expected: Outcome;
}

const http = (): HttpResponseStreamApi =>
  (globalThis as unknown as { awslambda: { HttpResponseStream: HttpResponseStreamApi } }).awslambda
    .HttpResponseStream;
const tick = () => new Promise((r) => setTimeout(r, 5));
const ok = (body: string, headers: Record<string, string> = { 'content-type': 'text/plain' }) =>
  ({ kind: 'response', statusCode: 200, headers, body }) as const;

export const STREAMING_RULES: StreamingRule[] = [
  {
    id: 'prelude',
    behaviour: 'sends the prelude before the first write: status, headers and cookies reach the client',
    handler: async (_e, stream) => {
      const out = http().from(stream, {
        statusCode: 201,
        headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
        cookies: ['a=1', 'b=2'],
      });
      out.write('{"ok":');
      out.write('true}');
      out.end();
    },
    expected: {
      kind: 'response',
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-custom': 'yes', 'set-cookie': ['a=1', 'b=2'] },
      body: '{"ok":true}',
    },
  },
  {
    id: 'fromAfterWrite',
    behaviour:
      'from() after a write throws "Cannot set content-type, too late" and the body goes out as octet-stream',
    handler: async (_e, stream) => {
      stream.write('early');
      try {
        http().from(stream, { statusCode: 404 });
      } catch (err) {
        stream.write(` | ${(err as Error).name}: ${(err as Error).message}`);
      }
      stream.end();
    },
    expected: ok('early | Runtime.InvalidStreamingOperation: Cannot set content-type, too late.', {
      'content-type': 'application/octet-stream',
    }),
  },
  {
    id: 'endWithoutWrite',
    behaviour: 'end() with no write never sends the prelude: the client gets 200 and an empty body',
    handler: async (_e, stream) => {
      http().from(stream, { statusCode: 404, headers: { 'x-lost': '1' } });
      stream.end();
    },
    expected: { kind: 'response', statusCode: 200, headers: {}, body: '' },
  },
  {
    id: 'emptyWrite',
    behaviour: "write('') before end() sends the prelude of an empty response",
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 204, headers: { 'x-kept': '1' } });
      out.write('');
      out.end();
    },
    expected: { kind: 'response', statusCode: 204, headers: { 'x-kept': '1' }, body: '' },
  },
  {
    id: 'endWithChunk',
    behaviour: "end('x') with no earlier write sends a body without prelude: the front end answers 502",
    handler: async (_e, stream) => {
      http().from(stream, { statusCode: 200 });
      stream.end('x');
    },
    expected: { kind: 'failed', error: 'Response ended before the prelude delimiter', headSent: false },
  },
  {
    id: 'neverEnded',
    behaviour: 'a stream never ended makes the invocation hang until the function times out',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('partial');
    },
    expected: { kind: 'hang' },
  },
  {
    id: 'chunks',
    behaviour: 'forwards each write in order; an object is written as its JSON',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      for (const piece of ['a', 'b', 'c']) {
        out.write(piece);
        await tick();
      }
      out.write({ n: 1 } as unknown as string);
      out.end();
    },
    expected: ok('abc{"n":1}'),
  },
  {
    id: 'rejectBeforeWrite',
    behaviour: 'a handler that rejects before writing fails the invocation (502 at the front end)',
    handler: async () => {
      throw new Error('boom');
    },
    expected: { kind: 'failed', error: 'Error: boom', headSent: false },
  },
  {
    id: 'rejectMidStream',
    behaviour: 'a handler that rejects after writing, before end(), cuts the response with an error',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('half');
      await tick();
      throw new TypeError('broken');
    },
    expected: { kind: 'failed', error: 'TypeError: broken', headSent: true },
  },
  {
    id: 'destroyMidStream',
    behaviour:
      'destroy(err) after writing never finishes the invocation (no response, no error): reject instead to cut',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('half');
      await tick();
      out.destroy(new TypeError('cut'));
    },
    expected: { kind: 'hang' },
  },
  {
    id: 'rejectAfterEnd',
    behaviour: 'a handler that rejects after ending its stream keeps the complete response',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('complete');
      out.end();
      await tick();
      throw new Error('too late to matter');
    },
    expected: ok('complete'),
  },
  {
    id: 'plainReturningPromise',
    behaviour: 'a plain (non-async) function that returns a promise is accepted',
    handler: (_e, stream) =>
      tick().then(() => {
        const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
        out.write('from a plain function');
        out.end();
      }),
    expected: ok('from a plain function'),
  },
  {
    id: 'plainReturningThenable',
    behaviour: 'a plain function that returns a thenable (not a Promise) is accepted',
    handler: (_e, stream) => ({
      then(resolve: (v?: unknown) => void) {
        const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
        out.write('thenable');
        out.end();
        resolve();
      },
    }),
    expected: ok('thenable'),
  },
  {
    id: 'plainReturningNothing',
    behaviour:
      'a plain function that returns no promise fails: "Streaming does not support non-async handlers."',
    handler: (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('sync');
    },
    expected: {
      kind: 'failed',
      error: 'Error: Streaming does not support non-async handlers.',
      headSent: true,
    },
  },
  {
    id: 'plainEndingSync',
    behaviour: 'a plain function that ends its stream before returning nothing keeps the complete response',
    handler: (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('done already');
      out.end();
    },
    expected: ok('done already'),
  },
  {
    id: 'endAfterResolve',
    behaviour: 'a stream ended after the handler resolved completes the response',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('later');
      setTimeout(() => out.end(' on'), 20);
    },
    expected: ok('later on'),
  },
  {
    id: 'plainThrowing',
    behaviour: 'a plain function that throws fails the invocation',
    handler: () => {
      throw new RangeError('sync boom');
    },
    expected: { kind: 'failed', error: 'RangeError: sync boom', headSent: false },
  },
  {
    id: 'returnValue',
    behaviour: 'a value returned by a streaming handler is ignored',
    handler: async (_e, stream) => {
      const out = http().from(stream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
      out.write('streamed');
      out.end();
      return { statusCode: 500, body: 'ignored' };
    },
    expected: ok('streamed'),
  },
];

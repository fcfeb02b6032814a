/**
 * The local runtime must behave like Lambda's Node.js runtime, or code that works locally breaks when
 * deployed. Each rule is checked on the bytes the front end receives.
 */
import type { StreamifyHandler } from 'aws-lambda';
import { awslambdaGlobal, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { invokeStreaming } from '../../lib/local/invocation.js';
import type { ResponseHead } from '../../lib/local/front-end.js';

installLambdaGlobals();

interface Result {
  head?: ResponseHead;
  body: string;
  chunks: string[];
  failure?: { reason: string; headSent: boolean };
  ended: boolean;
}

async function run(handler: StreamifyHandler, timeoutMs = 2000): Promise<Result> {
  const result: Result = { body: '', chunks: [], ended: false };
  const inv = invokeStreaming(
    handler,
    {},
    { timeoutMs },
    {
      onHead: (h) => (result.head = h),
      onBody: (chunk, done) => {
        result.chunks.push(chunk.toString());
        result.body += chunk.toString();
        done();
      },
      onEnd: () => (result.ended = true),
      onFailure: (reason, headSent) => (result.failure = { reason, headSent }),
    },
  );
  await inv.done;
  return result;
}

describe('local Lambda runtime', () => {
  it('streamifyResponse rejects a non-async handler and tags an async one', () => {
    expect(() =>
      awslambdaGlobal.streamifyResponse((() => Promise.resolve()) as unknown as StreamifyHandler),
    ).toThrow('Streaming does not support non-async handlers.');
    const h = awslambdaGlobal.streamifyResponse(async () => undefined);
    expect((h as any)[Symbol.for('aws.lambda.runtime.handler.streaming')]).toBe('response');
  });

  it('sends the prelude before the first write: status, headers and cookies reach the client', async () => {
    const r = await run(async (_e, stream) => {
      const out = awslambda.HttpResponseStream.from(stream, {
        statusCode: 201,
        headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
        cookies: ['a=1', 'b=2'],
      });
      out.write('{"ok":');
      out.write('true}');
      out.end();
    });
    expect(r.head).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-custom': 'yes', 'set-cookie': ['a=1', 'b=2'] },
    });
    expect(r.body).toBe('{"ok":true}');
    expect(r.ended).toBe(true);
    expect(r.failure).toBeUndefined();
  });

  it('from() after a write throws "Cannot set content-type, too late" and the body goes out as octet-stream', async () => {
    let thrown: unknown;
    const r = await run(async (_e, stream) => {
      stream.write('early');
      try {
        awslambda.HttpResponseStream.from(stream, { statusCode: 404 });
      } catch (err) {
        thrown = err;
      }
      stream.end();
    });
    expect(String(thrown)).toContain('Cannot set content-type, too late');
    expect(r.head).toEqual({ statusCode: 200, headers: { 'content-type': 'application/octet-stream' } });
    expect(r.body).toBe('early');
  });

  it('end() with no write never sends the prelude: the client gets 200 and an empty body', async () => {
    const r = await run(async (_e, stream) => {
      awslambda.HttpResponseStream.from(stream, { statusCode: 404, headers: { 'x-lost': '1' } });
      stream.end();
    });
    expect(r.head).toEqual({ statusCode: 200, headers: {} });
    expect(r.body).toBe('');
  });

  it("write('') before end() sends the prelude of an empty response", async () => {
    const r = await run(async (_e, stream) => {
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 204, headers: { 'x-kept': '1' } });
      out.write('');
      out.end();
    });
    expect(r.head).toEqual({ statusCode: 204, headers: { 'x-kept': '1' } });
    expect(r.body).toBe('');
  });

  it("end('x') with no earlier write sends a body without prelude: the front end answers 502", async () => {
    const r = await run(async (_e, stream) => {
      awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      stream.end('x');
    });
    expect(r.failure).toEqual({ reason: expect.stringContaining('prelude'), headSent: false });
  });

  it('a stream never ended makes the invocation time out', async () => {
    const r = await run(async (_e, stream) => {
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      out.write('partial');
    }, 200);
    expect(r.failure).toEqual({ reason: 'Task timed out after 0.20 seconds', headSent: true });
    expect(r.ended).toBe(false);
  });

  it('a handler that rejects before writing fails the invocation (502 at the front end)', async () => {
    const r = await run(async () => {
      throw new Error('boom');
    });
    expect(r.failure).toEqual({ reason: 'Error: boom', headSent: false });
  });

  it('forwards each write as its own chunk, in order', async () => {
    const r = await run(async (_e, stream) => {
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      for (const piece of ['a', 'b', 'c']) {
        out.write(piece);
        await new Promise((res) => setTimeout(res, 5));
      }
      out.end();
    });
    expect(r.chunks).toEqual(['a', 'b', 'c']);
  });

  it('context.getRemainingTimeInMillis counts down from the timeout', async () => {
    let remaining = -1;
    await run(async (_e, stream, context) => {
      remaining = context.getRemainingTimeInMillis();
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      out.write('');
      out.end();
    }, 5000);
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThanOrEqual(5000);
  });
});

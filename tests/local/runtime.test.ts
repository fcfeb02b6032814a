/**
 * The local runtime must behave like Lambda's Node.js runtime, or code that works locally breaks when
 * deployed. Each rule of tests/local/streaming-rules.ts states what the real runtime interface client
 * (aws-lambda-ric 4.0.2) does, as the runtime lane measured it on Node 20 and 22 (tests/runtime/rules.lane.ts);
 * here the stand-in must do the same, seen from the front end.
 */
import type { StreamifyHandler } from 'aws-lambda';
import { setLogSink } from '../../lib/log.js';
import { awslambdaGlobal, installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { invokeStreaming } from '../../lib/local/invocation.js';
import { outcomeOfStandIn } from './stand-in-outcome.js';
import { STREAMING_RULES } from './streaming-rules.js';

installLambdaGlobals();

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

describe('the local runtime does what aws-lambda-ric does', () => {
  it.each(STREAMING_RULES)('$behaviour', async (rule) => {
    const handler = awslambdaGlobal.streamifyResponse(rule.handler as unknown as StreamifyHandler);
    expect(await outcomeOfStandIn(handler, 300)).toEqual(rule.expected);
  });

  it('streamifyResponse only tags the handler, whatever kind of function it is, and records highWaterMark', () => {
    const plain = (() => Promise.resolve()) as unknown as StreamifyHandler;
    const tagged = awslambdaGlobal.streamifyResponse(plain, { highWaterMark: 1024 });
    expect(tagged).toBe(plain);
    expect((tagged as any)[STREAMING]).toBe('response');
    expect((tagged as any)[HIGH_WATER_MARK]).toBe(1024);
    const asyncOne = awslambdaGlobal.streamifyResponse(async () => undefined);
    expect((asyncOne as any)[STREAMING]).toBe('response');
    expect((asyncOne as any)[HIGH_WATER_MARK]).toBeUndefined();
  });

  it('logs a failure after the response ended as "Invoke Error", as the runtime does', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const rule = STREAMING_RULES.find((r) => r.id === 'rejectAfterEnd')!;
      const handler = awslambdaGlobal.streamifyResponse(rule.handler as unknown as StreamifyHandler);
      await outcomeOfStandIn(handler, 1000);
    } finally {
      setLogSink(previous);
    }
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'Invoke Error',
        awsRequestId: expect.any(String),
        err: expect.objectContaining({ name: 'Error', message: 'too late to matter' }),
      }),
    ]);
  });
});

describe('local Lambda runtime', () => {
  async function failureOf(handler: StreamifyHandler, timeoutMs: number) {
    let failure: { reason: string; headSent: boolean } | undefined;
    await invokeStreaming(
      handler,
      {},
      { timeoutMs },
      {
        onHead: () => undefined,
        onBody: (_c, done) => done(),
        onEnd: () => undefined,
        onFailure: (reason, headSent) => (failure = { reason, headSent }),
      },
    ).done;
    return failure;
  }

  it('a stream never ended fails with the platform\'s "Task timed out" message at the timeout', async () => {
    const failure = await failureOf(async (_e, stream) => {
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      out.write('partial');
    }, 200);
    expect(failure).toEqual({ reason: 'Task timed out after 0.20 seconds', headSent: true });
  });

  it('context.getRemainingTimeInMillis counts down from the timeout', async () => {
    let remaining = -1;
    const failure = await failureOf(async (_e, stream, context) => {
      remaining = context.getRemainingTimeInMillis();
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });
      out.write('');
      out.end();
    }, 5000);
    expect(failure).toBeUndefined();
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThanOrEqual(5000);
  });
});

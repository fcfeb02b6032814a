/**
 * One failing request followed through the logs: an API Gateway event (its own request id) invoked as Lambda
 * does (another id), failing deep down with a cause chain. Every line of the invocation carries both ids;
 * the failure is logged once, with its cause; routine failures are warnings without a stack.
 */
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { invokeStreaming } from '../../lib/local/invocation.js';
import { setLogSink } from '../../lib/log.js';
import { createConnector } from '../../lib/store/connectors.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();
const saved = { ...process.env };
let lines: Record<string, any>[] = [];
let restore: ((line: string) => void) | undefined;

beforeAll(() => {
  installLambdaGlobals();
  restore = setLogSink((line) => lines.push(JSON.parse(line)));
});
afterAll(() => {
  if (restore) setLogSink(restore);
  process.env = saved;
});
beforeEach(() => {
  lines = [];
  process.env.LOG_LEVEL = 'info';
});

/** An API Gateway REST (1.0) event whose requestContext.requestId differs from Lambda's awsRequestId. */
function restEvent(method: string, path: string, body?: unknown) {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: { 'content-type': ['application/json'] },
    requestContext: {
      requestId: 'apigw-request-7',
      authorizer: { user: JSON.stringify({ uid: 'log-user' }) },
      identity: { sourceIp: '203.0.113.10' },
    },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

async function invoke(event: unknown): Promise<number> {
  const { handler } = await import('../../handlers/api.js');
  let status = 0;
  const inv = invokeStreaming(
    handler,
    event,
    { timeoutMs: 30_000, requestId: 'lambda-aws-request-9' },
    {
      onHead: (h) => (status = h.statusCode),
      onBody: (_c, done) => done(),
      onEnd: () => undefined,
      onFailure: () => undefined,
    },
  );
  await inv.done;
  return status;
}

describe('request logs', () => {
  it('every line of a failing request carries both ids, and the failure its cause, once', async () => {
    const connector = await createConnector('log-user', {
      name: 'x',
      host: '127.0.0.1',
      port: 1,
      database: 'x',
      user: 'x',
      ssl: 'disable',
    });
    // The Gemini key comes from SSM, which cannot be reached: LlmError with the SDK's error as its cause.
    delete process.env.GEMINI_API_KEY;
    Object.assign(process.env, {
      GEMINI_API_KEY_PARAM: '/semaia/test/gemini',
      AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
    });
    const status = await invoke(
      restEvent('POST', `/api/connectors/${connector.id}/chats`, { message: 'hi' }),
    );
    expect(status).toBe(502);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatchObject({ requestId: 'apigw-request-7', awsRequestId: 'lambda-aws-request-9' });
    }
    const failures = lines.filter((l) => l.err);
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure).toMatchObject({
      level: 'error',
      route: 'POST /connectors/{id}/chats',
      err: { name: 'AppError', code: 'LlmError', message: 'Could not read the Gemini API key' },
    });
    expect(failure!.err.stack).toContain('AppError');
    expect(failure!.err.cause.message).toMatch(/ECONNREFUSED|connect/i);
    const summary = lines.find((l) => l.msg === 'request');
    expect(summary).toMatchObject({ status: 502, error: 'LlmError', route: 'POST /connectors/{id}/chats' });
  });

  it('a routine failure (404) is a warning without a stack', async () => {
    const status = await invoke(restEvent('GET', '/api/chats/01aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(status).toBe(404);
    const failure = lines.find((l) => l.err);
    expect(failure).toMatchObject({ level: 'warn', err: { code: 'NotFound' } });
    expect(failure!.err.stack).toBeUndefined();
    for (const line of lines) expect(line.requestId).toBe('apigw-request-7');
  });

  it('LOG_LEVEL=warn drops info lines, and silent drops everything', async () => {
    process.env.LOG_LEVEL = 'warn';
    await invoke(restEvent('GET', '/api/health'));
    expect(lines).toEqual([]);
    await invoke(restEvent('GET', '/api/chats/01aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(lines.map((l) => l.level)).toEqual(['warn']);
    lines = [];
    process.env.LOG_LEVEL = 'silent';
    await invoke(restEvent('GET', '/api/chats/01aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(lines).toEqual([]);
  });
});

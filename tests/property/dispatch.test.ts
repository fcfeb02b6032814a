/**
 * The real Lambda handler (handlers/api.ts: dispatcher + route table + real store on dynalite) run the way
 * the Lambda runtime runs it, on generated events. Whatever the event, the invocation never fails: the
 * prelude goes out with an HTTP status, the body is valid for that status, and the stream is ended.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamifyHandler } from 'aws-lambda';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { invokeStreaming } from '../../lib/local/invocation.js';
import type { EmbeddedDynamo } from '../../lib/local/embedded-dynamo.js';
import { loadEvent } from '../support/events.js';
import { mutatedEvent, nastyString } from './arbitraries.js';

installLambdaGlobals();

interface Outcome {
  status?: number;
  contentType?: string;
  body: string;
  ended: boolean;
  failure?: string;
}

function run(handler: StreamifyHandler, event: unknown): Promise<Outcome> {
  const outcome: Outcome = { body: '', ended: false };
  const chunks: Buffer[] = [];
  const inv = invokeStreaming(
    handler,
    event,
    { timeoutMs: 10_000 },
    {
      onHead: (head: { statusCode: number; headers: Record<string, unknown> }) => {
        outcome.status = head.statusCode;
        outcome.contentType = head.headers['content-type'] as string | undefined;
      },
      onBody: (chunk: Buffer, done: () => void) => {
        chunks.push(chunk);
        done();
      },
      onEnd: () => (outcome.ended = true),
      onFailure: (reason: string) => (outcome.failure = reason),
    },
  );
  return inv.done.then(() => ({ ...outcome, body: Buffer.concat(chunks).toString('utf8') }));
}

function checkOutcome(o: Outcome): void {
  expect(o.failure).toBeUndefined();
  expect(o.ended).toBe(true);
  expect(Number.isInteger(o.status)).toBe(true);
  expect(o.status).toBeGreaterThanOrEqual(200);
  expect(o.status).toBeLessThan(600);
  if (o.contentType?.startsWith('application/json')) {
    const body = JSON.parse(o.body) as { error?: { code: string; message: string } };
    if (o.status! >= 400) {
      expect(typeof body.error?.code).toBe('string');
      expect(typeof body.error?.message).toBe('string');
    }
  }
}

const REAL_EVENTS = [
  'function-url-health.json',
  'cloudfront-function-url-list-chats.json',
  'cloudfront-function-url-chat-message-sse.json',
  'apigw-http-v2-stage-get-chat.json',
  'apigw-rest-v1-create-connector.json',
  'sqs-not-http.json',
].map((name) => loadEvent(name));

/** Function URL events for generated requests: any method, path and body, sometimes with a user. */
const generatedRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    path: fc.oneof(
      fc.constantFrom(
        '/health',
        '/chats',
        '/connectors',
        '/api/chats/x',
        '/connectors/x/query',
        '/chats/%zz',
      ),
      fc.webPath(),
      nastyString(30).map((s: string) => '/' + s),
    ),
    body: fc.oneof(
      fc.constant(undefined),
      nastyString(60),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    ),
    user: fc.option(fc.constantFrom('user-a', 'bad#uid', ''), { nil: undefined }),
  })
  .map(({ method, path, body, user }) => {
    const event = loadEvent('function-url-health.json') as Record<string, any>;
    event.rawPath = path;
    event.requestContext.http.method = method;
    event.requestContext.http.path = path;
    if (user !== undefined) event.headers['x-user-uid'] = user;
    if (body !== undefined) {
      event.body = body;
      event.headers['content-type'] = 'application/json';
    }
    return event;
  });

describe('the real handler on generated events', () => {
  let handler: StreamifyHandler;
  let dynamo: EmbeddedDynamo;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'semaia-prop-'));
    Object.assign(process.env, {
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      TABLE_NAME: 'semaia-prop',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete process.env.GEMINI_API_KEY; // model routes answer 503 before any stream: no network needed
    const { startEmbeddedDynamo } = await import('../../lib/local/embedded-dynamo.js');
    dynamo = await startEmbeddedDynamo({});
    process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    const { ensureTable } = await import('../../lib/store/setup.js');
    await ensureTable();
    handler = (await import('../../handlers/api.js')).handler as unknown as StreamifyHandler;
  });
  afterAll(async () => {
    await dynamo?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('arbitrary values as events → always a status, a valid body, and an ended stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 3 }), async (event) =>
        checkOutcome(await run(handler, event)),
      ),
      { numRuns: 300 },
    );
  });

  it('real events with fields replaced or deleted', async () => {
    const mutated = fc.oneof(...REAL_EVENTS.map((e) => mutatedEvent(e)));
    await fc.assert(
      fc.asyncProperty(mutated, async (event) => checkOutcome(await run(handler, event))),
      { numRuns: 300 },
    );
  });

  it('generated requests on every route', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(generatedRequest, async (event) => {
        const outcome = await run(handler, event);
        checkOutcome(outcome);
        statuses.add(outcome.status!);
      }),
      { numRuns: 300 },
    );
    // The generator reaches real handlers, not only the 404 path.
    expect([...statuses].some((s) => s < 300)).toBe(true);
    expect(statuses.size).toBeGreaterThan(3);
  });
});

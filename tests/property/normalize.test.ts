/**
 * Event normalization on generated input: arbitrary JSON, arbitrary values, and real events from
 * tests/events with fields replaced or deleted. It either returns a request whose path starts with `/`, or
 * throws an AppError with status 400 — never anything else (a TypeError here would be a 500 in Lambda).
 */
import { statusOf } from '../../lib/http/errors.js';
import fc from 'fast-check';
import { AppError } from '../../lib/errors.js';
import { normalizeEvent } from '../../lib/http/normalize.js';
import { loadEvent } from '../support/events.js';
import { mutatedEvent, nastyString } from './arbitraries.js';

const EVENTS = [
  'function-url-health.json',
  'cloudfront-function-url-list-chats.json',
  'cloudfront-function-url-chat-message-sse.json',
  'apigw-http-v2-stage-get-chat.json',
  'apigw-rest-v1-create-connector.json',
  'sqs-not-http.json',
];

/** Runs normalizeEvent and checks the contract; returns whether it produced a request. */
function checkContract(event: unknown): boolean {
  let req: ReturnType<typeof normalizeEvent>;
  try {
    req = normalizeEvent(event, 'fallback-id');
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect(statusOf(err as AppError)).toBe(400);
    return false;
  }
  expect(req.path.startsWith('/')).toBe(true);
  expect(typeof req.method).toBe('string');
  expect(req.method).toBe(req.method.toUpperCase());
  expect(typeof req.requestId).toBe('string');
  for (const [name, value] of Object.entries(req.headers)) {
    expect(name).toBe(name.toLowerCase());
    expect(typeof value).toBe('string');
  }
  for (const value of Object.values(req.query)) expect(typeof value).toBe('string');
  expect(req.cookies.every((c: string) => typeof c === 'string')).toBe(true);
  if (req.body !== undefined) expect(Buffer.isBuffer(req.body)).toBe(true);
  if (req.user !== undefined) expect(req.user.uid).toMatch(/^[A-Za-z0-9_.:@|+=-]{1,128}$/);
  return true;
}

/** A structurally plausible event: the known shapes, with every field drawn from generated values. */
const shapedEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      version: fc.constantFrom('2.0', '1.0', 2),
      rawPath: fc.oneof(nastyString(40), fc.constantFrom('', '/', '/api', '/api/', 'api/chats', '/prod')),
      rawQueryString: fc.oneof(nastyString(40), fc.constant('a=1&a=2&b')),
      headers: fc.dictionary(nastyString(10), fc.oneof(nastyString(20), fc.anything({ maxDepth: 1 }))),
      cookies: fc.oneof(fc.array(fc.anything({ maxDepth: 0 })), fc.anything({ maxDepth: 1 })),
      queryStringParameters: fc.anything({ maxDepth: 2 }),
      body: fc.oneof(nastyString(40), fc.base64String(), fc.anything({ maxDepth: 1 })),
      isBase64Encoded: fc.anything({ maxDepth: 0 }),
      requestContext: fc.record(
        {
          http: fc.record(
            {
              method: fc.oneof(nastyString(8), fc.constantFrom('get', 'POST', 'OPTIONS')),
              path: nastyString(30),
            },
            { requiredKeys: [] },
          ),
          stage: fc.oneof(nastyString(8), fc.constantFrom('$default', 'prod', 'api')),
          requestId: fc.anything({ maxDepth: 0 }),
          authorizer: fc.anything({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      httpMethod: nastyString(8),
      path: fc.oneof(nastyString(40), fc.anything({ maxDepth: 0 })),
      headers: fc.anything({ maxDepth: 2 }),
      multiValueHeaders: fc.dictionary(nastyString(10), fc.array(fc.anything({ maxDepth: 0 }))),
      queryStringParameters: fc.anything({ maxDepth: 2 }),
      multiValueQueryStringParameters: fc.anything({ maxDepth: 2 }),
      body: fc.anything({ maxDepth: 1 }),
      isBase64Encoded: fc.boolean(),
      requestContext: fc.anything({ maxDepth: 3 }),
    },
    { requiredKeys: ['httpMethod'] },
  ),
);

describe('normalizeEvent on generated events', () => {
  it('arbitrary values (any JS value, not just JSON) → a request with a leading-slash path, or a 400 AppError', () => {
    fc.assert(
      fc.property(fc.anything(), (event) => void checkContract(event)),
      { numRuns: 3000 },
    );
  });

  it('arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (event) => void checkContract(event)),
      { numRuns: 3000 },
    );
  });

  it('events shaped like Function URL / HTTP API / REST API events with generated fields', () => {
    let accepted = 0;
    fc.assert(
      fc.property(shapedEvent, (event) => {
        if (checkContract(event)) accepted++;
      }),
      { numRuns: 1500 },
    );
    // Guard against a generator that only ever produces rejected events (the property would then be weak).
    expect(accepted).toBeGreaterThan(50);
  });

  it.each(EVENTS)('%s with fields replaced or deleted', (name) => {
    const original = loadEvent(name);
    fc.assert(
      fc.property(mutatedEvent(original), (event) => void checkContract(event)),
      { numRuns: 400 },
    );
  });
});

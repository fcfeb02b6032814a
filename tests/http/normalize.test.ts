import { statusOf } from '../../lib/http/errors.js';
import { normalizeEvent, trimApiPrefix } from '../../lib/http/normalize.js';
import { AppError } from '../../lib/errors.js';
import { loadEvent } from '../support/events.js';

describe('trimApiPrefix', () => {
  it.each([
    ['/api/chats', '/chats'],
    ['/api', '/'],
    ['/api/', '/'],
    ['/apis', '/apis'],
    ['/apis/x', '/apis/x'],
    ['/x/api/chats', '/x/api/chats'],
    ['/chats', '/chats'],
  ])('%s → %s', (input, expected) => {
    expect(trimApiPrefix(input)).toBe(expected);
  });
});

describe('normalizeEvent', () => {
  it('reads a Function URL event (payload 2.0)', () => {
    const req = normalizeEvent(loadEvent('function-url-health.json'), 'fallback');
    expect(req).toMatchObject({
      requestId: '6f1c2a3b-1111-4a5b-9c8d-0e1f2a3b4c5d',
      method: 'GET',
      path: '/health',
      query: {},
      cookies: [],
      body: undefined,
      sourceIp: '203.0.113.10',
      user: undefined,
    });
    expect(req.headers['user-agent']).toBe('curl/8.5.0');
  });

  it('trims /api from a request that came through CloudFront, keeps cookies and the first repeated query value', () => {
    const req = normalizeEvent(loadEvent('cloudfront-function-url-list-chats.json'), 'fallback');
    expect(req.path).toBe('/chats');
    expect(req.query).toEqual({ limit: '2', connectorId: 'sample' });
    expect(req.cookies).toEqual(['session=abc123', 'theme=dark']);
    expect(req.user).toEqual({ uid: 'local-user', email: 'ada@example.com' });
  });

  it('decodes a base64 body', () => {
    const req = normalizeEvent(loadEvent('cloudfront-function-url-chat-message-sse.json'), 'fallback');
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/connectors/sample/chats');
    expect(JSON.parse(req.body!.toString('utf8'))).toEqual({ message: 'How many customers are there?' });
  });

  it('reads an API Gateway REST proxy event (1.0): multi-value maps, stage only in requestContext.path, authorizer user', () => {
    const req = normalizeEvent(loadEvent('apigw-rest-v1-create-connector.json'), 'fallback');
    expect(req.path).toBe('/connectors');
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-trace']).toBe('one, two');
    expect(req.headers.cookie).toBeUndefined();
    expect(req.cookies).toEqual(['session=abc123', 'theme=dark']);
    expect(req.query).toEqual({ dryRun: '1' });
    expect(req.user).toEqual({ uid: 'user-7', email: 'grace@example.com' });
    expect(req.sourceIp).toBe('203.0.113.10');
    expect(JSON.parse(req.body!.toString('utf8')).name).toBe('Warehouse');
  });

  it('reads an API Gateway HTTP API event (2.0) with a named stage in rawPath; the authorizer wins over headers', () => {
    const req = normalizeEvent(loadEvent('apigw-http-v2-stage-get-chat.json'), 'fallback');
    expect(req.path).toBe('/chats/01jd0000000000000000000000');
    expect(req.user).toEqual({ uid: 'user-42', email: 'linus@example.com' });
    expect(req.cookies).toEqual(['session=abc123']);
  });

  it('keeps a path that only starts like the stage name', () => {
    const event = loadEvent('apigw-http-v2-stage-get-chat.json');
    event.rawPath = '/production/chats';
    expect(normalizeEvent(event, 'x').path).toBe('/production/chats');
  });

  it('treats header names case-insensitively (REST headers map) and joins repeats', () => {
    const event = loadEvent('apigw-rest-v1-create-connector.json');
    delete event.multiValueHeaders;
    event.headers = { 'X-User-Uid': 'abc', 'CONTENT-TYPE': 'text/plain' };
    delete event.requestContext.authorizer;
    const req = normalizeEvent(event, 'x');
    expect(req.headers['content-type']).toBe('text/plain');
    expect(req.user).toEqual({ uid: 'abc' });
  });

  it('refuses user ids that could forge storage keys, and duplicated user headers', () => {
    const event = loadEvent('function-url-health.json');
    event.headers['x-user-uid'] = 'alice#CHAT#123';
    expect(normalizeEvent(event, 'x').user).toBeUndefined();
    const rest = loadEvent('apigw-rest-v1-create-connector.json');
    delete rest.requestContext.authorizer;
    rest.multiValueHeaders['x-user-uid'] = ['alice', 'mallory'];
    expect(normalizeEvent(rest, 'x').user).toBeUndefined();
  });

  it('uses the fallback request id when the event has none', () => {
    const event = loadEvent('function-url-health.json');
    delete event.requestContext.requestId;
    expect(normalizeEvent(event, 'fallback-id').requestId).toBe('fallback-id');
  });

  it.each([
    ['an SQS event', loadEvent('sqs-not-http.json')],
    ['null', null],
    ['a string', 'GET /health'],
    ['an array', []],
    ['2.0 without http', { version: '2.0', requestContext: {} }],
  ])('answers 400 for %s', (_name, event) => {
    expect(() => normalizeEvent(event, 'x')).toThrow(AppError);
    try {
      normalizeEvent(event, 'x');
    } catch (err) {
      expect(statusOf(err as AppError)).toBe(400);
      expect((err as AppError).code).toBe('IncorrectSignature');
    }
  });
});

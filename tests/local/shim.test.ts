/**
 * The real handler and the real dispatcher behind the shim, over real HTTP: statuses, headers, and SSE
 * events reaching the client one by one as they are written.
 */
import { dispatch, type DispatchRoute } from '../../lib/http/dispatch.js';
import { createRouter } from '../../lib/http/router.js';
import { sse, json } from '../../lib/http/types.js';
import { AppError } from '../../lib/errors.js';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { readSse } from '../support/sse-client.js';
import { SETTINGS } from '../../lib/config/settings.js';

installLambdaGlobals();

describe('the API through the shim', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ store: false });
  });
  afterAll(() => api.close());

  it('GET /health → 200 {"ok":true} with JSON, CORS and no-store headers, without a user', async () => {
    const res = await api.request('GET', '/health', { user: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
  });

  it('trims /api (CloudFront) and leaves /apis alone', async () => {
    expect((await api.request('GET', '/api/health', { user: null })).status).toBe(200);
    const apis = await api.request('GET', '/apis/health', { user: null });
    expect(apis.status).toBe(404);
    expect(apis.json).toEqual({ error: { code: 'NotFound', message: 'No route for /apis/health' } });
  });

  it('unknown path → 404 JSON error', async () => {
    const res = await api.request('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NotFound');
  });

  it('wrong method → 405 with Allow', async () => {
    const res = await api.request('PATCH', '/connectors/abc');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('PUT, DELETE');
    expect(res.json.error.code).toBe('MethodNotAllowed');
  });

  it('OPTIONS → 204 preflight with methods, headers and max-age, without a user', async () => {
    const res = await api.request('OPTIONS', '/api/chats/abc', {
      user: null,
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'DELETE' },
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, DELETE, OPTIONS');
    const allowed = res.headers.get('access-control-allow-headers')!.split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining([
        'content-type',
        'authorization',
        'x-user-uid',
        'x-user-email',
        'x-amz-content-sha256',
        'last-event-id',
        'idempotency-key',
      ]),
    );
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('a route that needs a user → 401 without one', async () => {
    const res = await api.request('GET', '/chats', { user: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: 'Unauthorized', message: 'Authentication required' } });
  });

  it('a body over the limit → 413', async () => {
    const limit = SETTINGS.maxBodyBytes.fallback as number;
    const res = await api.request('POST', '/connectors', { body: 'x'.repeat(limit + 1) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PayloadTooLarge');
  });
});

describe('SSE through the dispatcher and the shim', () => {
  let api: TestApi;
  let release: (() => void) | undefined;
  const gate = () => new Promise<void>((resolve) => (release = resolve));
  let lastRun: { clientGoneSeen: boolean; writesAfterGone: number; finished: boolean } | undefined;

  const testRoutes: DispatchRoute[] = [
    {
      method: 'GET',
      pattern: '/stepped',
      auth: false,
      // Writes one event, then waits for the test to release it: the client must have the event before
      // the next one exists, so nothing can be buffered until the end.
      load: async () => async () =>
        sse(async (stream) => {
          for (let i = 0; i < 3; i++) {
            await stream.send('token', { text: `t${i}` }, `s:${i}`);
            await gate();
          }
          await stream.send('done', {});
        }),
    },
    {
      method: 'GET',
      pattern: '/fails',
      auth: false,
      load: async () => async () =>
        sse(async (stream) => {
          await stream.send('token', { text: 'partial' });
          throw new Error('secret detail postgres://u:pw@h/db');
        }),
    },
    {
      method: 'GET',
      pattern: '/fails-known',
      auth: false,
      load: async () => async () =>
        sse(async (stream) => {
          await stream.send('token', { text: 'partial' });
          throw new AppError('LlmError', 'The model stopped answering');
        }),
    },
    {
      method: 'GET',
      pattern: '/before',
      auth: false,
      load: async () => async () => {
        throw new AppError('LlmNotConfigured', 'Set GEMINI_API_KEY');
      },
    },
    {
      method: 'GET',
      pattern: '/quiet',
      auth: false,
      load: async () => async () =>
        sse(async (stream) => {
          await new Promise((r) => setTimeout(r, 250));
          await stream.send('done', {});
        }),
    },
    {
      method: 'GET',
      pattern: '/keeps-going',
      auth: false,
      load: async () => async (ctx) =>
        sse(async (stream) => {
          const run = { clientGoneSeen: false, writesAfterGone: 0, finished: false };
          lastRun = run;
          await stream.send('token', { text: 'first' });
          // Work goes on after the client leaves (Lambda would never tell); writes are dropped quietly.
          for (let i = 0; i < 50 && !ctx.signal.aborted; i++) await new Promise((r) => setTimeout(r, 10));
          run.clientGoneSeen = stream.clientGone;
          for (let i = 0; i < 5; i++) {
            await stream.send('token', { text: 'more '.repeat(1000) });
            run.writesAfterGone++;
          }
          run.finished = true;
        }),
    },
    { method: 'GET', pattern: '/json', auth: false, load: async () => async () => json(200, { fine: true }) },
  ];
  const router = createRouter(testRoutes);

  beforeAll(async () => {
    api = await startTestApi({
      store: false,
      env: { SSE_HEARTBEAT_MS: '50' },
      handler: awslambda.streamifyResponse(async (event, responseStream, context) => {
        await dispatch(event, responseStream, context, router);
      }),
    });
  });
  afterAll(() => api.close());

  it('sends SSE headers and delivers each event before the next is written', async () => {
    const res = await api.fetch('GET', '/stepped');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-length')).toBeNull();
    const { events } = await readSse(res, (e) => {
      if (e.event === 'token') release!(); // the handler is blocked until this event has arrived
    });
    expect(events.map((e) => [e.event, e.id, e.json])).toEqual([
      ['token', 's:0', { text: 't0' }],
      ['token', 's:1', { text: 't1' }],
      ['token', 's:2', { text: 't2' }],
      ['done', undefined, {}],
    ]);
  });

  it('an error after the first event becomes an `error` event with a generic message, then the end', async () => {
    const { events } = await readSse(await api.fetch('GET', '/fails'));
    expect(events.map((e) => e.event)).toEqual(['token', 'error']);
    expect(events[1]!.json.code).toBe('Internal');
    expect(events[1]!.data).not.toContain('pw@');
    const known = await readSse(await api.fetch('GET', '/fails-known'));
    expect(known.events[1]!.json).toEqual({ code: 'LlmError', message: 'The model stopped answering' });
  });

  it('an error before the stream starts is a JSON error with its status', async () => {
    const res = await api.request('GET', '/before');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ error: { code: 'LlmNotConfigured', message: 'Set GEMINI_API_KEY' } });
  });

  it('sends heartbeat comments while a stream is idle', async () => {
    const { events, comments } = await readSse(await api.fetch('GET', '/quiet'));
    expect(events.map((e) => e.event)).toEqual(['done']);
    expect(comments.filter((c) => c.trim() === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('a client that disconnects is reported; later writes are dropped quietly and the handler finishes', async () => {
    const controller = new AbortController();
    const res = await api.fetch('GET', '/keeps-going', { signal: controller.signal });
    await readSse(res, () => 'stop');
    controller.abort();
    for (let i = 0; i < 100 && !lastRun?.finished; i++) await new Promise((r) => setTimeout(r, 20));
    expect(lastRun).toEqual({ clientGoneSeen: true, writesAfterGone: 5, finished: true });
    // The server is still healthy afterwards.
    expect((await api.request('GET', '/json')).json).toEqual({ fine: true });
  });
});

import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import { exportSPKI, SignJWT, type JWTPayload } from 'jose';
import { createViewerRequestHandler, type ViewerRequestHandler } from '../../edge/authorizer.js';
import { resolveEdgeAuthConfig, type EdgeAuthConfig } from '../../edge/config.js';
import { preflightHeaders } from '../../lib/http/cors.js';
import {
  closedPortUrl,
  FIREBASE_ISSUER,
  FIREBASE_PROJECT,
  firebaseClaims,
  makeKey,
  now,
  signToken,
  SPOOFED_HEADERS,
  startJwksServer,
  startSilentServer,
  userHeaderNames,
  viewerRequest,
  type EventOptions,
  type JwksServer,
  type TestKey,
} from './helpers.js';

const UNAUTHORIZED_BODY = '{"error":{"code":"Unauthorized","message":"Authentication required"}}';

let key: TestKey;
let otherKey: TestKey;
let jwks: JwksServer;
let config: EdgeAuthConfig;
let handler: ViewerRequestHandler;
let logSpy: jest.SpyInstance;

function firebaseConfig(jwksUrl: string, overrides: Partial<EdgeAuthConfig> = {}): EdgeAuthConfig {
  const resolved = resolveEdgeAuthConfig({
    EDGE_AUTH_ISSUER: FIREBASE_ISSUER,
    EDGE_AUTH_AUDIENCE: FIREBASE_PROJECT,
    EDGE_AUTH_JWKS_URL: jwksUrl,
  });
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  return { ...resolved.config, ...overrides };
}

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey('k1'), makeKey('k2')]);
  jwks = await startJwksServer([key.jwk]);
  config = firebaseConfig(jwks.url);
  handler = createViewerRequestHandler(config);
});

afterAll(async () => {
  await jwks.close();
});

beforeEach(() => {
  logSpy = jest
    .spyOn(console, 'log')
    .mockImplementation((l) => process.env.SHOW_REASONS && process.stderr.write(l + '\n'));
});

afterEach(() => {
  logSpy.mockRestore();
});

const isResponse = (r: CloudFrontRequest | CloudFrontResultResponse): r is CloudFrontResultResponse =>
  'status' in r;

async function invoke(opts: EventOptions, h: ViewerRequestHandler = handler) {
  const event = viewerRequest(opts);
  const result = await h(event);
  return { result, request: event.Records[0]!.cf.request };
}

async function expectPassed(opts: EventOptions, h?: ViewerRequestHandler): Promise<CloudFrontRequest> {
  const { result } = await invoke(opts, h);
  if (isResponse(result))
    throw new Error(`expected the request to pass, got ${result.status} ${result.body}`);
  return result;
}

/** Expects the generated 401; `reason` (matched against the logged reason) shows it failed for the right cause. */
async function expectUnauthorized(
  opts: EventOptions,
  h?: ViewerRequestHandler,
  reason?: RegExp,
): Promise<CloudFrontRequest> {
  const calls = logSpy.mock.calls.length;
  const { result, request } = await invoke(opts, h);
  if (reason) {
    const logged = logSpy.mock.calls.slice(calls).map((c) => JSON.parse(String(c[0])) as { reason: string });
    expect(logged.map((l) => l.reason).join('\n')).toMatch(reason);
  }
  expect(isResponse(result)).toBe(true);
  const response = result as CloudFrontResultResponse;
  expect(response.status).toBe('401');
  expect(response.body).toBe(UNAUTHORIZED_BODY);
  expect(response.headers?.['content-type']?.[0]?.value).toBe('application/json');
  expect(response.headers?.['www-authenticate']?.[0]?.value).toBe('Bearer');
  expect(response.headers?.['access-control-allow-origin']?.[0]?.value).toBe('*');
  return request;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('EventSource: the token in a cookie, on the events route only', () => {
  const events = '/api/chats/01aaaaaaaaaaaaaaaaaaaaaaaa/messages/01bbbbbbbbbbbbbbbbbbbbbbbb/events';
  const cookie = (value: string) => ({ cookie: [{ key: 'Cookie', value }] });

  it('accepts the cookie on GET …/events, and keeps the token out of the request to the function', async () => {
    const token = await signToken(key, firebaseClaims('user123'));
    const request = await expectPassed({
      uri: events,
      headers: cookie(`theme=dark; semaia_id_token=${token}; a=b`),
    });
    expect(request.headers['x-user-uid']?.[0]?.value).toBe('user123');
    expect(request.headers.cookie).toEqual([{ key: 'Cookie', value: 'theme=dark; a=b' }]);
  });

  it('refuses the cookie anywhere else, and for anything but GET', async () => {
    const token = await signToken(key, firebaseClaims('user123'));
    await expectUnauthorized(
      { uri: '/api/chats', headers: cookie(`semaia_id_token=${token}`) },
      handler,
      /bearer/,
    );
    await expectUnauthorized(
      {
        uri: '/api/chats/01aaaaaaaaaaaaaaaaaaaaaaaa/messages',
        method: 'POST',
        headers: cookie(`semaia_id_token=${token}`),
      },
      handler,
      /bearer/,
    );
    await expectUnauthorized(
      { uri: events, method: 'DELETE', headers: cookie(`semaia_id_token=${token}`) },
      handler,
      /bearer/,
    );
  });

  it('verifies a cookie token like a bearer token', async () => {
    const forged = await signToken(otherKey, firebaseClaims('user123'));
    await expectUnauthorized({ uri: events, headers: cookie(`semaia_id_token=${forged}`) });
    await expectUnauthorized(
      { uri: events, headers: cookie('semaia_id_token=not-a-jwt') },
      handler,
      /bearer/,
    );
  });
});

describe('valid tokens', () => {
  it("passes the request with the user headers (the body is the origin-request function's business)", async () => {
    const token = await signToken(key, firebaseClaims('user123'));
    const request = await expectPassed({ token });
    expect(request.headers['x-user-uid']).toEqual([{ key: 'X-User-Uid', value: 'user123' }]);
    expect(request.headers['x-user-email']).toEqual([{ key: 'X-User-Email', value: 'ada@example.com' }]);
    expect(request.headers['x-amz-content-sha256']).toBeUndefined();
    // The streaming origin must never be asked to compress.
    expect(request.headers['accept-encoding']).toBeUndefined();
    expect(request.uri).toBe('/api/chats');
  });

  it('omits the email when email_verified is false (boolean or string)', async () => {
    for (const flag of [false, 'false']) {
      const token = await signToken(key, firebaseClaims('user123', { email_verified: flag }));
      const request = await expectPassed({ token });
      expect(request.headers['x-user-uid']?.[0]?.value).toBe('user123');
      expect(request.headers['x-user-email']).toBeUndefined();
    }
  });

  it('accepts a token expired within the clock tolerance and refuses one beyond it', async () => {
    const t = now();
    const slightly = await signToken(key, firebaseClaims('u1', { iat: t - 3600, exp: t - 10 }));
    await expectPassed({ token: slightly });
    const clearly = await signToken(
      key,
      firebaseClaims('u1', { iat: t - 3600, exp: t - config.clockToleranceSec - 5 }),
    );
    await expectUnauthorized({ token: clearly }, handler, /JWTExpired/);
  });

  it('accepts a lower-case bearer scheme', async () => {
    const token = await signToken(key, firebaseClaims('user123'));
    const request = await expectPassed({
      headers: { authorization: [{ key: 'authorization', value: `bearer ${token}` }] },
    });
    expect(request.headers['x-user-uid']?.[0]?.value).toBe('user123');
  });
});

describe('spoofed identity headers', () => {
  it('are removed before a successful request goes on, leaving only the verified identity', async () => {
    const token = await signToken(key, firebaseClaims('user123', { email_verified: false }));
    const request = await expectPassed({ token, headers: { ...structuredClone(SPOOFED_HEADERS) } });
    expect(userHeaderNames(request.headers)).toEqual(['x-user-uid']);
    expect(request.headers['x-user-uid']).toEqual([{ key: 'X-User-Uid', value: 'user123' }]);
  });

  it('are removed when authentication fails', async () => {
    const request = await expectUnauthorized({ token: 'a.b.c', headers: structuredClone(SPOOFED_HEADERS) });
    expect(userHeaderNames(request.headers)).toEqual([]);
  });

  it('are removed from the health check, which passes without a token', async () => {
    const request = await expectPassed({ uri: '/api/health', headers: structuredClone(SPOOFED_HEADERS) });
    expect(userHeaderNames(request.headers)).toEqual([]);
  });

  it('are removed by an unconfigured authorizer, which refuses every request that needs a user', async () => {
    const unconfigured = createViewerRequestHandler(null);
    const token = await signToken(key, firebaseClaims());
    const request = await expectUnauthorized(
      { token, headers: structuredClone(SPOOFED_HEADERS) },
      unconfigured,
    );
    expect(userHeaderNames(request.headers)).toEqual([]);
    // A smoke deploy (`--allow-closed-edge`) still answers uptime probes and preflights.
    await expectPassed({ uri: '/api/health' }, unconfigured);
    const { result } = await invoke({ method: 'OPTIONS' }, unconfigured);
    expect(result).toMatchObject({ status: '204' });
  });
});

describe('requests answered without a token', () => {
  it("answers CORS preflights at the edge with the API's preflight headers (they never reach Lambda)", async () => {
    const { result } = await invoke({
      method: 'OPTIONS',
      uri: '/api/connectors/abc/query',
      headers: {
        origin: [{ key: 'Origin', value: 'https://app.example.com' }],
        'access-control-request-method': [{ key: 'Access-Control-Request-Method', value: 'POST' }],
      },
    });
    expect(isResponse(result)).toBe(true);
    const response = result as CloudFrontResultResponse;
    expect(response.status).toBe('204');
    expect(response.body).toBeUndefined();
    const flat = Object.fromEntries(Object.entries(response.headers!).map(([k, v]) => [k, v[0]!.value]));
    expect(flat).toEqual(preflightHeaders(['GET', 'POST', 'PUT', 'DELETE']));
  });

  it('passes GET /api/health, and nothing else, without a token', async () => {
    const passed = await expectPassed({ uri: '/api/health' });
    expect(passed.headers['accept-encoding']).toBeUndefined();
    await expectUnauthorized({ method: 'POST', uri: '/api/health' });
    await expectUnauthorized({ method: 'HEAD', uri: '/api/health' });
    for (const uri of ['/api/healthz', '/api/health/x', '/api/Health', '/health', '/api/health/']) {
      await expectUnauthorized({ uri });
    }
  });
});

describe('refused tokens', () => {
  it('refuses a request without a token', async () => {
    await expectUnauthorized({});
  });

  it('refuses malformed authorization headers', async () => {
    const token = await signToken(key, firebaseClaims());
    const variants = [
      'Bearer',
      'Bearer not-a-jwt',
      'Bearer a.b.c',
      `Basic ${token}`,
      `Bearer ${token} extra`,
      `Bearer ${token.slice(0, -4)}`,
      `Bearer ${'a'.repeat(20_000)}.b.c`,
    ];
    for (const value of variants) {
      await expectUnauthorized({ headers: { authorization: [{ key: 'Authorization', value }] } });
    }
  });

  it('refuses two authorization values even if one is valid', async () => {
    const token = await signToken(key, firebaseClaims());
    await expectUnauthorized({
      headers: {
        authorization: [
          { key: 'Authorization', value: `Bearer ${token}` },
          { key: 'Authorization', value: `Bearer ${token}` },
        ],
      },
    });
  });

  it('refuses a token that is not yet valid (nbf, iat in the future)', async () => {
    const t = now();
    await expectUnauthorized(
      { token: await signToken(key, firebaseClaims('u1', { nbf: t + 600 })) },
      handler,
      /nbf/,
    );
    await expectUnauthorized(
      { token: await signToken(key, firebaseClaims('u1', { iat: t + 600 })) },
      handler,
      /iat/,
    );
  });

  it('refuses a wrong issuer or audience', async () => {
    await expectUnauthorized(
      {
        token: await signToken(key, firebaseClaims('u1', { iss: 'https://securetoken.google.com/other' })),
      },
      handler,
      /iss/,
    );
    await expectUnauthorized(
      { token: await signToken(key, firebaseClaims('u1', { aud: 'other' })) },
      handler,
      /aud/,
    );
  });

  it('refuses alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64url(firebaseClaims())}.`;
    await expectUnauthorized({ token }, handler, /JOSEAlgNotAllowed/);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const pem = await exportSPKI(key.publicKey);
    for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(key.jwk))]) {
      const token = await new SignJWT(firebaseClaims())
        .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' })
        .sign(secret);
      await expectUnauthorized({ token }, handler, /JOSEAlgNotAllowed/);
    }
  });

  it('refuses a token signed by a key the JWKS does not hold, or with a forged kid', async () => {
    await expectUnauthorized(
      { token: await signToken(otherKey, firebaseClaims(), 'k-unknown') },
      handler,
      /JWKSNoMatchingKey/,
    );
    // Right kid, wrong key.
    await expectUnauthorized(
      { token: await signToken(otherKey, firebaseClaims(), 'k1') },
      handler,
      /JWSSignatureVerificationFailed/,
    );
  });

  it('refuses tokens without exp or sub, or with a sub that could break key prefixes', async () => {
    const { exp: _exp, ...noExp } = firebaseClaims();
    await expectUnauthorized({ token: await signToken(key, noExp) }, handler, /exp/);
    const { sub: _sub, ...noSub } = firebaseClaims();
    await expectUnauthorized({ token: await signToken(key, noSub) }, handler, /sub/);
    await expectUnauthorized(
      { token: await signToken(key, firebaseClaims('victim#CHAT#1')) },
      handler,
      /sub claim/,
    );
    await expectUnauthorized(
      { token: await signToken(key, firebaseClaims('a'.repeat(129))) },
      handler,
      /sub claim/,
    );
  });

  it('refuses a Firebase token without a past auth_time', async () => {
    const { auth_time: _a, ...noAuthTime } = firebaseClaims();
    await expectUnauthorized({ token: await signToken(key, noAuthTime) }, handler, /auth_time/);
    const future = firebaseClaims('u1', { auth_time: now() + 600 });
    await expectUnauthorized({ token: await signToken(key, future) }, handler, /auth_time/);
  });

  it('logs the reason as JSON without the token', async () => {
    const token = await signToken(key, firebaseClaims('u1', { aud: 'other' }));
    await expectUnauthorized({ token });
    const lines = logSpy.mock.calls.map((c) => String(c[0]));
    const entry = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: 'edge_refused', status: 401, method: 'GET', uri: '/api/chats' });
    expect(String(entry.reason)).toMatch(/aud/);
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('JWKS fetching', () => {
  it('refetches for an unknown kid at most once per cooldown, and picks up a rotated key', async () => {
    const server = await startJwksServer([key.jwk]);
    try {
      const h = createViewerRequestHandler(firebaseConfig(server.url, { jwksCooldownMs: 300 }));
      await expectPassed({ token: await signToken(key, firebaseClaims()) }, h);
      expect(server.hits).toBe(1);
      await expectPassed({ token: await signToken(key, firebaseClaims()) }, h);
      expect(server.hits).toBe(1); // cached

      const rotated = await signToken(otherKey, firebaseClaims('rotated'));
      server.keys = [key.jwk, otherKey.jwk];
      for (let i = 0; i < 5; i++) await expectUnauthorized({ token: rotated }, h, /JWKSNoMatchingKey/);
      expect(server.hits).toBe(1); // within the cooldown: no refetch, however many unknown kids

      await new Promise((r) => setTimeout(r, 350));
      const request = await expectPassed({ token: rotated }, h);
      expect(request.headers['x-user-uid']?.[0]?.value).toBe('rotated');
      expect(server.hits).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('answers 401 quickly when nothing listens on the JWKS port', async () => {
    const h = createViewerRequestHandler(firebaseConfig(await closedPortUrl()));
    await expectUnauthorized({ token: await signToken(key, firebaseClaims()) }, h, /ECONNREFUSED/);
  });

  it('answers 401 within the viewer-request limit when the JWKS server never answers', async () => {
    const silent = await startSilentServer();
    try {
      const h = createViewerRequestHandler(firebaseConfig(silent.url));
      await expectUnauthorized({ token: await signToken(key, firebaseClaims()) }, h, /JWKSTimeout/);
    } finally {
      await silent.close();
    }
  });

  it('answers 401 when the whole verification exceeds its deadline', async () => {
    const silent = await startSilentServer();
    try {
      const h = createViewerRequestHandler(
        firebaseConfig(silent.url, { jwksTimeoutMs: 10_000, verifyDeadlineMs: 500 }),
      );
      await expectUnauthorized({ token: await signToken(key, firebaseClaims()) }, h, /longer than 500 ms/);
    } finally {
      await silent.close();
    }
  });
});

describe('Cognito ID tokens', () => {
  const region = 'eu-west-1';
  const poolId = 'eu-west-1_AbCdEf123';
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
  const clientId = '1example23456789';
  let cognito: ViewerRequestHandler;

  beforeAll(() => {
    const resolved = resolveEdgeAuthConfig({
      EDGE_AUTH_ISSUER: issuer,
      EDGE_AUTH_AUDIENCE: clientId,
      EDGE_AUTH_JWKS_URL: jwks.url,
    });
    if (!resolved.ok) throw new Error(resolved.problems.join('; '));
    expect(resolved.config.provider).toBe('cognito');
    cognito = createViewerRequestHandler(resolved.config);
  });

  const cognitoClaims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: issuer,
    aud: clientId,
    sub: '5f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
    token_use: 'id',
    iat: now() - 5,
    exp: now() + 3600,
    email: 'grace@example.com',
    email_verified: true,
    ...extra,
  });

  it('accepts an ID token', async () => {
    const request = await expectPassed({ token: await signToken(key, cognitoClaims()) }, cognito);
    expect(request.headers['x-user-uid']?.[0]?.value).toBe('5f1c2d3e-aaaa-bbbb-cccc-0123456789ab');
    expect(request.headers['x-user-email']?.[0]?.value).toBe('grace@example.com');
  });

  it('refuses access tokens and tokens without token_use', async () => {
    const access = cognitoClaims({ token_use: 'access' });
    await expectUnauthorized({ token: await signToken(key, access) }, cognito, /token_use/);
    const { token_use: _t, ...noUse } = cognitoClaims();
    await expectUnauthorized({ token: await signToken(key, noUse) }, cognito, /token_use/);
  });

  it('refuses a Firebase token (other issuer and audience)', async () => {
    await expectUnauthorized({ token: await signToken(key, firebaseClaims()) }, cognito);
  });
});

describe('resolveEdgeAuthConfig', () => {
  it('derives the Firebase JWKS URL from the issuer', () => {
    const r = resolveEdgeAuthConfig({
      EDGE_AUTH_ISSUER: FIREBASE_ISSUER,
      EDGE_AUTH_AUDIENCE: FIREBASE_PROJECT,
    });
    expect(r).toMatchObject({
      ok: true,
      config: {
        provider: 'firebase',
        jwksUrl: 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com',
      },
    });
  });

  it('derives the Cognito JWKS URL from the issuer', () => {
    const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123';
    const r = resolveEdgeAuthConfig({ EDGE_AUTH_ISSUER: `${issuer}/`, EDGE_AUTH_AUDIENCE: 'client' });
    expect(r).toMatchObject({
      ok: true,
      config: { provider: 'cognito', issuer, jwksUrl: `${issuer}/.well-known/jwks.json` },
    });
  });

  it('reports what is missing or unsafe', () => {
    expect(resolveEdgeAuthConfig({})).toMatchObject({ ok: false });
    const generic = resolveEdgeAuthConfig({
      EDGE_AUTH_ISSUER: 'https://idp.example.com',
      EDGE_AUTH_AUDIENCE: 'a',
    });
    expect(generic.ok).toBe(false);
    const plainHttp = resolveEdgeAuthConfig({
      EDGE_AUTH_ISSUER: 'https://idp.example.com',
      EDGE_AUTH_AUDIENCE: 'a',
      EDGE_AUTH_JWKS_URL: 'http://idp.example.com/jwks',
    });
    expect(plainHttp).toMatchObject({ ok: false, problems: [expect.stringMatching(/https/)] });
    expect(
      resolveEdgeAuthConfig({ EDGE_AUTH_PROVIDER: 'auth0', EDGE_AUTH_ISSUER: 'x', EDGE_AUTH_AUDIENCE: 'a' })
        .ok,
    ).toBe(false);
  });
});

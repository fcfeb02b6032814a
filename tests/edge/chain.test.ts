/**
 * One request all the way, as CloudFront runs it: a 900 KB POST with a valid token goes through the viewer-
 * request authorizer, then the origin-request function (body hash, user proof), then becomes the Function
 * URL event the real API handler gets (normalize + dispatch + route + dynalite), with the proof key read
 * from SSM (a stand-in speaking its protocol) on both sides. Also: the same event without the edge's proof.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CloudFrontRequest, StreamifyHandler } from 'aws-lambda';
import { createViewerRequestHandler } from '../../edge/authorizer.js';
import { resolveEdgeAuthConfig } from '../../edge/config.js';
import { createOriginRequestHandler } from '../../edge/origin-request.js';
import { SETTINGS } from '../../lib/config/settings.js';
import { decodeProofKey } from '../../lib/http/user-proof.js';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { readParameter } from '../../lib/secrets/ssm-parameter.js';
import { loadEvent } from '../support/events.js';
import { invokeEvent } from '../support/invoke.js';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-stand-in.js';
import {
  FIREBASE_ISSUER,
  FIREBASE_PROJECT,
  firebaseClaims,
  makeKey,
  originRequestEvent,
  signToken,
  startJwksServer,
  viewerRequest,
  type JwksServer,
  type TestKey,
} from './helpers.js';

const PARAM = '/semaia/test/user-proof-key';
const proofKey = randomBytes(32);
let ssm: SsmStandIn;
let jwks: JwksServer;
let key: TestKey;
let api: StreamifyHandler;
let stopServices: () => Promise<void>;

beforeAll(async () => {
  installLambdaGlobals();
  ssm = await startSsmStandIn({ [PARAM]: proofKey.toString('base64url') });
  key = await makeKey('k1');
  jwks = await startJwksServer([key.jwk]);
  Object.assign(process.env, {
    LOG_LEVEL: 'silent',
    TABLE_NAME: 'semaia-chain-test',
    USER_PROOF_KEY_PARAM: PARAM,
    SSM_ENDPOINT: ssm.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const { startLocalServices } = await import('../../lib/local/services.js');
  stopServices = (await startLocalServices({ sample: false, inMemory: true })).stop;
  api = (await import('../../handlers/api.js')).handler;
}, 60_000);

afterAll(async () => {
  await stopServices?.();
  await jwks.close();
  await ssm.close();
  delete process.env.USER_PROOF_KEY_PARAM;
  delete process.env.SSM_ENDPOINT;
});

/** What the Function URL hands the function for a request CloudFront forwards (payload format 2.0). */
function functionUrlEvent(request: CloudFrontRequest, body: Buffer) {
  const event = loadEvent('cloudfront-function-url-list-chats.json');
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headers))
    headers[name] = values.map((v) => v.value).join(',');
  delete headers.authorization; // OAC replaces it with its own SigV4 signature
  for (const copied of ['x-amz-cf-id', 'x-amz-date', 'x-amz-security-token', 'via', 'host']) {
    headers[copied] = event.headers[copied];
  }
  event.headers = headers;
  event.rawPath = request.uri;
  event.rawQueryString = '';
  delete event.queryStringParameters;
  delete event.cookies;
  event.requestContext.http.method = request.method;
  event.requestContext.http.path = request.uri;
  event.body = body.toString('base64');
  event.isBase64Encoded = true;
  return event;
}

it('carries a 900 KB body and the verified user from the edge into the API', async () => {
  const maxBodyBytes = SETTINGS.maxBodyBytes.fallback as number; // what the edge build bakes by default
  expect(maxBodyBytes).toBeGreaterThanOrEqual(900 * 1024);
  const viewer = createViewerRequestHandler(
    (() => {
      const r = resolveEdgeAuthConfig({
        EDGE_AUTH_ISSUER: FIREBASE_ISSUER,
        EDGE_AUTH_AUDIENCE: FIREBASE_PROJECT,
        EDGE_AUTH_JWKS_URL: jwks.url,
      });
      if (!r.ok) throw new Error(r.problems.join('; '));
      return r.config;
    })(),
  );
  const origin = createOriginRequestHandler({
    maxBodyBytes,
    proofKey: async () =>
      decodeProofKey(await readParameter(PARAM, { region: 'us-east-1', endpoint: ssm.url }), PARAM),
  });

  // A valid connector followed by 900 KB of JSON whitespace: the API must see every byte.
  const json = JSON.stringify({ name: 'big body', host: 'db.example.com', database: 'shop', user: 'reader' });
  const body = Buffer.from(json + ' '.repeat(900 * 1024 - json.length));
  expect(body.length).toBe(900 * 1024);

  // Viewer-request: no body (not included there), a token, a spoofed user header.
  const token = await signToken(key, firebaseClaims('chain-user'));
  const viewerEvent = viewerRequest({
    method: 'POST',
    uri: '/api/connectors',
    token,
    headers: { 'x-user-uid': [{ key: 'X-User-Uid', value: 'victim' }] },
  });
  delete viewerEvent.Records[0]!.cf.request.body;
  const afterViewer = await viewer(viewerEvent);
  expect('status' in afterViewer).toBe(false);

  // Origin-request: CloudFront includes the body (base64, up to 1 MB, not truncated here).
  const request = afterViewer as CloudFrontRequest;
  request.body = {
    action: 'read-only',
    encoding: 'base64',
    inputTruncated: false,
    data: body.toString('base64'),
  };
  const afterOrigin = await origin(originRequestEvent(request, 'cf-chain-1'));
  expect('status' in afterOrigin).toBe(false);
  const forwarded = afterOrigin as CloudFrontRequest;
  // What Lambda's SigV4 check compares: the declared payload hash against the body it receives.
  expect(forwarded.headers['x-amz-content-sha256']?.[0]?.value).toBe(
    createHash('sha256').update(body).digest('hex'),
  );

  const created = await invokeEvent(api, functionUrlEvent(forwarded, body));
  expect(created.status).toBe(201);
  expect(created.json.connector).toMatchObject({ name: 'big body', host: 'db.example.com' });

  // Stored for the verified user, not for the spoofed one.
  const list = functionUrlEvent({ ...forwarded, method: 'GET' }, Buffer.alloc(0));
  const listed = await invokeEvent(api, list);
  expect(listed.status).toBe(200);
  expect(listed.json.connectors.map((c: { name: string }) => c.name)).toEqual(['big body']);

  // The same event sent straight to the Function URL by another SigV4 caller, without the edge's proof.
  const direct = functionUrlEvent(forwarded, body);
  delete direct.headers['x-user-proof'];
  const refused = await invokeEvent(api, direct);
  expect(refused.status).toBe(401);
  expect(refused.json.error.code).toBe('Unauthorized');
});

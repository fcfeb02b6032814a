/**
 * The origin-request function: the payload hash OAC needs (bodies up to 1 MB, larger ones only with the
 * client's own hash), 413 in the API's error shape past the limit, and the user proof the API checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import { createOriginRequestHandler } from '../../edge/origin-request.js';
import { verifyUserProof } from '../../lib/http/user-proof.js';
import { cachedLoader, readParameter } from '../../lib/secrets/ssm-parameter.js';
import { decodeProofKey } from '../../lib/http/user-proof.js';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-stand-in.js';
import { originRequest, type EventOptions } from './helpers.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MAX = 1024 * 1024;
const key = randomBytes(32);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
let logSpy: jest.SpyInstance;
let keyLoads = 0;

const handler = createOriginRequestHandler({
  maxBodyBytes: MAX,
  proofKey: async () => {
    keyLoads++;
    return key;
  },
  nowSec: () => 1_800_000_000,
});

beforeEach(() => {
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => logSpy.mockRestore());

const isResponse = (r: CloudFrontRequest | CloudFrontResultResponse): r is CloudFrontResultResponse =>
  'status' in r;

async function passed(opts: EventOptions & { requestId?: string }): Promise<CloudFrontRequest> {
  const result = await handler(originRequest(opts));
  if (isResponse(result)) throw new Error(`expected to pass, got ${result.status} ${result.body}`);
  return result;
}

async function refused(opts: EventOptions): Promise<CloudFrontResultResponse> {
  const result = await handler(originRequest(opts));
  if (!isResponse(result)) throw new Error('expected a generated response');
  return result;
}

const hashOf = (r: CloudFrontRequest) => r.headers['x-amz-content-sha256']?.map((h) => h.value);
const user = (uid: string, email?: string) => ({
  'x-user-uid': [{ key: 'X-User-Uid', value: uid }],
  ...(email ? { 'x-user-email': [{ key: 'X-User-Email', value: email }] } : {}),
});

describe('payload hash', () => {
  it('is the hex SHA-256 of the body, base64 or text, and of nothing for a GET', async () => {
    const body = JSON.stringify({ sql: 'select 1', note: 'ünïcode ✓' });
    const viaBase64 = await passed({ method: 'POST', body: { data: Buffer.from(body).toString('base64') } });
    expect(viaBase64.headers['x-amz-content-sha256']).toEqual([
      { key: 'X-Amz-Content-Sha256', value: sha(body) },
    ]);
    const viaText = await passed({ method: 'PUT', body: { data: body, encoding: 'text' } });
    expect(hashOf(viaText)).toEqual([sha(body)]);
    expect(hashOf(await passed({}))).toEqual([EMPTY_SHA256]);
  });

  it('hashes bytes, not text: a binary body keeps its hash', async () => {
    const bytes = randomBytes(4096);
    const request = await passed({ method: 'POST', body: { data: bytes.toString('base64') } });
    expect(hashOf(request)).toEqual([sha(bytes)]);
  });

  it('replaces a wrong or unsigned client hash with the real one', async () => {
    const body = '{"a":1}';
    for (const value of ['UNSIGNED-PAYLOAD', sha('other'), 'zz']) {
      const request = await passed({
        method: 'POST',
        headers: { 'x-amz-content-sha256': [{ key: 'X-Amz-Content-Sha256', value }] },
        body: { data: Buffer.from(body).toString('base64') },
      });
      expect(hashOf(request)).toEqual([sha(body)]);
    }
  });

  it('hashes a 900 KB body', async () => {
    const body = Buffer.alloc(900 * 1024, 'x');
    const request = await passed({ method: 'POST', body: { data: body.toString('base64') } });
    expect(hashOf(request)).toEqual([sha(body)]);
  });
});

describe('bodies it cannot or may not hash', () => {
  it('answers 413 in the API error shape past MAX_BODY_BYTES', async () => {
    const body = Buffer.alloc(MAX + 1, 'x');
    const response = await refused({ method: 'POST', body: { data: body.toString('base64') } });
    expect(response.status).toBe('413');
    expect(JSON.parse(response.body!)).toEqual({
      error: { code: 'PayloadTooLarge', message: `Request body is larger than ${MAX} bytes` },
    });
    expect(response.headers?.['content-type']?.[0]?.value).toBe('application/json');
    expect(response.headers?.['access-control-allow-origin']?.[0]?.value).toBe('*');
  });

  it('answers 413 for a body CloudFront truncated, unless the client sent its own hash', async () => {
    const data = Buffer.alloc(1024 * 1024, 'a').toString('base64');
    const response = await refused({ method: 'POST', body: { data, inputTruncated: true } });
    expect(response.status).toBe('413');
    expect(JSON.parse(response.body!).error.code).toBe('PayloadTooLarge');
    expect(JSON.parse(response.body!).error.message).toMatch(/x-amz-content-sha256/);

    const own = sha('the whole 2 MB body the client sent');
    const request = await passed({
      method: 'POST',
      headers: { 'x-amz-content-sha256': [{ key: 'x-amz-content-sha256', value: own.toUpperCase() }] },
      body: { data, inputTruncated: true },
    });
    // Kept (lower-cased): the Function URL checks it against the body it receives.
    expect(hashOf(request)).toEqual([own]);

    const malformed = await refused({
      method: 'POST',
      headers: { 'x-amz-content-sha256': [{ key: 'x-amz-content-sha256', value: 'UNSIGNED-PAYLOAD' }] },
      body: { data, inputTruncated: true },
    });
    expect(malformed.status).toBe('413');
  });
});

describe('user proof', () => {
  it('signs the user the authorizer set, bound to the request id, with the key', async () => {
    const request = await passed({ headers: user('user-7', 'grace@example.com'), requestId: 'cf-abc==' });
    const proof = request.headers['x-user-proof']?.[0]?.value;
    expect(proof).toMatch(/^v1 1800000000 cf-abc== /);
    const subject = { uid: 'user-7', email: 'grace@example.com' };
    expect(verifyUserProof(key, subject, proof, 1_800_000_010)).toBe('valid');
    expect(verifyUserProof(key, { uid: 'user-7' }, proof, 1_800_000_010)).toBe('bad-signature');
  });

  it('adds no proof (and loads no key) for a request without a user, such as the health check', async () => {
    const before = keyLoads;
    const request = await passed({ uri: '/api/health' });
    expect(request.headers['x-user-proof']).toBeUndefined();
    expect(keyLoads).toBe(before);
  });

  it('answers 500 in the API error shape when the key cannot be read', async () => {
    const failing = createOriginRequestHandler({
      maxBodyBytes: MAX,
      proofKey: () => Promise.reject(new Error('AccessDeniedException')),
    });
    const result = (await failing(originRequest({ headers: user('u1') }))) as CloudFrontResultResponse;
    expect(result.status).toBe('500');
    expect(JSON.parse(result.body!)).toEqual({ error: { code: 'Internal', message: 'Internal error' } });
  });
});

describe('the proof key from SSM (as edge/origin-main.ts loads it)', () => {
  let ssm: SsmStandIn;
  const PARAM = '/semaia/test/user-proof-key';

  beforeAll(async () => {
    ssm = await startSsmStandIn({ [PARAM]: key.toString('base64') });
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  });
  afterAll(() => ssm.close());

  it('is read once per container, shared by concurrent requests, and re-read after a failure', async () => {
    let now = 0;
    const load = cachedLoader(
      async () =>
        decodeProofKey(await readParameter(PARAM, { region: 'us-east-1', endpoint: ssm.url }), PARAM),
      60_000,
      () => now,
    );
    const h = createOriginRequestHandler({ maxBodyBytes: MAX, proofKey: load, nowSec: () => 1_800_000_000 });
    const results = await Promise.all([1, 2, 3].map(() => h(originRequest({ headers: user('u1') }))));
    for (const r of results) {
      const proof = (r as CloudFrontRequest).headers['x-user-proof']?.[0]?.value;
      expect(verifyUserProof(key, { uid: 'u1' }, proof, 1_800_000_000)).toBe('valid');
    }
    expect(ssm.calls).toEqual([`GetParameter ${PARAM}`]);

    now = 61_000; // past the key's age: read again (a rotated key is picked up)
    ssm.params.delete(PARAM);
    const failed = (await h(originRequest({ headers: user('u1') }))) as CloudFrontResultResponse;
    expect(failed.status).toBe('500');
    ssm.params.set(PARAM, { value: key.toString('base64url'), type: 'SecureString', version: 2 });
    expect('status' in (await h(originRequest({ headers: user('u1') })))).toBe(false);
    expect(ssm.calls).toHaveLength(3);
  });
});

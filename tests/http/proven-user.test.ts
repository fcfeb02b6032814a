/**
 * Only CloudFront may speak for users: with a proof key configured (the cloud), a direct SigV4 caller of the
 * Function URL that sets `x-user-uid` itself gets 401; the same event with the edge's proof is accepted; a
 * stale or forged proof is 401. The real handler runs on Function URL events (the runtime's way), the key
 * is read through the real SSM client from a stand-in speaking SSM's protocol, the store is dynalite.
 */
import { randomBytes } from 'node:crypto';
import type { StreamifyHandler } from 'aws-lambda';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { signUserProof, verifyUserProof, PROOF_MAX_AGE_SEC } from '../../lib/http/user-proof.js';
import { loadEvent } from '../support/events.js';
import { invokeEvent } from '../support/invoke.js';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-stand-in.js';

const PARAM = '/semaia/test/user-proof-key';
const key = randomBytes(32);
let ssm: SsmStandIn;
let handler: StreamifyHandler;
let stop: () => Promise<void>;
const nowSec = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  installLambdaGlobals();
  ssm = await startSsmStandIn({ [PARAM]: key.toString('base64url') });
  Object.assign(process.env, {
    LOG_LEVEL: 'silent',
    TABLE_NAME: 'semaia-proof-test',
    USER_PROOF_KEY_PARAM: PARAM,
    SSM_ENDPOINT: ssm.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const { startLocalServices } = await import('../../lib/local/services.js');
  stop = (await startLocalServices({ sample: false, inMemory: true })).stop;
  handler = (await import('../../handlers/api.js')).handler;
}, 60_000);

afterAll(async () => {
  await stop?.();
  await ssm.close();
  delete process.env.USER_PROOF_KEY_PARAM;
  delete process.env.SSM_ENDPOINT;
});

/** The recorded CloudFront → Function URL event (SigV4 headers, IAM authorizer context) for GET /api/chats. */
function directEvent(headers: Record<string, string> = {}) {
  const event = loadEvent('cloudfront-function-url-list-chats.json');
  event.headers = { ...event.headers, ...headers };
  return event;
}

const proofFor = (ts: number, requestId = 'cf-req-1', k = key) =>
  signUserProof(k, { uid: 'local-user', email: 'ada@example.com' }, requestId, ts);

it('refuses user headers without a proof (a direct SigV4 call): 401', async () => {
  const res = await invokeEvent(handler, directEvent());
  expect(res.status).toBe(401);
  expect(res.json.error.code).toBe('Unauthorized');
});

it('accepts the same event with the edge proof', async () => {
  const res = await invokeEvent(handler, directEvent({ 'x-user-proof': proofFor(nowSec()) }));
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ chats: [], nextCursor: null });
});

it('refuses a stale proof, one from the future, a forged one, and one for another user', async () => {
  const stale = proofFor(nowSec() - PROOF_MAX_AGE_SEC - 5);
  expect((await invokeEvent(handler, directEvent({ 'x-user-proof': stale }))).status).toBe(401);
  const future = proofFor(nowSec() + 300);
  expect((await invokeEvent(handler, directEvent({ 'x-user-proof': future }))).status).toBe(401);
  const forged = proofFor(nowSec(), 'cf-req-1', randomBytes(32));
  expect((await invokeEvent(handler, directEvent({ 'x-user-proof': forged }))).status).toBe(401);
  const otherUser = directEvent({ 'x-user-proof': proofFor(nowSec()), 'x-user-uid': 'victim' });
  expect((await invokeEvent(handler, otherUser)).status).toBe(401);
  const otherEmail = directEvent({ 'x-user-proof': proofFor(nowSec()), 'x-user-email': 'eve@example.com' });
  expect((await invokeEvent(handler, otherEmail)).status).toBe(401);
});

it('lets routes without a user through, and reads the key once per container', async () => {
  const health = loadEvent('function-url-health.json');
  expect((await invokeEvent(handler, health)).status).toBe(200);
  expect(ssm.calls.filter((c) => c === `GetParameter ${PARAM}`)).toHaveLength(1);
});

describe('verifyUserProof', () => {
  const subject = { uid: 'u1', email: 'a@example.com' };
  it('names why a proof is refused', () => {
    const t = 1_800_000_000;
    const good = signUserProof(key, subject, 'r1', t);
    expect(verifyUserProof(key, subject, good, t + 10)).toBe('valid');
    expect(verifyUserProof(key, subject, undefined, t)).toBe('missing');
    expect(verifyUserProof(key, subject, 'v1 nope', t)).toBe('malformed');
    expect(verifyUserProof(key, subject, good, t + PROOF_MAX_AGE_SEC + 1)).toBe('stale');
    expect(verifyUserProof(key, { uid: 'u1' }, good, t)).toBe('bad-signature');
    expect(verifyUserProof(key, subject, good.replace(' r1 ', ' r2 '), t)).toBe('bad-signature');
  });
});

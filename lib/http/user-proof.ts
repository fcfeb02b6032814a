/**
 * Proof that the user headers came from our CloudFront edge. Any IAM principal allowed to call the Function
 * URL could otherwise send `x-user-uid` itself; with a proof key configured, the API believes `x-user-*`
 * only when `x-user-proof` carries an HMAC-SHA256, made with the deploy-time key, over the uid, the email,
 * a timestamp and CloudFront's request id. The edge's origin-request function signs (edge/origin-request.ts),
 * the API verifies (lib/http/dispatch.ts). Pure functions over node:crypto only, so the edge bundles them.
 *
 * Header format: `x-user-proof: v1 <unix seconds> <request id> <base64url HMAC>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { cachedLoader, readParameter, type ParameterSource } from '../secrets/ssm-parameter.js';

export const USER_PROOF_HEADER = 'x-user-proof';

/** How old a proof may be when the API sees it (the edge signs moments before the origin call). */
export const PROOF_MAX_AGE_SEC = 120;
/** Clock difference tolerated in the other direction. */
const PROOF_MAX_SKEW_SEC = 30;

/** How long either side keeps the key it read from SSM, so a rotated key is picked up without a redeploy. */
export const PROOF_KEY_MAX_AGE_MS = 10 * 60_000;

/** The key as stored in SSM: at least 256 bits, base64 or base64url (what `npm run deploy` writes). */
export function decodeProofKey(value: string | undefined, name: string): Buffer {
  const key = Buffer.from((value ?? '').trim(), 'base64url');
  if (key.length < 32) throw new Error(`SSM parameter ${name} does not hold a key of at least 32 bytes`);
  return key;
}

/** The key from its SSM parameter: one read shared by concurrent callers, kept PROOF_KEY_MAX_AGE_MS (edge and API). */
export function proofKeyLoader(param: string, source: ParameterSource): () => Promise<Buffer> {
  return cachedLoader(
    async () => decodeProofKey(await readParameter(param, source), param),
    PROOF_KEY_MAX_AGE_MS,
  );
}

export interface ProofSubject {
  uid: string;
  email?: string | undefined;
}

// Neither field can contain a newline (uid: lib/user-id.ts; email: refused by normalize and the edge).
const payload = (s: ProofSubject, ts: number, requestId: string) =>
  `semaia-user-proof-v1\n${s.uid}\n${s.email ?? ''}\n${ts}\n${requestId}`;

const mac = (key: Buffer, s: ProofSubject, ts: number, requestId: string) =>
  createHmac('sha256', key)
    .update(payload(s, ts, requestId))
    .digest();

/** The `x-user-proof` value for this user, signed now (`nowSec` for tests). */
export function signUserProof(key: Buffer, subject: ProofSubject, requestId: string, nowSec: number): string {
  if (!/^[\x21-\x7e]{1,256}$/.test(requestId)) throw new Error('request id unfit for a proof header');
  return `v1 ${nowSec} ${requestId} ${mac(key, subject, nowSec, requestId).toString('base64url')}`;
}

export type ProofVerdict = 'valid' | 'missing' | 'malformed' | 'stale' | 'bad-signature';

/** Checks a proof header against the user it claims to vouch for. */
export function verifyUserProof(
  key: Buffer,
  subject: ProofSubject,
  header: string | undefined,
  nowSec: number,
): ProofVerdict {
  if (!header) return 'missing';
  const match = /^v1 (\d{1,12}) ([\x21-\x7e]{1,256}) ([A-Za-z0-9_-]{43})$/.exec(header);
  if (!match) return 'malformed';
  const ts = Number(match[1]);
  if (ts < nowSec - PROOF_MAX_AGE_SEC || ts > nowSec + PROOF_MAX_SKEW_SEC) return 'stale';
  const expected = mac(key, subject, ts, match[2]!);
  const given = Buffer.from(match[3]!, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'bad-signature';
}

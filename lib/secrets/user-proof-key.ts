/**
 * The HMAC key that proves user headers came from the edge (lib/http/user-proof.ts). In the cloud the
 * template names an SSM SecureString (USER_PROOF_KEY_PARAM) that `npm run deploy` creates once per stage;
 * the function reads it on the first request that names a user, keeps it for ten minutes (a rotated key is
 * picked up without a redeploy) and shares one read between concurrent requests. Locally nothing is
 * configured: undefined, and user headers are believed as before.
 */
import { config } from '../config.js';
import { cachedLoader, readParameter } from './ssm-parameter.js';

export const PROOF_KEY_MAX_AGE_MS = 10 * 60_000;

/** At least 256 bits, stored base64 or base64url (what `npm run deploy` writes). */
export function decodeProofKey(value: string | undefined, name: string): Buffer {
  const key = Buffer.from((value ?? '').trim(), 'base64url');
  if (key.length < 32) throw new Error(`SSM parameter ${name} does not hold a key of at least 32 bytes`);
  return key;
}

let loader: { param: string; load: () => Promise<Buffer> } | undefined;

export function getUserProofKey(): Promise<Buffer | undefined> {
  const param = config.userProofKeyParam;
  if (!param) return Promise.resolve(undefined);
  if (loader?.param !== param) {
    const load = async () =>
      decodeProofKey(
        await readParameter(param, { region: config.region, endpoint: config.ssmEndpoint }),
        param,
      );
    loader = { param, load: cachedLoader(load, PROOF_KEY_MAX_AGE_MS) };
  }
  return loader.load();
}

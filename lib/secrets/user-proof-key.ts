/**
 * The HMAC key that proves user headers came from the edge (lib/http/user-proof.ts). In the cloud the
 * template names an SSM SecureString (USER_PROOF_KEY_PARAM) that `npm run deploy` creates once per stage;
 * the function reads it on the first request that names a user, keeps it for ten minutes (a rotated key is
 * picked up without a redeploy) and shares one read between concurrent requests. Locally nothing is
 * configured: undefined, and user headers are believed as before.
 */
import { config } from '../config.js';
import { proofKeyLoader } from '../http/user-proof.js';

let loader: { param: string; load: () => Promise<Buffer> } | undefined;

export function getUserProofKey(): Promise<Buffer | undefined> {
  const param = config.userProofKeyParam;
  if (!param) return Promise.resolve(undefined);
  if (loader?.param !== param) {
    loader = { param, load: proofKeyLoader(param, { region: config.region, endpoint: config.ssmEndpoint }) };
  }
  return loader.load();
}

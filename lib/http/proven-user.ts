/**
 * In the cloud only CloudFront may speak for users: when a proof key is configured (USER_PROOF_KEY_PARAM),
 * a user named by `x-user-*` headers counts only with a valid `x-user-proof` from the edge; without one
 * the request has no user (a route that needs one answers 401). A direct SigV4 caller of the Function URL
 * can set any header but cannot sign one. Users from an API Gateway authorizer's context are not headers
 * and pass as they are; locally (no key) headers keep working as before.
 */
import { config } from '../config.js';
import type { Logger } from '../log.js';
import type { ApiRequest } from './types.js';

let proofModules: Promise<[typeof import('../secrets/user-proof-key.js'), typeof import('./user-proof.js')]>;

export async function dropUnprovenUser(req: ApiRequest, log: Logger, nowMs = Date.now()): Promise<void> {
  if (!req.user || req.userSource !== 'headers' || !config.userProofKeyParam) return;
  // Loaded here, not at start: node:crypto and the SSM reader cost milliseconds of every cold start, and
  // only the cloud (a key is configured) checks proofs.
  const [{ getUserProofKey }, { USER_PROOF_HEADER, verifyUserProof }] = await (proofModules ??= Promise.all([
    import('../secrets/user-proof-key.js'),
    import('./user-proof.js'),
  ]));
  const key = await getUserProofKey();
  if (!key) return;
  const verdict = verifyUserProof(key, req.user, req.headers[USER_PROOF_HEADER], Math.floor(nowMs / 1000));
  if (verdict === 'valid') return;
  log.warn('user headers without a valid edge proof: treated as no user', { verdict });
  req.user = undefined;
  req.userSource = undefined;
}

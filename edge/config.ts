/**
 * Configuration of the edge authorizer. Lambda@Edge has no environment variables, so these values are read
 * at build time (edge/build.ts) and baked into the bundle; tests pass them directly.
 *
 * Only the issuer and audience are required for the two supported providers: the provider is inferred
 * from the issuer and its JWKS URL derived from it, unless given explicitly.
 */
export type EdgeAuthProvider = 'firebase' | 'cognito' | 'generic';

export interface EdgeAuthConfig {
  provider: EdgeAuthProvider;
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Seconds of clock skew accepted on exp / nbf / iat. */
  clockToleranceSec: number;
  /** Timeout of one JWKS request (socket idle), milliseconds. */
  jwksTimeoutMs: number;
  /** Least time between two JWKS refetches caused by an unknown `kid`, milliseconds. */
  jwksCooldownMs: number;
  /** How long a fetched JWKS is trusted before it is fetched again, milliseconds. */
  jwksMaxAgeMs: number;
  /** Hard limit for the whole verification, so a slow JWKS server cannot hold the request near the 5 s limit. */
  verifyDeadlineMs: number;
}

/** The raw build-time inputs (each may be missing or empty). */
export interface EdgeAuthEnv {
  EDGE_AUTH_PROVIDER?: string | undefined;
  EDGE_AUTH_ISSUER?: string | undefined;
  EDGE_AUTH_AUDIENCE?: string | undefined;
  EDGE_AUTH_JWKS_URL?: string | undefined;
}

export const FIREBASE_JWKS_URL =
  'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com';

export const EDGE_AUTH_DEFAULTS = {
  clockToleranceSec: 30,
  jwksTimeoutMs: 1500,
  jwksCooldownMs: 5000,
  jwksMaxAgeMs: 10 * 60_000,
  verifyDeadlineMs: 3000,
} as const;

const FIREBASE_ISSUER = /^https:\/\/securetoken\.google\.com\/[a-z0-9-]+$/;
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9-]+_[A-Za-z0-9]+$/;

export type ResolvedEdgeAuth = { ok: true; config: EdgeAuthConfig } | { ok: false; problems: string[] };

/** Turns the build-time variables into a config, or lists what is wrong (then the edge refuses everything). */
export function resolveEdgeAuthConfig(env: EdgeAuthEnv): ResolvedEdgeAuth {
  const trim = (v: string | undefined) => (v ?? '').trim();
  const issuer = trim(env.EDGE_AUTH_ISSUER).replace(/\/+$/, '');
  const audience = trim(env.EDGE_AUTH_AUDIENCE);
  const problems: string[] = [];
  if (!issuer) problems.push('EDGE_AUTH_ISSUER is not set');
  if (!audience) problems.push('EDGE_AUTH_AUDIENCE is not set');

  const explicit = trim(env.EDGE_AUTH_PROVIDER).toLowerCase();
  let provider: EdgeAuthProvider;
  if (explicit === 'firebase' || explicit === 'cognito' || explicit === 'generic') provider = explicit;
  else if (explicit) {
    problems.push(`EDGE_AUTH_PROVIDER must be firebase, cognito or generic (got "${explicit}")`);
    provider = 'generic';
  } else if (FIREBASE_ISSUER.test(issuer)) provider = 'firebase';
  else if (COGNITO_ISSUER.test(issuer)) provider = 'cognito';
  else provider = 'generic';

  let jwksUrl = trim(env.EDGE_AUTH_JWKS_URL);
  if (!jwksUrl && provider === 'firebase') jwksUrl = FIREBASE_JWKS_URL;
  if (!jwksUrl && provider === 'cognito' && issuer) jwksUrl = `${issuer}/.well-known/jwks.json`;
  if (!jwksUrl) problems.push('EDGE_AUTH_JWKS_URL is not set (needed for a generic issuer)');
  else if (!isAcceptableJwksUrl(jwksUrl)) problems.push('EDGE_AUTH_JWKS_URL must be an https URL');

  if (problems.length) return { ok: false, problems };
  return { ok: true, config: { provider, issuer, audience, jwksUrl, ...EDGE_AUTH_DEFAULTS } };
}

/** https only; plain http is allowed for loopback so tests can serve a JWKS locally. */
function isAcceptableJwksUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
}

/** Lambda@Edge functions, the stack and its SSM parameters all live here (serverless.yml `provider.region`). */
export const EDGE_STACK_REGION = 'us-east-1';
